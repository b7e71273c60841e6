"""Entry points that reach a dangerous call of a type: evidence beside the taint paths.

The static pass's taint paths are one kind of evidence that a handler matters
for a vulnerability type; they are incomplete (a value marked safe by a helper,
a flow through code the pass cannot follow). A handler whose own code, or code
it calls, holds a call from the sink tables of that type with a non-literal
argument (:func:`.unreached.sink_sites`, the same test that picks unreached
modules) is evidence too: a chain judging the type keeps such handlers in view even when
no taint path and no pointer of the initial answer names them.

Planning uses it first (which files go first, which routes need no initial
pass), with the resolver's callee walk (:class:`vulnhuntr.repo.callgraph.Callees`);
the analysis then asks it, with its context builder, for each chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..findings import VulnType
from ..repo.entrypoints import EntryPoint
from ..repo.index import RepoIndex
from ..repo.resolve import Resolver, Symbol
from .unreached import SinkSite, sink_sites


class Reaches(Protocol):
    """What says which definitions an entry point calls: the planning's ``Callees``, the analysis's context builder."""

    def reachable(self, file: str, entry: EntryPoint) -> list[Symbol]: ...


SiteCache = dict[str, dict[str, tuple[SinkSite, ...]]]
"""Sink sites by module and by function (:func:`.unreached.sink_sites`)."""


@dataclass
class SinkReach:
    """Which entry points reach a sink site of which type (memoised per module and per entry point)."""

    index: RepoIndex
    resolver: Resolver
    context: Reaches
    sites: SiteCache = field(default_factory=dict)  # shareable: it depends on the module and the resolver only
    _types: dict[tuple[str, str], frozenset[VulnType]] = field(default_factory=dict)

    def entries_reaching(self, file: str, entry_points: Sequence[EntryPoint], vuln_type: VulnType) -> list[EntryPoint]:
        """The entry points of *file* whose code or callees hold a sink site of *vuln_type*."""
        return [e for e in entry_points if vuln_type in self.types(file, e)]

    def types(self, file: str, entry: EntryPoint) -> frozenset[VulnType]:
        key = (file, entry.function)
        if key not in self._types:
            scopes = [(file, entry.function)] + [(s.file, s.qualname) for s in self.context.reachable(file, entry)]
            found: set[VulnType] = set()
            for where, qualname in scopes:
                for function, sites in self._by_function(where).items():
                    if function == qualname or function.startswith(qualname + "."):
                        found.update(s.vuln_type for s in sites)
            self._types[key] = frozenset(found)
        return self._types[key]

    def holds(self, symbol: Symbol, vuln_type: VulnType | None = None) -> bool:
        """Whether *symbol*'s own body (nested scopes included) holds a sink site of *vuln_type* (None: of any type)."""
        for function, sites in self._by_function(symbol.file).items():
            if function == symbol.qualname or function.startswith(symbol.qualname + "."):
                if vuln_type is None or any(s.vuln_type == vuln_type for s in sites):
                    return True
        return False

    def _by_function(self, file: str) -> dict[str, tuple[SinkSite, ...]]:
        if file not in self.sites:
            module = self.index.modules.get(file)
            grouped: dict[str, list[SinkSite]] = {}
            for site in sink_sites(module, self.resolver) if module is not None else ():
                grouped.setdefault(site.function, []).append(site)
            self.sites[file] = {name: tuple(sites) for name, sites in grouped.items()}
        return self.sites[file]
