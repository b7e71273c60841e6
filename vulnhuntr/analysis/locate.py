"""Place a line of code quoted by the model back into the repository.

Models copy a sink's line of code, sometimes with different spacing or a
trailing comment; finding it in the code they were shown gives the report an
exact file and line instead of a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..repo.index import ModuleIndex


@dataclass(frozen=True)
class Place:
    file: str
    line: int


@dataclass(frozen=True)
class Region:
    """Lines of one file the model was shown (a whole file or one definition)."""

    module: ModuleIndex
    start_line: int
    end_line: int


def normalise(code: str) -> str:
    return "".join(code.split("#", 1)[0].split()) if code else ""


def locate(code_line: str, regions: Iterable[Region]) -> Place | None:
    """The first place in *regions* whose line contains *code_line* (whitespace-insensitive)."""
    places = locate_all(code_line, regions)
    return places[0] if places else None


def locate_all(code_line: str, regions: Iterable[Region]) -> list[Place]:
    """Every place matching *code_line*, exact matches first, in region order, without repeats."""
    wanted = normalise(code_line)
    if len(wanted) < 4:  # too short to be evidence of anything
        return []
    regions = list(regions)
    found: list[Place] = []
    for exact in (True, False):
        for region in regions:
            lines = region.module.lines
            for number in range(region.start_line, min(region.end_line, len(lines)) + 1):
                have = normalise(lines[number - 1])
                if have and (have == wanted if exact else wanted in have or (len(have) >= 8 and have in wanted)):
                    place = Place(region.module.path, number)
                    if place not in found:
                        found.append(place)
    return found
