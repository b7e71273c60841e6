"""The library entry point: ``scan(settings)`` runs every stage and returns plain values.

The CLI is a thin layer over this function, so everything it can do is
available to Python callers and tests without parsing arguments.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

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


def scan(settings: Settings, provider: Provider | None = None) -> ScanResult:
    """Map the repository and analyse its entry points with the configured LLM.

    *provider* overrides the one ``settings.llm`` names (tests pass a fake one).
    With ``llm: none`` and no provider, the report lists the attack surface only.
    """
    repository = map_repository(settings)
    if provider is None and settings.llm != "none":
        provider = create_provider(settings)
    return ScanResult(repository, asyncio.run(_analyse(repository, settings, provider)))


async def _analyse(repository: RepositoryMap, settings: Settings, provider: Provider | None) -> Report:
    try:
        return await analyse(repository, settings, provider)
    finally:
        if provider is not None:
            await provider.aclose()
