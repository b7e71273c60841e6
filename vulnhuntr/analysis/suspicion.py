"""What the initial pass pointed at, per vulnerability type: kept in view by the chain judging that type.

A chain's focused view keeps whole the entry points the static pass traced for
its type; the model's own suspicion is evidence too, so the handlers and
definitions its initial answer pointed at for the type stay in view as well.
Pruning may still drop what neither points at.

An answer points at a handler or definition through

* ``suspects``: per type, the functions behind it (typed);
* ``sinks``: the handler named, or the one holding the quoted line; typed by
  the sink's CWE when it gives one (22 is both LFI and AFO);
* ``context_code``: a name that is a handler, or the handler holding the
  quoted call line; typed by the types its ``reason`` names;
* ``analysis`` and ``scratchpad``: handlers named by name, and ``line N``
  references; typed by the types named in the same sentence.

A pointer whose text names no type counts for every type: the model did not
say which of its suspicions it belongs to, and dropping it is what lost findings.

The initial pass is also shown the entry points' direct callees; a line it
quotes from one of them (:func:`quoted_in`) points at that definition, and the
loop keeps it and the handlers calling it in the chain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..findings import VulnType
from ..repo.entrypoints import EntryPoint
from ..repo.index import ModuleIndex
from ..repo.resolve import Symbol
from .cwe import ALLOWED
from .locate import Region, locate_all
from .response import AnalysisAnswer

_TYPE_WORDS: dict[VulnType, re.Pattern[str]] = {
    VulnType.LFI: re.compile(r"\bLFI\b|path traversal|directory traversal|file inclusion|file read", re.I),
    VulnType.RCE: re.compile(
        r"\bRCE\b|command injection|code execution|code injection|\bshell\b|deseriali[sz]|\bSSTI\b|template injection",
        re.I,
    ),
    VulnType.SSRF: re.compile(r"\bSSRF\b|request forgery", re.I),
    VulnType.AFO: re.compile(r"\bAFO\b|file overwrite|file write|zip slip|arbitrary file", re.I),
    VulnType.SQLI: re.compile(r"\bSQLI?\b|SQL injection", re.I),
    VulnType.XSS: re.compile(r"\bXSS\b|cross[- ]site scripting|HTML injection", re.I),
    VulnType.IDOR: re.compile(r"\bIDOR\b|direct object reference", re.I),
}
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_LINE_REF = re.compile(r"\blines?\s+(\d{1,6})(?:\s*(?:-|–|to)\s*(\d{1,6}))?", re.I)
_COMMON = frozenset("get post put patch delete head options index main run call handle view".split())
"""Handler names too common as words to count as a mention by their short name alone."""


@dataclass(frozen=True)
class Pointed:
    """What one answer pointed at for one type, in the file of the view."""

    entry_functions: frozenset[str] = frozenset()  # handlers of the view, by qualname
    names: tuple[str, ...] = ()  # other functions named (to resolve and show)
    lines: frozenset[int] = field(default_factory=frozenset)  # lines of the file outside every handler


def pointed_at(
    answer: AnalysisAnswer, vuln_type: VulnType, module: ModuleIndex, entry_points: Sequence[EntryPoint]
) -> Pointed:
    """The handlers, names and lines *answer* pointed at for *vuln_type* in *module* (the view's file)."""
    spans = _spans(module, entry_points)
    entries: set[str] = set()
    names: list[str] = []
    lines: set[int] = set()

    def name(value: str) -> None:
        entry = _entry_named(value, entry_points)
        if entry is not None:
            entries.add(entry)
        elif value and value not in names:
            names.append(value)

    def line(number: int) -> None:
        holder = _holder(number, spans)
        if holder is not None:
            entries.add(holder)
        elif 1 <= number <= module.line_count:
            lines.add(number)

    region = [Region(module, 1, module.line_count)]
    for suspect in answer.suspects:
        if suspect.type == vuln_type:
            for function in suspect.functions:
                name(function)
    for sink in answer.sinks:
        typed = {t for t, cwes in ALLOWED.items() if sink.cwe in cwes} if sink.cwe is not None else None
        if typed is None or vuln_type in typed:
            if sink.entry_point:
                name(sink.entry_point)
            for place in locate_all(sink.code_line, region):
                line(place.line)
    for item in answer.context_code:
        if _about(item.reason, vuln_type):
            if _entry_named(item.name, entry_points) is not None:
                name(item.name)
            for place in locate_all(item.code_line, region) if item.code_line else ():
                line(place.line)
    for sentence in _sentences(answer.analysis, answer.scratchpad):
        if not _about(sentence, vuln_type):
            continue
        entries.update(_mentioned(sentence, entry_points))
        for start, end in _line_refs(sentence):
            for number in range(start, min(end, start + 50) + 1):
                line(number)
    return Pointed(frozenset(entries), tuple(names), frozenset(lines))


def quoted_in(
    answer: AnalysisAnswer, vuln_type: VulnType, shown: Sequence[Symbol], modules: Mapping[str, ModuleIndex]
) -> list[Symbol]:
    """The definitions among *shown* (beside the file, in the initial prompt) holding a line *answer* quotes for *vuln_type*.

    Quoted as a sink (typed by its CWE, as in :func:`pointed_at`) or as the call line of
    a ``context_code`` request whose reason names the type or none.
    """
    regions = [Region(modules[s.file], s.start_line, s.end_line) for s in shown if s.file in modules]
    quotes = [
        sink.code_line for sink in answer.sinks
        if sink.cwe is None or sink.cwe in ALLOWED[vuln_type]
    ]
    quotes += [item.code_line for item in answer.context_code if item.code_line and _about(item.reason, vuln_type)]
    found: list[Symbol] = []
    for quote in quotes:
        for place in locate_all(quote, regions):
            for symbol in shown:
                if symbol.file == place.file and symbol.start_line <= place.line <= symbol.end_line and symbol not in found:
                    found.append(symbol)
    return found


def _about(text: str, vuln_type: VulnType) -> bool:
    """Whether a pointer with this text counts for *vuln_type*: it names the type, or names none."""
    named = {t for t, pattern in _TYPE_WORDS.items() if pattern.search(text or "")}
    return not named or vuln_type in named


def _sentences(*texts: str) -> Iterable[str]:
    for text in texts:
        yield from (s for s in _SENTENCE.split(text or "") if s.strip())


def _spans(module: ModuleIndex, entry_points: Sequence[EntryPoint]) -> list[tuple[int, int, str]]:
    spans = []
    for entry in entry_points:
        definition = module.definitions_by_name.get(entry.function)
        if definition is not None:
            spans.append((definition.start_line, definition.end_line, entry.function))
    return spans


def _holder(line: int, spans: list[tuple[int, int, str]]) -> str | None:
    """The innermost handler whose definition holds *line*."""
    holding = [(start, function) for start, end, function in spans if start <= line <= end]
    return max(holding)[1] if holding else None


def _entry_named(value: str, entry_points: Sequence[EntryPoint]) -> str | None:
    """The handler a name means: its qualname, ``module.qualname``, or an unambiguous last part."""
    value = value.split("(", 1)[0].strip()
    if not value:
        return None
    exact = [e.function for e in entry_points if e.function == value or value.endswith("." + e.function)]
    if exact:
        return exact[0]
    last = value.rsplit(".", 1)[-1]
    matching = {e.function for e in entry_points if e.function.rsplit(".", 1)[-1] == last}
    return matching.pop() if len(matching) == 1 else None


def _mentioned(sentence: str, entry_points: Sequence[EntryPoint]) -> set[str]:
    """Handlers a sentence names: by qualname, or by a distinctive short name."""
    found = set()
    shorts: dict[str, set[str]] = {}
    for entry in entry_points:
        shorts.setdefault(entry.function.rsplit(".", 1)[-1], set()).add(entry.function)
    for entry in entry_points:
        short = entry.function.rsplit(".", 1)[-1]
        common = short.lower() in _COMMON or len(short) < 4
        if _word(entry.function, sentence) and not (common and "." not in entry.function):
            found.add(entry.function)
        elif len(shorts[short]) == 1 and not common and _word(short, sentence):
            found.add(entry.function)
        elif common and _as_code(short, sentence):  # "index" as a word is not a handler; `index` or index() is
            found.add(entry.function)
    return found


def _as_code(name: str, text: str) -> bool:
    return re.search(rf"`{re.escape(name)}`|(?<![\w.]){re.escape(name)}\(", text) is not None


def _word(name: str, text: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text) is not None


def _line_refs(sentence: str) -> list[tuple[int, int]]:
    refs = []
    for match in _LINE_REF.finditer(sentence):
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else start
        refs.append((start, max(start, end)))
    return refs
