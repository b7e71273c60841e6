"""Taint values: what the static pass knows about one expression.

A value is a small frozenset of :class:`Taint` records. Each record remembers
which vulnerability types the data can still cause (sanitizers remove kinds),
the path it took, and whether it is the *whole* value or was appended to a fixed
prefix (``os.path.join(BASE, name)`` is CWE-22, a fully chosen path CWE-73).
Inside a function summary, taint that came in through a parameter is symbolic
(``param`` is its name); the caller substitutes its own taint for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from ..findings import PathStep, VulnType

ALL_KINDS: frozenset[VulnType] = frozenset(VulnType)
ID_ONLY: frozenset[VulnType] = frozenset({VulnType.IDOR})
"""What survives a numeric cast or a typed ``int`` parameter: it is still an object id."""

MAX_TAINTS = 6  # per value: enough to keep distinct sources apart, small enough to stay fast
MAX_STEPS = 16  # longer paths are cut (the head and the sink end are what reviewers need)


@dataclass(frozen=True)
class Source:
    """Where request data entered: the handler reads it here."""

    file: str
    line: int
    description: str  # "request.args", "route parameter 'name'"
    key: str | None = None  # the request parameter to tamper with, when known


@dataclass(frozen=True)
class Taint:
    """One way an expression carries request data."""

    kinds: frozenset[VulnType]
    steps: tuple[PathStep, ...] = ()
    source: Source | None = None  # None while symbolic (``param`` set)
    param: str | None = None  # the summarised function's parameter this came from
    prefix: str = ""  # fixed text known to precede the tainted part ("" = the whole value)
    encoded: frozenset[VulnType] = frozenset()  # kinds an encoding (base64) suspended until it is decoded
    checks: frozenset[str] = frozenset()  # shape checks the value passed (see CHECKS), until a call transforms it

    @property
    def whole(self) -> bool:
        return self.prefix == ""

    def __hash__(self) -> int:
        """The dataclass hash of the fields, computed once: values are sets of taints, hashed again and again."""
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.kinds, self.steps, self.source, self.param, self.prefix, self.encoded, self.checks))
            object.__setattr__(self, "_hash", cached)
        return cached


Value = frozenset[Taint]
CLEAN: Value = frozenset()


def value(taints: Iterable[Taint]) -> Value:
    """A value with at most :data:`MAX_TAINTS` records, chosen deterministically (shortest paths first)."""
    return _bounded({t for t in taints if t.kinds or t.encoded})


def _bounded(unique: set[Taint]) -> Value:
    if not unique:
        return CLEAN
    if len(unique) <= MAX_TAINTS:
        return frozenset(unique)
    ranked = sorted(unique, key=_rank)
    return frozenset(ranked[:MAX_TAINTS])


def _rank(taint: Taint) -> tuple[object, ...]:
    src = taint.source
    return (taint.param is None, len(taint.steps), taint.param or "", src.line if src else 0, taint.prefix)


def union(*values: Value) -> Value:
    if len(values) == 1:
        return values[0]
    return _bounded({t for v in values for t in v if t.kinds or t.encoded})  # what ``value`` makes of them, inlined


def without(v: Value, kinds: frozenset[VulnType]) -> Value:
    """The value after a sanitizer that neutralises *kinds*."""
    return value(replace(t, kinds=t.kinds - kinds) for t in v) if v and kinds else v


LITERAL = "quoted literal"
"""Checked to start and end with the same quote and hold no other: a plain string literal to ``eval``."""
NO_DOTDOT = "no dot-dot"
"""Checked to contain no ``..``: appended to a fixed directory, it cannot climb out of it."""


def checked(v: Value, check: str) -> Value:
    return value(replace(t, checks=t.checks | {check}) for t in v) if v else v


def unchecked(v: Value) -> Value:
    """A call's result: whatever it did to the text, the earlier shape checks no longer vouch for it."""
    if not any(t.checks for t in v):
        return v
    return value(replace(t, checks=frozenset()) for t in v)


def encoded(v: Value) -> Value:
    """After ``base64.b64encode``: harmless as it is, the request data again once decoded."""
    return value(replace(t, kinds=frozenset(), encoded=t.encoded | t.kinds) for t in v) if v else v


def decoded(v: Value) -> Value:
    """After ``base64.b64decode``: what an encoding suspended is back."""
    return value(replace(t, kinds=t.kinds | t.encoded, encoded=frozenset()) for t in v) if v else v


def prefixed(v: Value, prefix: str) -> Value:
    """The value appended to fixed text (*prefix*): no longer the whole string."""
    if not prefix or not v:
        return v
    return value(replace(t, prefix=prefix + t.prefix) for t in v)


MARKUP_STEP = "put into HTML markup: "
"""The path step where request text is first combined into HTML (the line an escape belongs on)."""
_MARKUP = re.compile(r"<\s*[A-Za-z!/][^>]*>|<\s*[A-Za-z]+")


def has_markup(text: str) -> bool:
    """Does fixed text contain an HTML tag (``<p>``, ``<a href=``)?"""
    return "<" in text and bool(_MARKUP.search(text))


def marked(v: Value, added: str, step: Callable[[], PathStep]) -> Value:
    """*v* after *added* text was put around it: the first time that text is HTML, the path says where (*step*)."""
    if not v or not has_markup(added):
        return v
    fresh = [t for t in v if VulnType.XSS in t.kinds and not any(s.description.startswith(MARKUP_STEP) for s in t.steps)]
    if not fresh:
        return v
    made = step()
    return value(replace(t, steps=_capped(t.steps + (made,))) if t in fresh else t for t in v)


def prefixed_cut(v: Value) -> Value:
    """A slice of the value: the fixed text known to precede it may be gone."""
    if not any(t.prefix for t in v):
        return v
    return value(replace(t, prefix="") for t in v)


def with_key(v: Value, key: str, line: int) -> Value:
    """Name the request parameter (``request.args.get("name")``) on taint read at *line*."""
    out = []
    for t in v:
        src = t.source
        if src is not None and src.key is None and src.line == line:
            t = replace(t, source=replace(src, key=key))
        out.append(t)
    return value(out)


SOURCE_STEP = "request data enters: "
"""How a path's source step begins."""


def from_source(source: Source, kinds: frozenset[VulnType] = ALL_KINDS, text: str | None = None) -> Value:
    step = PathStep(source.file, source.line, f"{SOURCE_STEP}{text or source.description}")
    return frozenset({Taint(kinds, (step,), source)})


def symbolic(param: str, kinds: frozenset[VulnType] = ALL_KINDS) -> Value:
    return frozenset({Taint(kinds, (), None, param)})


def compose(actual: Taint, flow: Taint, call_step: PathStep | None) -> Taint | None:
    """A callee's *flow* for one parameter, seen from a caller whose argument carries *actual*."""
    kinds = actual.kinds & flow.kinds
    suspended = actual.encoded & (flow.kinds | flow.encoded)
    if flow.encoded:  # the callee encodes its parameter
        kinds, suspended = frozenset(), suspended | (actual.kinds & flow.encoded)
    if not kinds and not suspended:
        return None
    middle = (call_step,) if call_step is not None else ()
    return Taint(
        kinds=kinds,
        encoded=suspended,
        steps=_capped(actual.steps + middle + flow.steps),
        source=actual.source,
        param=actual.param,
        prefix=flow.prefix + actual.prefix,  # the callee's fixed text comes before the argument
    )


def relocated(flow: Taint, call_step: PathStep | None) -> Taint:
    """A callee's flow from its own request source, seen from the caller (the call comes first)."""
    if call_step is None:
        return flow
    return replace(flow, steps=_capped((call_step,) + flow.steps))


def _capped(steps: tuple[PathStep, ...]) -> tuple[PathStep, ...]:
    if len(steps) <= MAX_STEPS:
        return steps
    return steps[:2] + steps[-(MAX_STEPS - 2) :]
