"""The library entry point: ``scan(settings)`` runs every stage and returns plain values.

The CLI is a thin layer over this function, so everything it can do is
available to Python callers and tests without parsing arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass

from .analysis.progress import Progress
from .analysis.run import analyse
from .config import Settings
from .findings import Report
from .llm.base import Provider
from .llm.registry import create_provider
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
) -> ScanResult:
    """Map the repository and analyse its entry points with the configured LLM.

    *provider* overrides the one ``settings.llm`` names (tests pass a fake one).
    With ``llm: none`` and no provider, the report lists the attack surface only.
    Ctrl-C during the analysis returns the partial report with
    ``report.stop_reason == "interrupted"`` instead of raising.
    """
    repository = map_repository(settings)
    if provider is None and settings.llm != "none":
        provider = create_provider(settings)
    report = asyncio.run(_analyse(repository, settings, provider, progress, budget_usd))
    return ScanResult(repository, report)


async def _analyse(
    repository: RepositoryMap,
    settings: Settings,
    provider: Provider | None,
    progress: Progress | None,
    budget_usd: float | None,
) -> Report:
    try:
        with _cancel_on_sigint():
            return await analyse(repository, settings, provider, progress=progress, budget_usd=budget_usd)
    finally:
        if provider is not None:
            await provider.aclose()


@contextlib.contextmanager
def _cancel_on_sigint() -> Iterator[None]:
    """Ctrl-C cancels the analysis task (which then reports what finished) instead of killing the loop."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    try:
        loop.add_signal_handler(signal.SIGINT, task.cancel) if task is not None else None
        installed = task is not None
    except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
        installed = False
    try:
        yield
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGINT)
