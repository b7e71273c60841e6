"""The library entry point: ``scan(settings)`` runs every stage and returns plain values.

The CLI is a thin layer over this function, so everything it can do is
available to Python callers and tests without parsing arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .analysis.progress import Progress
from .analysis.run import analyse
from .config import Settings
from .findings import Report
from .run_summary import CacheSummary
from .incremental import IncrementalRun
from .llm.base import Provider
from .llm.pricing import price_for
from .llm.registry import create_provider, with_cache
from .errors import ConfigError, MissingCredentials
from .static import StaticResult, run_static
from .store import Store
from .triage import apply_triage, load_judgements
from .repo.map import RepositoryMap, map_repository


@dataclass
class ScanResult:
    """The repository as mapped, and the report of the analysis."""

    repository: RepositoryMap
    report: Report


def scan(
    settings: Settings,
    provider: Provider | None = None,
    *,
    progress: Progress | None = None,
    budget_usd: float | None = None,
    refresh: bool = False,
    since: str | None = None,
) -> ScanResult:
    """Map the repository and analyse its entry points with the configured LLM.

    *provider* overrides the one ``settings.llm`` names (tests pass a fake one).
    With ``llm: none``, or no ``llm`` chosen and no key for the default, the
    static pass's findings are the report, marked as not confirmed by an LLM.
    LLM answers come from the persistent store when the same request was answered
    before (``refresh`` asks again and overwrites). Ctrl-C during the analysis
    returns the partial report with ``report.stop_reason == "interrupted"``;
    every answer already received is in the store for the next run.

    With ``performance.incremental.enabled``, or *since* (a git ref: pull-request
    mode), only the entry-point files whose code or call chain changed are
    analysed; the others keep their previous findings (see :mod:`vulnhuntr.incremental`).
    """
    judgements = load_judgements(settings)  # a bad triage file or baseline fails before any work
    notes: list[str] = []
    if provider is None and settings.llm != "none":
        provider, notes = _provider_or_static_only(settings)  # first: a missing key fails before any work
    elif provider is None:
        notes = [STATIC_ONLY_NOTE]
    incremental = settings.performance.incremental.enabled or since is not None
    store = Store.open(settings.performance.cache.directory) if settings.performance.cache.enabled or incremental else None
    analysing = False  # from then on the analysis owns the provider and closes it on its own event loop
    try:
        if provider is not None and budget_usd is not None:
            _check_priced(provider, settings)
        repository = map_repository(settings, store)  # unchanged files come from the store's index cache
        static = run_static(repository, repository.resolver)  # the answer without an LLM, the seeds with one
        if provider is None:
            report = asyncio.run(_analyse(repository, settings, None, progress, budget_usd, static=static))
            report.notes.extend(notes)
            if since is not None:
                report = _only_touched(report, IncrementalRun.begin(repository, settings, store, model=None, since=since))
        else:
            run = IncrementalRun.begin(repository, settings, store, model=provider.model, since=since) if incremental else None
            analysing = True
            report = _analyse_with_store(repository, settings, provider, store, static, progress, budget_usd, refresh, run)
    finally:
        if provider is not None and not analysing:
            asyncio.run(provider.aclose())
        if store is not None:
            store.close()
    return ScanResult(repository, apply_triage(report, repository, settings, judgements))


def _only_touched(report: Report, run: IncrementalRun) -> Report:
    """Pull-request mode without an LLM: the static findings of the entry-point files the diff touches."""
    touched = run.plan.to_analyse
    kept = [f for f in report.findings if f.entry_file in touched]
    note = (f"--since {run.since}: static findings of the {len(touched)} entry-point file(s) the diff touches "
            f"(directly or through the code they call); {len(report.findings) - len(kept)} others not reported")
    return dataclasses.replace(report, findings=kept, notes=[*report.notes, note])


def _check_priced(provider: Provider, settings: Settings) -> None:
    """A budget needs a price: without one it could never stop the scan, so say how to give it."""
    if price_for(provider.name, provider.model, settings.pricing) is None:
        raise ConfigError(
            f"--budget needs the price of model {provider.model!r}, which vulnhuntr does not know: add it to the "
            f"config file, e.g. pricing: {{{provider.model}: {{input: 3.0, output: 15.0}}}} "
            "(US dollars per million tokens)"
        )


def _analyse_with_store(
    repository: RepositoryMap,
    settings: Settings,
    provider: Provider,
    store: Store | None,
    static: StaticResult,
    progress: Progress | None,
    budget_usd: float | None,
    refresh: bool,
    run: IncrementalRun | None,
) -> Report:
    """The LLM analysis with the answer cache and, when asked, the incremental state."""
    caching = with_cache(provider, settings, store, refresh=refresh)
    started = time.time()
    report = asyncio.run(_analyse(repository, settings, caching, progress, budget_usd, run, static=static))
    if run is not None:
        run.finish(report, store)
    if caching.enabled and store is not None:
        stats = caching.run_stats(started, price_for(provider.name, provider.model, settings.pricing))
        store.record_run(stats)
        report.cache = CacheSummary(
            stats.hits, stats.misses, stats.saved.input_tokens, stats.saved.output_tokens, stats.saved_usd
        )
    return report


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


async def _analyse(
    repository: RepositoryMap,
    settings: Settings,
    provider: Provider | None,
    progress: Progress | None,
    budget_usd: float | None,
    run: IncrementalRun | None = None,
    *,
    static: StaticResult | None = None,
) -> Report:
    narrowed: dict[str, Any] = {} if run is None else {"only": run.plan.to_analyse, "reused": run.plan.reused, "results": run.results}
    try:
        with _cancel_on_sigint():
            return await analyse(
                repository, settings, provider, progress=progress, budget_usd=budget_usd, static=static, **narrowed
            )
    finally:
        if provider is not None:
            await provider.aclose()


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
