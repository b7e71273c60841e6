"""A static taint pass over the repository index: request data → dangerous sinks, no LLM.

It runs in a few seconds on a big repository and gives two things: findings of
kind "static" (reported as "static analysis, not confirmed by an LLM") and, per
entry-point file, candidates the LLM step can start from. The scanned code is
only parsed, never imported or run.

    result = run_static(repository_map)
    result.findings          # sorted, one per (type, sink, entry point)
    result.candidates["app.py"]

Modules: :mod:`.sources`, :mod:`.sinks`, :mod:`.sanitizers`, :mod:`.guards`,
:mod:`.idor` and :mod:`.responses` (HTML built in Python) hold the rules (mostly
tables); :mod:`.taint` and :mod:`.env` the values, :mod:`.constants` (folding)
and :mod:`.containers` (list/dict slots) their precision; :mod:`.expressions`,
:mod:`.calls`, :mod:`.callbacks` and :mod:`.statements` walk one function;
:mod:`.engine` memoises summaries across files, asking :mod:`.lookup` (and
through it the resolver) what calls call; :mod:`.results` turns hits into
findings and candidates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..findings import ErrorEntry, Finding, merge_by_place
from ..heap import long_lived
from ..repo.frameworks.entry import EntryPoint
from ..repo.map import RepositoryMap
from ..repo.resolve import Resolver
from .engine import Engine
from .hits import Hit
from .results import Candidate, Span, candidate, findings
from .templates import TemplateTracker

__all__ = ["Candidate", "StaticResult", "run_static"]
log = logging.getLogger(__name__)


@dataclass
class StaticResult:
    """What the static pass concluded."""

    findings: list[Finding] = field(default_factory=list)  # kind "static", sorted, one per place and sink
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)  # by entry-point file
    errors: list[ErrorEntry] = field(default_factory=list)  # entry points the pass could not analyse


def run_static(repository: RepositoryMap, resolver: Resolver | None = None) -> StaticResult:
    """Follow request data from every entry point in scope to the sinks it reaches."""
    with long_lived():  # the repository's trees are not rescanned by every collection of the pass
        return _run_static(repository, resolver)


def _run_static(repository: RepositoryMap, resolver: Resolver | None) -> StaticResult:
    engine = Engine(repository.index, resolver or repository.resolver)
    engine.entries = frozenset((e.file, e.function) for e in repository.entry_points)
    if repository.templates.facts:
        engine.templates = TemplateTracker(repository.template_search)
    result = StaticResult()
    for entry in repository.entry_points:
        if not repository.in_scope(entry.file):
            continue
        try:
            hits = engine.analyze_entry(entry)
        except (RecursionError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            log.warning("static pass failed for %s:%s", entry.file, entry.function, exc_info=True)
            result.errors.append(ErrorEntry(entry.file, "static", f"{type(exc).__name__}: {exc}", entry.function))
            continue
        if engine.templates is not None:
            hits = engine.templates.claim(engine, entry, hits)
        _add(result, engine, entry, hits)
    if engine.templates is not None:  # stored XSS: known only once every writer has been seen
        for entry, hits in engine.templates.stored_hits().items():
            _add(result, engine, entry, hits)
    ordered = sorted(result.findings, key=lambda f: f.sort_key)
    result.findings = sorted(merge_by_place(ordered), key=lambda f: f.sort_key)
    result.candidates = {k: v for k, v in sorted(result.candidates.items()) if v}
    return result


def _span(engine: Engine, entry: EntryPoint) -> Span | None:
    node = engine.function_def(entry.file, entry.function)
    return (node.lineno, node.end_lineno or node.lineno) if node is not None else None


def _add(result: StaticResult, engine: Engine, entry: EntryPoint, hits: set[Hit]) -> None:
    """Candidates and findings of *entry*'s hits (merged by place once every entry point is done)."""
    span = _span(engine, entry)
    pairs = [(hit, cand) for hit in hits if (cand := candidate(entry, hit, span)) is not None]
    pairs.sort(key=lambda p: _candidate_order(p[1]))
    result.candidates.setdefault(entry.file, []).extend(_unique([c for _, c in pairs]))
    result.findings.extend(findings(entry, pairs))


def _candidate_order(c: Candidate) -> tuple[object, ...]:
    return (c.entry_function, c.vuln_type.value, c.sink_file, c.sink_line, -c.confidence, len(c.path), c.source_line)


def _unique(found: list[Candidate]) -> list[Candidate]:
    """One candidate per (entry, type, sink, source): the first, i.e. the most confident and shortest."""
    kept: dict[tuple[object, ...], Candidate] = {}
    for c in found:
        key = (c.entry_function, c.vuln_type, c.sink_file, c.sink_line, c.source_line, c.source, c.cwe)
        kept.setdefault(key, c)
    return list(kept.values())
