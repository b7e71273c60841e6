"""Run the LLM analysis over a mapped repository and assemble the :class:`Report`."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection, Coroutine, Sequence
from typing import Any

from .. import __version__
from ..config import Settings
from ..findings import ErrorEntry, Finding, Report, UnreachedSummary, merge_by_place
from ..llm.base import Provider
from ..llm.pricing import cost, price_for
from ..llm.retry import faults_of
from ..repo.entrypoints import EntryPoint
from ..repo.map import RepositoryMap
from ..llm.windows import prompt_budget
from ..static import StaticResult
from .context import ContextBuilder
from .engine import Budget, CallGate
from .loop import Analyst, FileResult, LoopLimits
from .progress import NullProgress, Progress
from .reach import SinkReach
from .readme import summarise_readme
from .selection import select_entries
from .unreached import UnreachedModule, UnreachedSelection, select_unreached

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
    context = _context_builder(repository, settings, provider.model)
    chosen = select_entries(
        targets, context, SinkReach(repository.index, repository.resolver, context), forced=repository.forced_files,
        candidates=static.candidates if static is not None else None, analyse_all=settings.analysis.all_entrypoints,
    )
    targets = chosen.targets  # in order of evidence: the likely files are sent first
    left_out = {(x.entry.file, x.entry.function) for x in chosen.left_out}
    for file, function in left_out:
        context.left_out[file] = context.left_out.get(file, frozenset()) | {function}
    every_target = {f: [e for e in es if (e.file, e.function) not in left_out] for f, es in every_target.items()}
    report.notes += [chosen.note()] if chosen.left_out else []
    selection = unreached_selection(repository, settings)
    if settings.analysis.prefilter and selection.modules:  # no static candidate is ever found there
        selection = UnreachedSelection((), tuple(m.file for m in selection.modules) + selection.left_out, selection.cap)
    if only is None:
        report.unreached, unreached_note = _unreached_summary(selection, settings)
        report.notes += [unreached_note] if unreached_note else []
    elif selection.modules:  # an incremental run plans by entry-point file: unreached modules wait for a full scan
        report.notes.append(
            f"{len(selection.modules)} module(s) with dangerous calls that no entry point reaches are analysed "
            "by full scans only, not by --incremental or --since"
        )
        selection = UnreachedSelection(cap=selection.cap)
    unreached_results: dict[str, FileResult] = {}
    if not targets and not selection.modules:
        return _finish(report, [*reused], every_target, settings, cost_usd=0.0)
    progress = progress or NullProgress()
    price = price_for(provider.name, provider.model, settings.pricing)
    gate = CallGate(provider, settings.performance.parallel.in_flight, Budget(budget_usd, price), progress)
    analyst: Analyst | None = None
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
            context=context,
            seeds=static.candidates if static is not None else None,
        )
        progress.start(len(targets) + len(selection.modules))
        await _run_files(analyst, targets, results, progress)
        await _run_unreached(analyst, selection.modules, unreached_results, progress)  # ranked after the reached
    except asyncio.CancelledError:
        report.complete, report.stop_reason = False, "interrupted"
        report.errors += [ErrorEntry(f, "interrupted", "not finished: the scan was interrupted") for f in targets if f not in results]
        report.errors += [
            ErrorEntry(m.file, "interrupted", "unreached module not finished: the scan was interrupted")
            for m in selection.modules if m.file not in unreached_results
        ]
    finally:
        progress.finish()
    if gate.budget.refused:
        report.complete, report.stop_reason = False, report.stop_reason or "budget"
    report.usage = gate.usage
    report.faults.add(faults_of(provider))
    report.faults.reasks += analyst.reasks if analyst is not None else 0
    _account(report, [*targets, *(m.file for m in selection.modules)], {**results, **unreached_results})
    concluded = [*results.values(), *reused, *unreached_results.values()]
    return _finish(report, concluded, every_target, settings, cost_usd=cost(gate.usage, price))


NOT_ANALYSED_STAGES = frozenset({"llm", "analysis", "budget", "interrupted"})
"""Error stages that mean some code was not (fully) analysed: the report is incomplete."""


def _account(report: Report, planned: Sequence[str], results: dict[str, FileResult]) -> None:
    """How many of this run's analyses concluded nothing (every initial pass failed, or never ran)."""
    report.analyses_total = len(planned)
    report.analyses_failed = sum(1 for f in planned if f not in results or not results[f].concluded)


async def _run_files(
    analyst: Analyst, targets: dict[str, list[EntryPoint]], results: dict[str, FileResult], progress: Progress
) -> None:
    """All files at once (the gate bounds the calls); on cancellation, wait until every task has stopped."""

    async def one(file: str, entries: list[EntryPoint]) -> None:
        results[file] = await analyst.analyse_file(file, entries)
        progress.file_done()

    await _all_or_none([one(file, entries) for file, entries in targets.items()])  # started in the order given


async def _all_or_none(jobs: Sequence[Coroutine[Any, Any, None]]) -> None:
    """Run *jobs* concurrently; when one fails or the scan is cancelled, the others are cancelled and awaited."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _run_unreached(
    analyst: Analyst, modules: Sequence[UnreachedModule], results: dict[str, FileResult], progress: Progress
) -> None:
    """The unreached sink modules, once every reached file is done, concurrently among themselves."""

    async def one(module: UnreachedModule) -> None:
        results[module.file] = await analyst.analyse_unreached(module)
        progress.file_done()

    await _all_or_none([one(module) for module in modules])


def unreached_selection(
    repository: RepositoryMap, settings: Settings, only: Collection[str] | None = None
) -> UnreachedSelection:
    """The unreached sink modules a full scan analyses (none in an incremental run, which plans by entry-point file)."""
    if only is not None:
        return UnreachedSelection(cap=settings.analysis.unreached_modules)
    return select_unreached(
        repository.index,
        repository.resolver,
        repository.entry_points,
        cap=settings.analysis.unreached_modules,
        in_scope=repository.in_scope,
        exclude=repository.forced_files,
    )


def _unreached_summary(selection: UnreachedSelection, settings: Settings) -> tuple[UnreachedSummary, str | None]:
    """The report's record of unreached sink modules, and the note every format prints."""
    summary = UnreachedSummary([m.file for m in selection.modules], list(selection.left_out), selection.cap)
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
    return summary, ("; ".join(parts) + ".") if parts else None


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
    return report


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
