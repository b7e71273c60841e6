"""The one place a :class:`Report` is assembled, from the plain values the scan's stages returned.

Inputs: the repository map, the static pass, the analysis's per-file results
(none without an LLM: the static findings are the report), the results an
incremental run re-used and its summary, the answer cache's savings and the
run's notes. Findings are merged and filtered by confidence here, coverage and
completeness are decided here, and nothing downstream changes them but triage.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from .. import __version__
from ..analysis.run import AnalysisOutcome
from ..analysis.targets import Targets
from ..config import Settings
from ..findings import CacheSummary, ErrorEntry, Finding, IncrementalSummary, Report, UnreachedSummary, merge_by_place
from ..repo.entrypoints import EntryPoint
from ..repo.map import RepositoryMap
from ..results import FileResult
from ..static import StaticResult

NOT_ANALYSED_STAGES = frozenset({"llm", "analysis", "budget", "interrupted"})
"""Error stages that mean some code was not (fully) analysed: the report is incomplete."""


@dataclass(frozen=True)
class Analysed:
    """What an LLM run brings to the report besides the static pass."""

    model: str
    targets: Targets
    outcome: AnalysisOutcome
    reused: Sequence[FileResult] = ()  # earlier results an incremental run reports as they are
    incremental: IncrementalSummary | None = None
    cache: CacheSummary | None = None  # None when the answer cache was off


@dataclass(frozen=True)
class Touched:
    """``--since`` without an LLM: only the static findings of the entry-point files the diff touches."""

    since: str
    files: Collection[str] = field(default_factory=frozenset)


def build_report(
    repository: RepositoryMap,
    settings: Settings,
    static: StaticResult,
    analysed: Analysed | None = None,
    *,
    touched: Touched | None = None,
    notes: Sequence[str] = (),
) -> Report:
    """The report of one scan: the LLM's conclusions when *analysed* is given, else the static pass's findings."""
    report = _empty_report(repository, settings, analysed.model if analysed is not None else None)
    if analysed is None:
        _static_only(report, repository, static)
        report.notes.extend(notes)
        return _only_touched(report, touched) if touched is not None else report
    targets, outcome = analysed.targets, analysed.outcome
    report.notes += [targets.note] if targets.note else []
    _unreached(report, targets, settings)
    report.errors = list(outcome.errors)
    if outcome.stop_reason is not None:
        report.complete, report.stop_reason = False, outcome.stop_reason
    report.usage = outcome.usage
    report.faults = outcome.faults
    _account(report, targets.planned, {**outcome.results, **outcome.unreached})
    concluded = [*outcome.results.values(), *analysed.reused, *outcome.unreached.values()]
    _finish(report, concluded, targets.every, settings, cost_usd=outcome.cost_usd)
    report.incremental = analysed.incremental
    report.cache = analysed.cache
    report.notes.extend(notes)
    return report


def _empty_report(repository: RepositoryMap, settings: Settings, model: str | None) -> Report:
    return Report(
        root=str(repository.root),
        provider=settings.llm if model is not None else "none",
        model=model,
        min_confidence=settings.min_confidence,
        entry_points_total=len(repository.entry_points),
        entry_points_analysed=0,
        skipped=[{"path": s.path, "reason": s.reason} for s in repository.skipped],
        tool_version=__version__,
    )


def _static_only(report: Report, repository: RepositoryMap, static: StaticResult) -> None:
    """No LLM: the static findings are the answer (each marked as not confirmed by an LLM)."""
    report.cost_usd = 0.0
    report.findings = list(static.findings)
    report.errors = sorted(static.errors, key=lambda e: (e.file or "", e.entry_function or "", e.reason))
    report.entry_points_analysed = sum(1 for e in repository.entry_points if repository.in_scope(e.file))


def _only_touched(report: Report, touched: Touched) -> Report:
    """Pull-request mode without an LLM: the static findings of the entry-point files the diff touches."""
    kept = [f for f in report.findings if f.entry_file in touched.files]
    note = (f"--since {touched.since}: static findings of the {len(touched.files)} entry-point file(s) the diff "
            f"touches (directly or through the code they call); {len(report.findings) - len(kept)} others not reported")
    return dataclasses.replace(report, findings=kept, notes=[*report.notes, note])


def only_files(report: Report, files: Collection[str]) -> Report:
    """The findings whose entry point or location is in *files* (a pre-commit hook's staged files), no notes."""
    kept = [f for f in report.findings if f.entry_file in files or f.file in files]
    return dataclasses.replace(report, findings=kept, notes=[])


def _unreached(report: Report, targets: Targets, settings: Settings) -> None:
    """The report's record of unreached sink modules, and the note every format prints."""
    if not targets.full:
        if targets.deferred:  # an incremental run plans by entry-point file: unreached modules wait for a full scan
            report.notes.append(
                f"{targets.deferred} module(s) with dangerous calls that no entry point reaches are analysed "
                "by full scans only, not by --incremental or --since"
            )
        return
    selection = targets.unreached
    summary = UnreachedSummary([m.file for m in selection.modules], list(selection.left_out), selection.cap)
    report.unreached = summary
    parts = []
    if summary.analysed:
        parts.append(
            f"{len(summary.analysed)} module(s) with dangerous calls that no entry point reaches were analysed on "
            f"their own, their functions' parameters treated as user input: {', '.join(summary.analysed)}"
        )
    if summary.left_out:
        why = "--prefilter" if settings.analysis.prefilter else f"analysis.unreached_modules: {selection.cap}"
        parts.append(
            f"{len(summary.left_out)} more such module(s) were left out ({why}): {', '.join(summary.left_out)}"
        )
    if parts:
        report.notes.append("; ".join(parts) + ".")


def _account(report: Report, planned: Sequence[str], results: dict[str, FileResult]) -> None:
    """How many of this run's analyses concluded nothing (every initial pass failed, or never ran)."""
    report.analyses_total = len(planned)
    report.analyses_failed = sum(1 for f in planned if f not in results or not results[f].concluded)


def _finish(
    report: Report,
    results: list[FileResult],
    targets: dict[str, list[EntryPoint]],
    settings: Settings,
    *,
    cost_usd: float | None,
) -> None:
    """Findings, errors and coverage of every file concluded this run or re-used from the last."""
    _fill(report, results, settings.min_confidence)
    report.entry_points_analysed = sum(len(targets.get(r.file, ())) - len(r.unanalysed) for r in results)
    report.cost_usd = cost_usd
    failed = [e for e in report.errors if e.stage in NOT_ANALYSED_STAGES]
    if failed:  # something was not analysed: never reported as complete
        report.complete = False
        report.stop_reason = report.stop_reason or "errors"
        files = sorted({e.file or "-" for e in failed})
        shown = ", ".join(files[:10]) + (f" and {len(files) - 10} more" if len(files) > 10 else "")
        report.notes.append(
            f"incomplete: {len(failed)} analysis step(s) failed or were not run in {len(files)} file(s) ({shown}); "
            "see the errors"
        )


def _fill(report: Report, results: list[FileResult], min_confidence: int) -> None:
    findings: list[Finding] = []
    errors: list[ErrorEntry] = list(report.errors)
    for result in results:
        findings.extend(result.findings)
        errors.extend(result.errors)
    kept = sorted((f for f in findings if f.confidence >= min_confidence), key=lambda f: (-f.confidence, f.sort_key))
    report.findings = sorted(merge_by_place(kept), key=lambda f: f.sort_key)  # one per place, sink and type
    report.below_threshold = sum(1 for f in findings if f.confidence < min_confidence)
    report.errors = sorted(errors, key=lambda e: (e.file or "", e.stage, e.vuln_type or "", e.reason))
