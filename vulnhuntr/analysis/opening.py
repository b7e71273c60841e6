"""How a file's chain opens: for each suspected type, the handlers kept whole, the code shown, the callees named.

A chain judges several types at once; each type contributes what it would keep
in view (:class:`Part`): the handlers the static pass traced for it, the ones the
initial answer pointed at, the ones reaching a dangerous call of the type
(:mod:`.reach`), the definitions on its static paths or fed request data
(:mod:`.shown`), and its notes. The chain shows the union.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..findings import VulnType
from ..repo.entrypoints import EntryPoint
from ..repo.index import RepoIndex
from ..repo.resolve import Resolver, Symbol
from ..static import Candidate
from ..tokens import approx_tokens
from . import prompts
from .context import ContextBuilder, FileView
from .reach import SinkReach
from .response import AnalysisAnswer
from .shown import callees_of, direct_of, fed_by, named_lines, path_symbols, small, split_callees
from .suspicion import Pointed, pointed_at, quoted_in
from .unreached import SinkSite, UnreachedModule

INITIAL_CALLEE_TOKENS = 1_000  # at most this many tokens of an initial prompt show the entry points' direct callees


@dataclass
class Part:
    """What one suspected type asks of its view's chain (:meth:`Opening.part`)."""

    focus: list[EntryPoint] | None = None  # the handlers this type keeps whole; None: the whole view
    shown: list[Symbol] = field(default_factory=list)  # definitions shown from the first round, in order
    named: list[Symbol] = field(default_factory=list)  # callees named in one line, not shown
    notes: list[str] = field(default_factory=list)


@dataclass
class Opening:
    """What the chains of one repository start with, from its index, the static seeds and the sink tables."""

    index: RepoIndex
    resolver: Resolver
    context: ContextBuilder
    reach: SinkReach
    seeds: Mapping[str, Sequence[Candidate]]  # static-pass candidates by entry-point file
    fixed_tokens: int  # what every prompt carries besides code

    def seeds_of(self, view: FileView, vuln_type: VulnType | None = None) -> list[Candidate]:
        """The static candidates of the view's entry points (of *vuln_type*, or of every type)."""
        names = {e.function for e in view.entry_points}
        return [
            c for c in self.seeds.get(view.file, ())
            if c.entry_function in names and (vuln_type is None or c.vuln_type == vuln_type)
        ]

    def pointed_symbols(self, view: FileView, pointed: Pointed) -> list[Symbol]:
        """Definitions the initial answer pointed at for a type, by name or by line."""
        symbols = [self.resolver.resolve(name, view.file).symbol for name in pointed.names]
        symbols += [self.context.definition_at(view.file, line) for line in sorted(pointed.lines)]
        return [s for s in symbols if s is not None and s.kind != "module"]

    def initial_callees(self, view: FileView) -> tuple[list[Symbol], tuple[str, ...]]:
        """What the entry points call directly, for the initial pass to triage, and one-line names of the rest.

        A definition a static path runs through is only named: that path's type gets its
        chain whatever the initial pass says. The rest is shown, in order, as far as a
        small share of the prompt allows; what does not fit is named. None with ``--no-prune``.
        """
        if not self.context.pruning.enabled:
            return [], ()
        traced = {(s.file, s.qualname) for s in path_symbols(self.context, self.seeds_of(view))}
        near = self.context.companions.with_companions(self.context.near_callees(view))
        used = self.fixed_tokens + approx_tokens(view.code + view.templates)
        kept, _dropped = self.context.fit([s for s in near if (s.file, s.qualname) not in traced], used, used + INITIAL_CALLEE_TOKENS)
        return kept, named_lines([s for s in near if s.file != view.file], exclude={(s.file, s.qualname) for s in kept})

    def part(
        self, view: FileView, vuln_type: VulnType, initial: AnalysisAnswer, unreached: UnreachedModule | None,
        initially_shown: Sequence[Symbol] = (),
    ) -> Part:
        """What one type asks of the chain: handlers kept whole, code shown, callees named, notes.

        *initially_shown* are the callees the initial pass was shown (:meth:`initial_callees`), where a line it
        quoted may come from.
        """
        part = Part()
        if unreached is not None:
            names = [e.function for e in view.entry_points]
            sinks = [s for s in unreached.sinks if s.vuln_type == vuln_type and s.function in names]
            part.notes += [f"dangerous call: {sink_text(s)}" for s in sinks]
        seeds = self.seeds_of(view, vuln_type)
        pointed = pointed_at(initial, vuln_type, self.index.modules[view.file], view.entry_points)
        quoted = quoted_in(initial, vuln_type, initially_shown, self.index.modules) if unreached is None else []
        if quoted:  # a line it quoted from a callee it was shown: that callee, and the handlers calling it, stay
            keys = {(s.file, s.qualname) for s in quoted}
            callers = {e.function for e in view.entry_points if keys & {(s.file, s.qualname) for s in callees_of(self.context, view, [e])}}
            pointed = replace(pointed, entry_functions=pointed.entry_functions | callers)
        if seeds:  # the static pass traced this type: its entry points, its path and a note, first
            seeded = {c.entry_function for c in seeds}
            # ... and whatever the initial answer pointed at for this type stays whole beside them,
            suspected = [e for e in view.entry_points if e.function in pointed.entry_functions - seeded]
            # ... and so does a handler reaching a dangerous call of the type that no taint path explains
            kept = seeded | {e.function for e in suspected}
            suspected += [e for e in self.reach.entries_reaching(view.file, view.entry_points, vuln_type) if e.function not in kept]
            part.focus = [e for e in view.entry_points if e.function in seeded] + suspected
            focused = self.context.focus(view, part.focus)
            part.notes.extend(prompts.static_hint(c) for c in seeds)
            path = path_symbols(self.context, seeds)
            walked = callees_of(self.context, focused, suspected)
            near = direct_of(self.context, focused, suspected)
            also_called = callees_of(self.context, focused, [e for e in view.entry_points if e.function in seeded])
        else:
            path, walked, also_called = [], self.context.callees(view), []
            near = self.context.direct(view)
        if self.context.pruning.enabled:
            fed = fed_by(self.context, seeds) | near  # request data flows in, or the first calls the model reads
            if unreached is not None:  # every parameter is treated as attacker-controlled: any callee may get it
                fed |= {(s.file, s.qualname) for s in walked}
            shown, named = split_callees(walked, fed, lambda s: self.reach.holds(s, vuln_type))
            part.shown += path + shown + [s for s in also_called if small(s)]
            part.named = named + [s for s in also_called if not small(s)]
        part.shown += self.pointed_symbols(view, pointed) + quoted
        return part


def sink_text(site: SinkSite) -> str:
    return f"{site.call} in {site.function} at line {site.line}"
