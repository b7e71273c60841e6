"""Place a line of code quoted by the model back into the repository.

Models copy a sink's line of code, sometimes with different spacing or a
trailing comment; finding it in the code they were shown gives the report an
exact file and line instead of a guess. When the answer confirms a path the
static pass traced, that candidate tells which entry point the finding belongs
to and where it is fixed, also when the model quotes no sink line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..repo.index import ModuleIndex
from ..static.results import Candidate


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


def confirmed_leads(
    seeds: Sequence[Candidate], *, entry: str | None, place: Place | None, analysis: str
) -> list[Candidate]:
    """The static candidates (of the finding's type) an LLM finding confirms: the best one per entry point.

    The entry point the model named narrows them to its own; a sink line it quoted, to candidates with
    that sink (or placed on that line). With neither, the entry points the analysis names, else all.
    """
    pool = [c for c in seeds if entry is None or c.entry_function == entry]
    if place is not None:
        at = (place.file, place.line)
        pool = [c for c in pool if at in ((c.sink_file, c.sink_line), (c.fix_file, c.fix_line))]
    elif entry is None:
        pool = [c for c in pool if _mentions(analysis, c.entry_function)] or pool
    best: dict[str, Candidate] = {}
    for lead in sorted(pool, key=lambda c: (-c.confidence, len(c.path), c.sink_file, c.sink_line)):
        best.setdefault(lead.entry_function, lead)
    return [best[name] for name in sorted(best)]


def _mentions(text: str, function: str) -> bool:
    return re.search(rf"\b{re.escape(function.rsplit('.', 1)[-1])}\b", text) is not None
