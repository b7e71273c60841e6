"""The library entry point: ``scan(settings)`` runs every stage and returns plain values.

One way through, under one event loop, the provider opened and closed once::

    map -> static pass -> plan -> analyse -> build report -> save state

Each stage takes the values the earlier ones returned. ``--list-entrypoints``
and ``--dry-run`` are the same set-up stopped after the map or the plan
(:func:`survey`). The CLI is a thin layer over these functions, so everything
it can do is available to Python callers and tests without parsing arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from .analysis.progress import Progress
from .analysis.run import AnalysisOutcome, analyse
from .analysis.targets import Targets, select_targets
from .config import Settings
from .errors import ConfigError, MissingCredentials
from .findings import CacheSummary, Report
from .incremental.run import IncrementalRun
from .llm.base import Provider
from .pricing import price_for
from .llm.registry import create_provider, model_name, with_cache
from .report.build import Analysed, Touched, build_report
from .repo.map import RepositoryMap, map_repository
from .static import StaticResult, run_static
from .store import RunStats, Store
from .triage import apply_triage, load_judgements


@dataclass
class ScanResult:
    """The repository as mapped, and the report of the analysis."""

    repository: RepositoryMap
    report: Report


@dataclass
class Survey:
    """The first stages of a scan without any LLM: the map, and with ``plan=True`` what it would analyse."""

    repository: RepositoryMap
    incremental: IncrementalRun | None = None  # None unless --incremental or --since
    targets: Targets | None = None  # with plan=True: the files and modules a scan would send, as it chooses them


def scan(settings: Settings, provider: Provider | None = None, *, progress: Progress | None = None) -> ScanResult:
    """Map the repository and analyse its entry points with the configured LLM.

    *provider* overrides the one ``settings.llm`` names (tests pass a fake one).
    With ``llm: none``, or no ``llm`` chosen and no key for the default, the
    static pass's findings are the report, marked as not confirmed by an LLM.
    LLM answers come from the persistent store when the same request was answered
    before (``settings.run.refresh`` asks again and overwrites). Ctrl-C during the
    analysis returns the partial report with ``report.stop_reason == "interrupted"``;
    every answer already received is in the store for the next run.

    With ``performance.incremental.enabled``, or ``settings.run.since`` (a git ref:
    pull-request mode), only the entry-point files whose code or call chain changed
    are analysed; the others keep their previous findings (see :mod:`vulnhuntr.incremental`).
    """
    judgements = load_judgements(settings)  # a bad triage file or baseline fails before any work
    notes: list[str] = []
    if provider is None and settings.llm != "none":
        provider, notes = _provider_or_static_only(settings)  # first: a missing key fails before any work
    elif provider is None:
        notes = [STATIC_ONLY_NOTE]
    repository, report = asyncio.run(_pipeline(settings, provider, progress, notes))
    return ScanResult(repository, apply_triage(report, repository, settings, judgements))


async def _pipeline(
    settings: Settings, provider: Provider | None, progress: Progress | None, notes: list[str]
) -> tuple[RepositoryMap, Report]:
    """Every stage in order; the provider is closed at the end whatever happens."""
    async with _closing(provider):
        with _opened_store(settings, index_cache=True) as store:
            if provider is not None and settings.run.budget_usd is not None:
                _check_priced(provider, settings)
            with _interrupt_now():  # Ctrl-C stops the synchronous stages at once, as outside an event loop
                repository = map_repository(settings, store)  # unchanged files come from the store's index cache
                static = run_static(repository, repository.resolver)  # the answer without an LLM, the seeds with one
                planned = settings.incremental if provider is not None else settings.run.since is not None
                run = _plan(repository, settings, store, provider.model if provider else None) if planned else None
            if provider is None:  # the static pass is the answer; --since keeps what the diff touches
                touched = Touched(settings.run.since or "", run.plan.to_analyse) if run is not None else None
                return repository, build_report(repository, settings, static, touched=touched, notes=notes)
            report = await _analysed_report(repository, settings, provider, store, static, run, progress, notes)
            return repository, report


async def _analysed_report(
    repository: RepositoryMap,
    settings: Settings,
    provider: Provider,
    store: Store | None,
    static: StaticResult,
    run: IncrementalRun | None,
    progress: Progress | None,
    notes: list[str],
) -> Report:
    """Analyse (answers cached in the store), build the report, save the state: the stages an LLM adds."""
    caching = with_cache(provider, settings, store, refresh=settings.run.refresh)
    started = time.time()
    targets = select_targets(repository, settings, static, only=run.plan.to_analyse if run is not None else None)
    with _cancel_on_sigint():  # Ctrl-C or SIGTERM cancels the analysis, which keeps what finished
        outcome = await analyse(repository, settings, caching, targets, progress=progress, static=static)
    stats = caching.run_stats(started, price_for(provider.name, provider.model, settings.pricing))
    cached = caching.enabled and store is not None
    analysed = Analysed(
        provider.model,
        targets,
        outcome,
        reused=run.plan.reused if run is not None else (),
        incremental=run.summary() if run is not None else None,
        cache=_cache_summary(stats) if cached else None,
    )
    report = build_report(repository, settings, static, analysed, notes=notes)
    _save_state(run, outcome, report, store, stats if cached else None)
    return report


def survey(settings: Settings, *, plan: bool) -> Survey:
    """The scan's set-up stopped early, no provider created (no key needed): the map, then the plan.

    ``--list-entrypoints`` stops after the map; ``--dry-run`` after the plan: the static
    pass (its candidates keep entry points a scan would otherwise leave out, ``--prefilter``
    keeps only files with one), with ``--incremental`` or ``--since`` which files would be
    re-analysed, then the targets, chosen exactly as a scan chooses them.
    """
    with _opened_store(settings, index_cache=True) as store:
        repository = map_repository(settings, store)  # unchanged files and entry points come from the store
        if not plan:
            return Survey(repository)
        static = run_static(repository, repository.resolver)
        run = _plan(repository, settings, store, model_name(settings)) if settings.incremental else None
        targets = select_targets(repository, settings, static, only=run.plan.to_analyse if run is not None else None)
        return Survey(repository, run, targets)


def _plan(repository: RepositoryMap, settings: Settings, store: Store | None, model: str | None) -> IncrementalRun:
    """The incremental plan: identify the repository, load its previous state, diff, decide every file."""
    return IncrementalRun.begin(repository, settings, store, model=model, since=settings.run.since)


def _save_state(
    run: IncrementalRun | None, outcome: AnalysisOutcome, report: Report, store: Store | None, stats: RunStats | None
) -> None:
    """The last stage: the incremental state for the next run, and this run's cache statistics."""
    if run is not None:
        run.finish(outcome.results, complete=report.complete, store=store)
    if stats is not None and store is not None:
        store.record_run(stats)


def _cache_summary(stats: RunStats) -> CacheSummary:
    return CacheSummary(stats.hits, stats.misses, stats.saved.input_tokens, stats.saved.output_tokens, stats.saved_usd)


def _check_priced(provider: Provider, settings: Settings) -> None:
    """A budget needs a price: without one it could never stop the scan, so say how to give it."""
    if price_for(provider.name, provider.model, settings.pricing) is None:
        raise ConfigError(
            f"--budget needs the price of model {provider.model!r}, which vulnhuntr does not know: add it to the "
            f"config file, e.g. pricing: {{{provider.model}: {{input: 3.0, output: 15.0}}}} "
            "(US dollars per million tokens)"
        )


STATIC_ONLY_NOTE = (
    "LLM confirmation is off (-l none): findings come from the static pass only and are not confirmed. "
    "To confirm them, set ANTHROPIC_API_KEY (Claude), OPENAI_API_KEY or OPENAI_BASE_URL with -l gpt, "
    "or run Ollama with -l ollama."
)


def _provider_or_static_only(settings: Settings) -> tuple[Provider | None, list[str]]:
    """The configured provider; when none was chosen and the default has no key, the static pass alone."""
    try:
        return create_provider(settings), []
    except MissingCredentials as exc:
        if "llm" in settings.model_fields_set:
            raise  # the user chose this provider: a missing key is an error to fix
        return None, [f"LLM confirmation is off: {exc}. Findings come from the static pass only and are not confirmed."]


@contextlib.asynccontextmanager
async def _closing(provider: Provider | None) -> AsyncIterator[None]:
    """The provider's one ``async with``: closed when the scan ends, however it ends."""
    try:
        yield
    finally:
        if provider is not None:
            await provider.aclose()


@contextlib.contextmanager
def _opened_store(settings: Settings, *, index_cache: bool) -> Iterator[Store | None]:
    """The persistent store, when the index and answer cache or the incremental state needs it."""
    wanted = (index_cache and settings.performance.cache.enabled) or settings.incremental
    store = Store.open(settings.performance.cache.directory) if wanted else None
    try:
        yield store
    finally:
        if store is not None:
            store.close()


@contextlib.contextmanager
def _interrupt_now() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt at once during synchronous work inside the event loop.

    ``asyncio.run`` turns the first Ctrl-C into a cancellation, which code that
    never awaits would only see when it is done; mapping a big repository takes a while.
    """
    try:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread: signals are not ours to handle
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _cancel_on_sigint() -> Iterator[None]:
    """Ctrl-C or SIGTERM cancels the analysis task (which then reports what finished) instead of killing the loop."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    installed: list[tuple[signal.Signals, Any]] = []
    if task is not None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(signum)
            try:
                loop.add_signal_handler(signum, task.cancel)
            except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
                continue
            installed.append((signum, previous))
    try:
        yield
    finally:
        for signum, previous in installed:
            loop.remove_signal_handler(signum)
            if previous is not None:
                signal.signal(signum, previous)  # remove_signal_handler leaves SIG_DFL behind
