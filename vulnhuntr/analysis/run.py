"""Run the LLM analysis of the planned targets; return what it concluded per file.

The analysis assembles no report: :func:`vulnhuntr.report.build.build_report`
makes one from this run's :class:`AnalysisOutcome`, the reused results and the
rest of the run's facts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import Settings
from ..findings import ErrorEntry, Faults, Usage
from ..llm.base import Provider
from ..pricing import cost, price_for
from ..llm.retry import faults_of
from ..llm.windows import prompt_budget
from ..repo.entrypoints import EntryPoint
from ..repo.map import RepositoryMap
from ..results import FileResult
from ..static import StaticResult
from .context import ContextBuilder
from .gate import Budget, CallGate, start_job
from .loop import Analyst, LoopLimits
from .progress import NullProgress, Progress
from .readme import summarise_readme
from .targets import Targets
from .unreached import UnreachedModule

@dataclass
class AnalysisOutcome:
    """What one run's LLM analysis concluded, before any report is made of it."""

    results: dict[str, FileResult] = field(default_factory=dict)  # entry-point files concluded this run
    unreached: dict[str, FileResult] = field(default_factory=dict)  # unreached sink modules concluded
    errors: list[ErrorEntry] = field(default_factory=list)  # of the run itself: README summary, unfinished work
    usage: Usage = field(default_factory=Usage)
    faults: Faults = field(default_factory=Faults)
    cost_usd: float | None = 0.0  # None when the model has no known price
    stop_reason: str | None = None  # "interrupted" or "budget" when not everything planned was asked


async def analyse(
    repository: RepositoryMap,
    settings: Settings,
    provider: Provider,
    targets: Targets,
    *,
    progress: Progress | None = None,
    static: StaticResult | None = None,
) -> AnalysisOutcome:
    """Analyse every target file concurrently; a failure of one file is an error entry, never a crash.

    Cancelled (Ctrl-C), it returns what finished, marked interrupted; over
    ``settings.run.budget_usd``, it stops sending calls and lists what was skipped.
    """
    outcome = AnalysisOutcome()
    modules = targets.unreached.modules
    if not targets.files and not modules:
        return outcome
    context = _context_builder(repository, settings, provider.model)
    for quiet in targets.left_out:  # shown as markers, not asked about
        file, function = quiet.entry.file, quiet.entry.function
        context.left_out[file] = context.left_out.get(file, frozenset()) | {function}
    progress = progress or NullProgress()
    price = price_for(provider.name, provider.model, settings.pricing)
    gate = CallGate(provider, settings.performance.parallel.in_flight, Budget(settings.run.budget_usd, price), progress)
    analyst: Analyst | None = None
    try:
        summary, problem = await summarise_readme(gate, repository.root, repository.readme)
        if problem is not None:
            outcome.errors.append(problem)
        analyst = Analyst(
            gate,
            repository.index,
            repository.resolver,
            readme_summary=summary,
            limits=_limits(settings),
            context=context,
            seeds=static.candidates if static is not None else None,
            sink_sites=targets.sink_sites,  # found while choosing the targets
            always_initial_pass=settings.analysis.always_initial_pass,
        )
        progress.start(len(targets.files) + len(modules))
        files = _file_jobs(analyst, targets.files, outcome.results, progress)
        if settings.run.budget_usd is None:  # the unreached modules fill the slots the reached files leave idle
            await _all_or_none([*files, *_unreached_jobs(analyst, modules, outcome.unreached, progress)])
        else:  # a budget goes to the reached files first
            await _all_or_none(files)
            await _all_or_none(_unreached_jobs(analyst, modules, outcome.unreached, progress))
    except asyncio.CancelledError:
        outcome.stop_reason = "interrupted"
        outcome.errors += [
            ErrorEntry(f, "interrupted", "not finished: the scan was interrupted")
            for f in targets.files if f not in outcome.results
        ]
        outcome.errors += [
            ErrorEntry(m.file, "interrupted", "unreached module not finished: the scan was interrupted")
            for m in modules if m.file not in outcome.unreached
        ]
    finally:
        progress.finish()
    if gate.budget.refused:
        outcome.stop_reason = outcome.stop_reason or "budget"
    outcome.usage = gate.usage
    outcome.faults.add(faults_of(provider))
    outcome.faults.reasks += analyst.reasks if analyst is not None else 0
    outcome.cost_usd = cost(gate.usage, price)
    return outcome


def _file_jobs(
    analyst: Analyst, targets: dict[str, list[EntryPoint]], results: dict[str, FileResult], progress: Progress
) -> list[Coroutine[Any, Any, None]]:
    """One job per entry-point file, in the order given; the gate bounds the calls."""

    async def one(file: str, entries: list[EntryPoint]) -> None:
        start_job()
        results[file] = await analyst.analyse_file(file, entries)
        progress.file_done()

    return [one(file, entries) for file, entries in targets.items()]


def _unreached_jobs(
    analyst: Analyst, modules: Sequence[UnreachedModule], results: dict[str, FileResult], progress: Progress
) -> list[Coroutine[Any, Any, None]]:
    """One job per unreached sink module, the longest first; its calls rank after every reached file's
    (:data:`.gate.CALL_RANK`).

    A longer module tends to need more rounds: started first, its chain is not the one still
    running alone at the end of the scan while every other slot is idle.
    """

    async def one(module: UnreachedModule) -> None:
        start_job(rank=1)  # in this job's own task context only
        results[module.file] = await analyst.analyse_unreached(module)
        progress.file_done()

    longest_first = sorted(modules, key=lambda m: -analyst.index.modules[m.file].line_count)  # stable: ties keep their order
    return [one(module) for module in longest_first]


async def _all_or_none(jobs: Sequence[Coroutine[Any, Any, None]]) -> None:
    """Run *jobs* concurrently, started in the order given; when one fails or the scan is cancelled, the others
    are cancelled and awaited."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


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
