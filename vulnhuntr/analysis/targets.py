"""What one run sends to the LLM, decided before any call: entry-point files and unreached sink modules.

Planning only: the analysis runs what :func:`select_targets` chose, the report
counts coverage against :attr:`Targets.every` and says which unreached modules
were analysed or left out, and ``--dry-run`` prices the same choice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from ..config import Settings
from ..repo.callgraph import Callees
from ..repo.entrypoints import EntryPoint
from ..repo.map import RepositoryMap
from ..static import StaticResult
from .reach import SinkReach, SiteCache
from .selection import EntryContext, LeftOut, select_entries
from .unreached import UnreachedSelection, select_unreached


@dataclass(frozen=True)
class Targets:
    """The entry-point files and unreached sink modules one run analyses."""

    every: dict[str, list[EntryPoint]]  # every entry-point file in scope: coverage is counted against these
    files: dict[str, list[EntryPoint]]  # the ones analysed this run (an incremental plan, --prefilter narrow it)
    unreached: UnreachedSelection  # sink modules no entry point reaches, analysed after the files
    full: bool = True  # not narrowed by an incremental plan: the report lists the unreached modules
    deferred: int = 0  # unreached modules an incremental run leaves to the next full scan
    left_out: tuple[LeftOut, ...] = ()  # entry points given no initial pass (they read no request data)
    note: str | None = None  # the report's note on what was left out
    sink_sites: SiteCache = field(default_factory=dict, compare=False, repr=False)  # per module, for the analysis
    traced: frozenset[str] = frozenset()  # files with a static path: their chains usually open without a triage

    @property
    def planned(self) -> list[str]:
        """Every analysis of the run, in order: the entry-point files, then the unreached modules."""
        return [*self.files, *(m.file for m in self.unreached.modules)]


def select_targets(
    repository: RepositoryMap, settings: Settings, static: StaticResult | None, only: Collection[str] | None = None
) -> Targets:
    """Every entry-point file in scope, or *only* these (an incremental plan), and the unreached modules.

    With ``--prefilter`` only files where the static pass found a candidate are
    sent, and no unreached module is (no static candidate is ever found there).
    An incremental run plans by entry-point file, so unreached modules wait for a full scan.
    """
    every = targets_by_file(repository)
    files = every if only is None else {f: e for f, e in every.items() if f in only}
    if settings.analysis.prefilter and static is not None:
        files = {f: e for f, e in files.items() if static.candidates.get(f)}
    context = selection_context(repository, settings)
    reach = SinkReach(repository.index, repository.resolver, context)
    chosen = select_entries(
        files, context, reach,
        forced=repository.forced_files, candidates=static.candidates if static is not None else None,
        analyse_all=settings.analysis.all_entrypoints,
    )
    files = chosen.targets  # in order of evidence: the likely files are sent first
    quiet = {(x.entry.file, x.entry.function) for x in chosen.left_out}
    every = {f: [e for e in es if (e.file, e.function) not in quiet] for f, es in every.items()}
    selection = unreached_selection(repository, settings)
    if settings.analysis.prefilter and selection.modules:
        selection = UnreachedSelection((), tuple(m.file for m in selection.modules) + selection.left_out, selection.cap)
    traced = frozenset(f for f in files if static is not None and static.candidates.get(f))
    if only is None:
        return Targets(every, files, selection, left_out=chosen.left_out, note=chosen.note(), sink_sites=reach.sites,
                       traced=traced)
    deferred = len(selection.modules)
    if deferred:
        selection = UnreachedSelection(cap=selection.cap)
    return Targets(
        every, files, selection, full=False, deferred=deferred, left_out=chosen.left_out, note=chosen.note(),
        sink_sites=reach.sites, traced=traced,
    )


def selection_context(repository: RepositoryMap, settings: Settings) -> EntryContext:
    """What choosing entry points looks at: the call walk (as deep as the context builder's) and templates."""
    templates = repository.template_search if repository.templates.facts else None
    calls = Callees(repository.index, repository.resolver, depth=settings.performance.pruning.callee_depth)
    return EntryContext(calls, templates)


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
