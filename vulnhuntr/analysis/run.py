"""Run the LLM analysis over a mapped repository and assemble the :class:`Report`."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from .. import __version__
from ..config import Settings
from ..findings import ErrorEntry, Finding, Report, Usage
from ..llm.base import Provider
from ..llm.pricing import cost, price_for
from ..repo.entrypoints import EntryPoint
from ..repo.map import RepositoryMap
from ..repo.resolve import Resolver
from .loop import Analyst, FileResult, LoopLimits
from .readme import summarise_readme

log = logging.getLogger(__name__)


async def analyse(repository: RepositoryMap, settings: Settings, provider: Provider | None) -> Report:
    """Analyse every entry-point file; a failure of one file is an error entry, never a crash."""
    targets = targets_by_file(repository)
    report = Report(
        root=str(repository.root),
        provider=settings.llm,
        model=provider.model if provider else None,
        min_confidence=settings.min_confidence,
        entry_points_total=len(repository.entry_points),
        entry_points_analysed=0,
        skipped=[{"path": s.path, "reason": s.reason} for s in repository.skipped],
        tool_version=__version__,
    )
    if provider is None or not targets:
        report.cost_usd = 0.0
        return report
    usage = Usage()
    summary, problem = await summarise_readme(provider, repository.root, repository.readme, usage)
    if problem is not None:
        report.errors.append(problem)
    limits = LoopLimits(
        max_rounds=settings.analysis.max_rounds,
        reasks=settings.analysis.reasks,
        max_output_tokens=settings.analysis.max_output_tokens,
        workers=settings.performance.parallel.workers if settings.performance.parallel.enabled else 1,
    )
    analyst = Analyst(provider, repository.index, Resolver(repository.index), readme_summary=summary, limits=limits)
    results = await asyncio.gather(*(analyst.analyse_file(file, entries) for file, entries in sorted(targets.items())))
    usage.add(analyst.usage)
    _fill(report, results, settings.min_confidence)
    report.entry_points_analysed = sum(len(entries) for entries in targets.values())
    report.usage = usage
    report.cost_usd = cost(usage, price_for(provider.name, provider.model, settings.pricing))
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


def _fill(report: Report, results: list[FileResult], min_confidence: int) -> None:
    findings: list[Finding] = []
    errors: list[ErrorEntry] = []
    for result in results:
        findings.extend(result.findings)
        errors.extend(result.errors)
    report.findings = sorted((f for f in findings if f.confidence >= min_confidence), key=lambda f: f.sort_key)
    report.below_threshold = sum(1 for f in findings if f.confidence < min_confidence)
    report.errors.extend(sorted(errors, key=lambda e: (e.file or "", e.stage, e.reason)))


