"""Run the LLM analysis over a mapped repository and assemble the :class:`Report`."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection, Sequence

from .. import __version__
from ..config import Settings
from ..findings import ErrorEntry, Finding, Report
from ..llm.base import Provider
from ..llm.pricing import cost, price_for
from ..repo.entrypoints import EntryPoint
from ..repo.map import RepositoryMap
from ..llm.windows import prompt_budget
from ..static import StaticResult
from .context import ContextBuilder
from .engine import Budget, CallGate
from .loop import Analyst, FileResult, LoopLimits
from .progress import NullProgress, Progress
from .readme import summarise_readme

async def analyse(
    repository: RepositoryMap,
    settings: Settings,
    provider: Provider | None,
    *,
    progress: Progress | None = None,
    budget_usd: float | None = None,
    only: Collection[str] | None = None,
    reused: Sequence[FileResult] = (),
    results: dict[str, FileResult] | None = None,
    static: StaticResult | None = None,
) -> Report:
    """Analyse every entry-point file concurrently; a failure of one file is an error entry, never a crash.

    Cancelled (Ctrl-C), it returns what finished, marked incomplete; over the
    budget, it stops sending calls and lists what was skipped.

    Incremental runs pass ``only`` (the files to analyse), ``reused`` (earlier
    results reported as they are) and ``results`` (filled with this run's
    per-file results, so they can be recorded for the next run).
    """
    every_target = targets_by_file(repository)
    targets = every_target if only is None else {f: e for f, e in every_target.items() if f in only}
    if settings.analysis.prefilter and static is not None:
        targets = {f: e for f, e in targets.items() if static.candidates.get(f)}
    report = _empty_report(repository, settings, provider)
    results = {} if results is None else results
    if provider is None:
        return _static_only(report, repository, static)
    if not targets:
        return _finish(report, [*reused], every_target, settings, cost_usd=0.0)
    progress = progress or NullProgress()
    price = price_for(provider.name, provider.model, settings.pricing)
    gate = CallGate(provider, settings.performance.parallel.in_flight, Budget(budget_usd, price), progress)
    try:
        summary, problem = await summarise_readme(gate, repository.root, repository.readme)
        if problem is not None:
            report.errors.append(problem)
        analyst = Analyst(
            gate,
            repository.index,
            repository.resolver,
            readme_summary=summary,
            limits=_limits(settings),
            context=_context_builder(repository, settings, provider.model),
            seeds=static.candidates if static is not None else None,
        )
        progress.start(len(targets))
        await _run_files(analyst, targets, results, progress)
    except asyncio.CancelledError:
        report.complete, report.stop_reason = False, "interrupted"
        report.errors += [ErrorEntry(f, "interrupted", "not finished: the scan was interrupted") for f in targets if f not in results]
    finally:
        progress.finish()
    if gate.budget.refused:
        report.complete, report.stop_reason = False, report.stop_reason or "budget"
    report.usage = gate.usage
    return _finish(report, [*results.values(), *reused], every_target, settings, cost_usd=cost(gate.usage, price))


async def _run_files(
    analyst: Analyst, targets: dict[str, list[EntryPoint]], results: dict[str, FileResult], progress: Progress
) -> None:
    """All files at once (the gate bounds the calls); on cancellation, wait until every task has stopped."""

    async def one(file: str, entries: list[EntryPoint]) -> None:
        results[file] = await analyst.analyse_file(file, entries)
        progress.file_done()

    tasks = [asyncio.create_task(one(file, entries)) for file, entries in sorted(targets.items())]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _static_only(report: Report, repository: RepositoryMap, static: StaticResult | None) -> Report:
    """No LLM: the static findings are the answer (each marked as not confirmed by an LLM)."""
    report.cost_usd = 0.0
    if static is not None:
        report.findings = list(static.findings)
        report.errors = sorted(static.errors, key=lambda e: (e.file or "", e.entry_function or "", e.reason))
        report.entry_points_analysed = sum(1 for e in repository.entry_points if repository.in_scope(e.file))
    return report


def targets_by_file(repository: RepositoryMap) -> dict[str, list[EntryPoint]]:
    """Entry points grouped by file, limited to ``--analyze``; a file named there is analysed even without any."""
    grouped: dict[str, list[EntryPoint]] = defaultdict(list)
    for entry in repository.entry_points:
        if repository.in_scope(entry.file):
            grouped[entry.file].append(entry)
    for file in repository.forced_files:
        if file in repository.index.modules:
            grouped.setdefault(file, [])
    return dict(grouped)


def _empty_report(repository: RepositoryMap, settings: Settings, provider: Provider | None) -> Report:
    return Report(
        root=str(repository.root),
        provider=settings.llm if provider is not None else "none",
        model=provider.model if provider else None,
        min_confidence=settings.min_confidence,
        entry_points_total=len(repository.entry_points),
        entry_points_analysed=0,
        skipped=[{"path": s.path, "reason": s.reason} for s in repository.skipped],
        tool_version=__version__,
    )


def _context_builder(repository: RepositoryMap, settings: Settings, model: str) -> ContextBuilder:
    pruning = settings.performance.pruning
    return ContextBuilder(
        repository.index,
        repository.resolver,
        pruning,
        depth=pruning.callee_depth if pruning.enabled else 0,
        prompt_budget=prompt_budget(model, pruning.max_context_size),
        templates=repository.template_search if repository.templates.facts else None,
    )


def _limits(settings: Settings) -> LoopLimits:
    return LoopLimits(
        max_rounds=settings.analysis.max_rounds,
        reasks=settings.analysis.reasks,
        max_output_tokens=settings.analysis.max_output_tokens,
    )


def _finish(
    report: Report,
    results: list[FileResult],
    targets: dict[str, list[EntryPoint]],
    settings: Settings,
    *,
    cost_usd: float | None,
) -> Report:
    """Findings, errors and coverage of every file concluded this run or re-used from the last."""
    _fill(report, results, settings.min_confidence)
    report.entry_points_analysed = sum(len(targets.get(r.file, ())) for r in results)
    report.cost_usd = cost_usd
    return report


def _fill(report: Report, results: list[FileResult], min_confidence: int) -> None:
    findings: list[Finding] = []
    errors: list[ErrorEntry] = list(report.errors)
    for result in results:
        findings.extend(result.findings)
        errors.extend(result.errors)
    report.findings = sorted((f for f in findings if f.confidence >= min_confidence), key=lambda f: f.sort_key)
    report.below_threshold = sum(1 for f in findings if f.confidence < min_confidence)
    report.errors = sorted(errors, key=lambda e: (e.file or "", e.stage, e.vuln_type or "", e.reason))
