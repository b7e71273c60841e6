"""The analysis loop: an initial pass per entry-point file, then one chain of rounds on its suspected types.

Where the static pass already traced a path (or an unreached module's sinks say which
types), the triage is skipped when the chain's first round costs little more than it
would: the chain opens at once on the evidence's types, its first round shows what a
triage would have seen and may name further types, which join from the next round on.

Each round shows the model the entry-point file plus every definition it asked
for so far; the names it requests next are resolved through the repository
index (once per run, shared across rounds and files). A chain judges every type
the initial pass or the static pass suspects, each with its guidance and a
verdict of its own, so the code a path needs is fetched and sent once, not once
per type. It stops when the model asks for nothing new, only for what was shown
or cannot be found, or reaches the round limit; its last answer is kept either
way. A chain starts with the callees :mod:`.shown` picks for any of its types
(the others named in one line), and every round's prompt starts with the
previous round's stable part (:mod:`.prompts`).

The initial pass also sees the definitions the entry points call directly
(those no static path runs through), so a sink one call away can raise its
type. A chain keeps whole, for each of its types, the handlers the static pass
traced, the ones the initial answer pointed at, and the ones reaching a
dangerous call of the type (:mod:`.reach`); only the rest become markers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..config import PruningSettings
from ..errors import AnswerError, ProviderConfigError, ProviderError
from ..findings import ErrorEntry, Finding, VulnType
from ..llm.base import Completer
from ..repo.entrypoints import EntryPoint
from ..repo.index import RepoIndex
from ..repo.resolve import Resolver, Symbol
from ..results import FileResult
from ..static import Candidate
from ..tokens import approx_tokens
from . import prompts
from .context import ContextBuilder, FileView
from .gate import BudgetExhausted
from .locate import Region, locate
from .placing import Placer
from .opening import Opening, Part, sink_text
from .reach import SinkReach, SiteCache
from .asking import Asker, LoopLimits
from .response import AnalysisAnswer, ContextCode, answer_schema, for_type
from .shown import named_lines
from .unreached import UnreachedModule

log = logging.getLogger(__name__)


@dataclass
class _Chain:
    """The state of one view's chain of rounds, on every type the initial pass or the static pass suspects."""

    types: tuple[VulnType, ...]
    context: dict[tuple[str, str], Symbol] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    requests_seen: set[frozenset[str]] = field(default_factory=set)
    standing: int = 0  # notes[:standing] are the chain's own (stable across rounds); later ones follow the code
    others: tuple[str, ...] = ()  # callees named in one line, not shown (the model may ask for them)
    opened: bool = False  # no initial pass came first: the first round also triages (it may add types)
    answers: int = 0  # rounds answered
    callees: list[Symbol] = field(default_factory=list)  # the entry points' direct callees a triage is shown

    @property
    def label(self) -> str:
        """The chain's types as the report's errors name them: ``SQLI`` or ``SQLI,XSS``."""
        return ",".join(t.value for t in self.types)


class Analyst:
    """Runs the loop for entry-point files with one provider and one repository index.

    *provider* is anything with the provider interface; the engine passes its
    call gate (bounded concurrency, budget, progress) so the loop need not know.
    """

    def __init__(
        self,
        provider: Completer,
        index: RepoIndex,
        resolver: Resolver,
        *,
        readme_summary: str | None,
        limits: LoopLimits,
        context: ContextBuilder | None = None,
        seeds: Mapping[str, Sequence[Candidate]] | None = None,
        sink_sites: SiteCache | None = None,
        always_initial_pass: bool = False,
    ) -> None:
        self.asker = Asker(provider, prompts.system_prompt(readme_summary), answer_schema(), limits)
        self.ask = self.asker.ask
        self.index = index
        self.resolver = resolver
        self.limits = limits
        self.context = context or ContextBuilder(index, resolver, PruningSettings(enabled=False), depth=0)
        self.seeds = seeds or {}  # static-pass candidates by entry-point file
        self.always_initial_pass = always_initial_pass  # no chain opens without a triage
        self.reach = SinkReach(index, resolver, self.context, sink_sites if sink_sites is not None else {})  # by type
        self.placer = Placer(index, self.context)  # where a confirmed vulnerability is reported
        # what every prompt carries besides code: system, guidance, schema, instructions, the answer
        self._fixed_tokens = self.asker.fixed_tokens + 600 + limits.max_output_tokens
        self.opening = Opening(index, resolver, self.context, self.reach, self.seeds, self._fixed_tokens)

    @property
    def reasks(self) -> int:
        """Answers that did not validate and were asked again, for the report's summary."""
        return self.asker.reasks

    # a file ------------------------------------------------------------------------
    async def analyse_file(
        self, file: str, entry_points: Sequence[EntryPoint], unreached: UnreachedModule | None = None
    ) -> FileResult:
        """Initial pass, then one chain on the suspected types, per view; an unexpected failure stays in this file.

        With *unreached*, the file is a module no entry point reaches: its sink-holding
        functions stand in for entry points and their parameters are treated as user input.
        """
        try:
            return await self._analyse_file(file, entry_points, unreached)
        except (ProviderConfigError, asyncio.CancelledError):
            raise
        except Exception as exc:  # noqa: BLE001 - one file's failure must not end the scan
            log.error("analysis of %s failed: %s: %s", file, type(exc).__name__, exc)
            log.debug("analysis of %s failed", file, exc_info=True)  # the traceback only with -vv
            error = ErrorEntry(file, "analysis", f"internal error: {type(exc).__name__}: {exc}")
            return FileResult(file, errors=[error], unanalysed={e.function for e in entry_points}, concluded=False)

    async def analyse_unreached(self, module: UnreachedModule) -> FileResult:
        """A module no entry point reaches, on its own; its findings say so (``reached`` False)."""
        result = await self.analyse_file(module.file, module.entry_points(self.index.modules[module.file]), module)
        result.findings = [replace(f, reached=False) for f in result.findings]
        return result

    async def _analyse_file(
        self, file: str, entry_points: Sequence[EntryPoint], unreached: UnreachedModule | None = None
    ) -> FileResult:
        result = FileResult(file)
        result.context_files.add(file)
        concluded = False
        for view in self.context.views(file, entry_points, self._fixed_tokens):
            concluded = await self._analyse_view(view, result, unreached) or concluded
        result.concluded = concluded
        return result

    async def _analyse_view(
        self, view: FileView, result: FileResult, unreached: UnreachedModule | None = None
    ) -> bool:
        """Initial pass over one view of the file, then one chain on every suspected type.

        A view with evidence (a static taint path, or an unreached module's sinks) needs no
        triage: its chain opens at once and its first round may add the types it suspects.
        False when nothing was answered: the view's entry points were not analysed.
        """
        initial: AnalysisAnswer | None = None
        parts = self._opening_parts(view, unreached)
        if parts is None:
            initial = await self._initial_pass(view, result, unreached)
            if initial is None:
                return False
        suspected = self._suspected(view, initial, unreached)
        if not suspected:
            return True
        # one chain judges every suspected type: the rounds a type needs are shared by all
        chain, findings, errors = await self._run_chain(view, tuple(suspected), initial, unreached, parts)
        result.findings.extend(findings)
        result.errors.extend(errors)
        result.context_files |= {symbol.file for symbol in chain.context.values()}
        if chain.opened and not chain.answers:
            result.unanalysed.update(e.function for e in view.entry_points)
            return False
        return True

    async def _initial_pass(
        self, view: FileView, result: FileResult, unreached: UnreachedModule | None
    ) -> AnalysisAnswer | None:
        """The triage answer: which types deserve a chain; None (with the error recorded) when it failed."""
        names = [e.function for e in view.entry_points]
        if unreached is None:
            described = [e.describe() for e in view.entry_points]  # non-routes say their kind
            callees, others = self.opening.initial_callees(view)
            result.context_files |= {symbol.file for symbol in callees}  # shown, so the analysis depends on them
            request, points = prompts.initial_request(view.file, view.code, described, view.templates, callees, others)
        else:
            shown = [s for s in unreached.sinks if s.function in names]
            request = prompts.unreached_request(view.file, view.code, names, [sink_text(s) for s in shown])
            points = (len(prompts.view_block(view.file, view.code)),)
        try:
            return await self.ask(request, points)
        except ProviderConfigError:
            raise
        except BudgetExhausted as exc:
            result.errors.append(ErrorEntry(view.file, "budget", f"not analysed: {exc}"))
        except (ProviderError, AnswerError) as exc:
            result.errors.append(ErrorEntry(view.file, "llm", f"initial analysis failed: {exc}"))
        result.unanalysed.update(names)
        return None

    def _opening_parts(self, view: FileView, unreached: UnreachedModule | None) -> list[Part] | None:
        """The parts of a chain that opens at once, its first round standing in for the initial pass; None: triage first.

        It opens when there is evidence of which types to judge and that round costs at most
        :data:`OPENING_SIZE_RATIO` times what a triage would (an unreached module's triage is
        the module alone, its chain little more). A large view's round (the callees of every
        type shown) can cost several triages, and a type the first look adds costs another
        whole round: there the triage is worth its call.
        """
        if self.always_initial_pass or not self._evidence(view, unreached):
            return None
        types = self._suspected(view, None, unreached)
        callees = self.opening.initial_callees(view)[0] if unreached is None else []
        parts = [self.opening.part(view, t, _NOTHING, unreached, callees) for t in types]
        if unreached is not None:
            return parts
        shown = {(s.file, s.qualname): s for s in [*callees, *(s for part in parts for s in part.shown)] if not view.shows(s)}
        base = self.asker.fixed_tokens + approx_tokens(view.code + view.templates)
        triage = base + sum(approx_tokens(s.source) for s in callees)
        opening = base + approx_tokens(prompts.types_guidance(types)) + sum(approx_tokens(s.source) for s in shown.values())
        return parts if opening <= OPENING_SIZE_RATIO * triage else None

    def _evidence(self, view: FileView, unreached: UnreachedModule | None) -> list[VulnType]:
        """The types the static pass traced in the view, then (unreached modules) their sinks' types."""
        found = _ordered({c.vuln_type for c in self.opening.seeds_of(view)})
        if unreached is not None:  # its sinks are the evidence the static seeds are for reached files
            names = {e.function for e in view.entry_points}
            found += _ordered({s.vuln_type for s in unreached.sinks if s.function in names} - set(found))
        return found

    def _suspected(self, view: FileView, initial: AnalysisAnswer | None, unreached: UnreachedModule | None) -> list[VulnType]:
        """The initial answer's types, then the evidence's; without an initial pass, also the sink tables' types.

        A chain opened on evidence is judged on every type a handler of the view reaches a
        dangerous call of (:mod:`.reach`): what a triage would have looked at first.
        """
        suspected = list(initial.vulnerability_types) if initial is not None and initial.confidence_score > 0 else []
        suspected += [t for t in self._evidence(view, unreached) if t not in suspected]
        if initial is None and unreached is None:
            reached = set().union(*(self.reach.types(view.file, e) for e in view.entry_points))
            suspected += _ordered(reached - set(suspected))
        return suspected

    async def _run_chain(
        self, view: FileView, types: tuple[VulnType, ...], initial: AnalysisAnswer | None,
        unreached: UnreachedModule | None = None, parts: list[Part] | None = None,
    ) -> tuple[_Chain, list[Finding], list[ErrorEntry]]:
        """The view's chain: what each type would keep in view (:mod:`.opening`), shown together, judged type by type.

        Without an *initial* answer the chain opens on evidence: the whole view stays in
        view and the entry points' direct callees are shown, as a triage would have seen them;
        its *parts* were found when deciding that (:meth:`_opening_parts`).
        """
        shown_initially = self.opening.initial_callees(view)[0] if unreached is None else []  # once, for every type
        chain = _Chain(types, opened=initial is None, callees=shown_initially)
        if unreached is not None:
            chain.notes.append(prompts.unreached_note([e.function for e in view.entry_points]))
        elif chain.opened:  # what an initial pass would have said: which functions take remote input, of what kind
            chain.notes.append(prompts.entry_points_note(view.entry_points))
        self._show(chain, view, self.context.companions.decorating(view.file, view.entry_points))
        if parts is None:
            parts = [self.opening.part(view, t, initial or _NOTHING, unreached, shown_initially) for t in types]
        if initial is not None and all(part.focus is not None for part in parts):  # every type keeps only some handlers
            kept = {e.function for part in parts for e in part.focus or ()}
            view = self.context.focus(view, [e for e in view.entry_points if e.function in kept])
        self._add_parts(chain, view, parts)
        chain.notes.extend(n for n in self.context.dispatch_notes(view) if n not in chain.notes)  # every target named
        if chain.opened:
            self._show(chain, view, shown_initially)
        if self.context.pruning.enabled:  # --no-prune: whole files, the model asks for everything itself
            unshown = [s for part in parts for s in part.named if s.file != view.file]  # the view's markers name its own
            chain.others = named_lines(unshown, exclude=chain.context)
        findings, errors = await self._rounds(chain, view, initial, unreached)
        return chain, findings, errors

    def _add_parts(self, chain: _Chain, view: FileView, parts: Sequence[Part]) -> None:
        """The notes and definitions the types' parts bring, each once, after what the chain already has."""
        for part in parts:
            chain.notes.extend(n for n in part.notes if n not in chain.notes)
        for part in parts:
            self._show(chain, view, part.shown)

    def _show(self, chain: _Chain, view: FileView, symbols: Sequence[Symbol]) -> None:
        """Add *symbols* to the chain's context, each after its companions (class head, small decorators), each once."""
        for symbol in self.context.companions.with_companions(symbols):
            key = (symbol.file, symbol.qualname)
            if not view.shows(symbol) and key not in chain.context:
                chain.context[key] = symbol

    async def _rounds(
        self, chain: _Chain, view: FileView, initial: AnalysisAnswer | None, unreached: UnreachedModule | None
    ) -> tuple[list[Finding], list[ErrorEntry]]:
        file = view.file
        if initial is not None:
            self._add_context(chain, view, initial.context_code)
        chain.standing = len(chain.notes)  # what the chain starts with stays in the stable part of every round
        previous = initial.analysis if initial is not None else ""
        answer: AnalysisAnswer | None = None
        for round_number in range(1, self.limits.max_rounds + 1):
            text, stable = self._type_request(chain, view, previous, first=round_number == 1)
            try:
                answer = await self.ask(text, stable)
            except ProviderConfigError:
                raise
            except BudgetExhausted as exc:
                reason = f"{chain.label} chain stopped before round {round_number}: {exc}"
                error = ErrorEntry(file, "budget", reason, vuln_type=chain.label)
                return (self._findings(view, answer, chain) if answer else []), [error]
            except (ProviderError, AnswerError) as exc:
                return (self._findings(view, answer, chain) if answer else []), [self._failure(chain, file, round_number, exc)]
            chain.answers += 1
            previous = answer.analysis
            wants_more = self._wants_more(chain, view, answer.context_code)
            added = chain.opened and round_number == 1 and self._after_opening(chain, view, answer, unreached)
            if not (wants_more or added):
                break
        return (self._findings(view, answer, chain) if answer else []), []

    @staticmethod
    def _failure(chain: _Chain, file: str, round_number: int, exc: Exception) -> ErrorEntry:
        """A failed round; a chain opened without an initial pass that got no answer at all left the view unanalysed."""
        if chain.opened and not chain.answers:
            reason = f"analysis failed in its first round ({chain.label}): {exc}"
        else:
            reason = f"{chain.label} round {round_number} failed: {exc}"
        return ErrorEntry(file, "llm", reason, vuln_type=chain.label)

    def _after_opening(
        self, chain: _Chain, view: FileView, answer: AnalysisAnswer, unreached: UnreachedModule | None
    ) -> bool:
        """What an opening round's answer does to the rest of its chain, as an initial answer would have.

        The types it suspects beyond the chain's are judged from the next round on, with
        their guidance, and what it pointed at is shown. The view stays whole: narrowing it
        now would change the start every later prompt shares (the providers' cached prefix).
        True when types were added: they need a round even if no code was asked for.
        """
        new = tuple(t for t in answer.vulnerability_types if t not in chain.types) if answer.confidence_score > 0 else ()
        chain.types += new
        parts = [self.opening.part(view, t, answer, unreached, chain.callees) for t in chain.types]
        before = len(chain.notes)
        self._add_parts(chain, view, parts)
        added, later = chain.notes[before:], chain.notes[chain.standing:before]  # the round's own notes stay last
        chain.notes[chain.standing:] = added + later
        chain.standing += len(added)
        return bool(new)

    def _type_request(self, chain: _Chain, view: FileView, previous: str, first: bool = True) -> tuple[str, tuple[int, ...]]:
        """The round's prompt with as much context as the budget allows, farthest definitions dropped first.

        The callees named but not shown go with the first round only: the model asks for them then or not at all.
        """
        others = chain.others if first else ()
        triage = first and chain.opened
        guidance = prompts.types_guidance(chain.types) if len(chain.types) > 1 else ""  # one type's is in the fixed part
        used = self._fixed_tokens + approx_tokens(view.code + view.templates + previous + "".join(others) + guidance)
        kept, dropped = self.context.fit(list(chain.context.values()), used)
        notes = list(chain.notes)
        if dropped:
            names = ", ".join(f"{s.qualname} ({s.file})" for s in dropped)
            notes.append(f"left out to stay within the prompt budget (ask again if needed): {names}")
        return prompts.type_request(
            chain.types, view.file, view.code, kept, previous, notes, view.templates, chain.standing, others, triage
        )

    # context -----------------------------------------------------------------------
    def _wants_more(self, chain: _Chain, view: FileView, requested: Sequence[ContextCode]) -> bool:
        """Fetch what the model asked for; False when it asked for nothing new or repeated itself.

        A request of names all asked for before (shown since, or not found) ends the chain
        without another round, as does one where nothing asked for could be found or was
        not already shown.
        """
        names = frozenset(item.name for item in requested)
        if not names or names <= frozenset().union(*chain.requests_seen):
            return False
        chain.requests_seen.add(names)
        return self._add_context(chain, view, requested) > 0

    def _add_context(self, chain: _Chain, view: FileView, requested: Sequence[ContextCode]) -> int:
        added = 0
        file = view.file
        regions = self._regions(file, chain)
        for item in requested:
            place = locate(item.code_line, regions) if item.code_line else None
            resolution = self.resolver.resolve(item.name, place.file if place else file, place.line if place else None)
            symbol = resolution.symbol
            if symbol is None:
                note = f"{item.name}: {resolution.reason}"
                if note not in chain.notes:
                    chain.notes.append(note)
                continue
            key = (symbol.file, symbol.qualname)
            if view.shows(symbol) or key in chain.context:
                continue  # already visible in the file being analysed, or already fetched
            self._show(chain, view, [symbol])
            added += 1
        return added

    def _findings(self, view: FileView, answer: AnalysisAnswer, chain: _Chain) -> list[Finding]:
        """The last answer's findings, type by type: each type's verdict, sinks and static seeds."""
        regions = self._regions(view.file, chain)
        shown = list(chain.context.values())
        if len(chain.types) == 1 and set(answer.vulnerability_types) <= set(chain.types):  # that type alone, as asked
            vuln_type = chain.types[0]
            return self.placer.findings(view, vuln_type, answer, regions, shown, self.opening.seeds_of(view, vuln_type))
        found: list[Finding] = []
        for vuln_type in chain.types:
            found += self.placer.findings(view, vuln_type, for_type(answer, vuln_type), regions, shown, self.opening.seeds_of(view, vuln_type))
        return found

    def _regions(self, file: str, chain: _Chain) -> list[Region]:
        module = self.index.modules[file]
        regions = [Region(module, 1, module.line_count)]
        for symbol in chain.context.values():
            other = self.index.modules.get(symbol.file)
            if other is not None:
                regions.append(Region(other, symbol.start_line, symbol.end_line))
        return regions


OPENING_SIZE_RATIO = 2.0
"""A chain opens without an initial pass when its first round is at most this many times a triage's size.

Opening saves the triage call and costs one more round when the first look adds a type:
it pays while that happens in fewer than one chain in this many (about every other one
for the simulated model of ``bench/versus.py``, which names every type whose sink call it sees)."""

_NOTHING = AnalysisAnswer()
"""The initial answer of a chain opened on evidence: it points at nothing."""


def _ordered(types: set[VulnType]) -> list[VulnType]:
    """*types* in the report's order of types."""
    return sorted(types, key=list(VulnType).index)
