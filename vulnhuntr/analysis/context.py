"""Which code the model sees: the entry-point file pruned to what matters, and its callees.

Sending whole files and letting the model ask for every helper wastes tokens
twice: on code no route reaches, and on a round trip per helper the resolver
could have fetched. This module

* prunes an entry-point file to its entry points, the module-level code they
  depend on and class headers (:mod:`.pruning`), leaving one-line markers that
  name what was left out (the model can still ask for it by name);
* pre-resolves the in-repo callees of the entry points, ordered by call
  distance, so the first type-specific prompt already holds the likely path
  (the direct ones, :meth:`ContextBuilder.near_callees`, also go to the initial pass);
* fits definitions into a token budget, dropping the farthest first and saying
  so in the prompt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ..config import PruningSettings
from ..repo.entrypoints import EntryPoint
from ..repo.callgraph import DISPATCH_SHOWN as DISPATCH_SHOWN  # where it always was imported from
from ..repo.callgraph import Callees
from ..repo.index import ModuleIndex, RepoIndex
from ..repo.rendering import TemplateSearch
from ..repo.resolve import Resolver, Symbol
from ..repo.template_lines import excerpts
from ..tokens import approx_tokens
from . import prompts
from .companions import Companions
from .locate import Region
from .pruning import FileView, prune, windows


@dataclass
class ContextBuilder:
    """Builds file views and callee context for one repository, memoising per file."""

    index: RepoIndex
    resolver: Resolver
    pruning: PruningSettings
    depth: int = 2  # call distance of pre-resolved callees
    prompt_budget: int = 60_000  # tokens per prompt, already capped by the model's context window
    _callees: dict[tuple[str, tuple[str, ...]], list[tuple[int, Symbol]]] = field(default_factory=dict)
    _notes: dict[tuple[str, tuple[str, ...]], list[str]] = field(default_factory=dict)
    templates: TemplateSearch | None = None  # the repository's templates, when it has any
    left_out: dict[str, frozenset[str]] = field(default_factory=dict)  # by file: handlers given no pass (markers)

    def __post_init__(self) -> None:
        self._calls = Callees(self.index, self.resolver)  # the callee step the planning follows too
        self.companions = Companions(self.index, self.resolver)  # what comes with a definition shown

    # the entry-point file -------------------------------------------------------------
    def views(self, file: str, entry_points: Sequence[EntryPoint], reserved_tokens: int) -> list[FileView]:
        """One view of the file, one per entry point when the pruned file is too big, windows beyond that.

        A view is never larger than the prompt budget: one huge handler is cut into
        consecutive windows, each analysed as its own view. Each view carries the
        template lines its entry points print.
        """
        limit = max(self.prompt_budget - reserved_tokens, self.prompt_budget // 4)  # never nothing
        lines = self.index.modules[file].source.splitlines()
        parts = [w for view in self._whole_views(file, entry_points, limit) for w in windows(view, lines, limit)]
        return [self.with_templates(part) for part in parts]

    def with_templates(self, view: FileView) -> FileView:
        """*view* with the template lines its entry points print (budgeted: a small share of the prompt)."""
        if self.templates is None:
            return view
        budget = max(300, min(1500, self.prompt_budget // 20))
        helpers = {e.function: self.reachable(view.file, e) for e in view.entry_points}
        found = excerpts(self.templates, self.index, view.file, view.entry_points, budget, helpers)
        if not found:
            return view
        shown = tuple((e.path, number) for e in found for number, _text, _note in e.lines)
        return replace(view, templates=prompts.template_section(found), template_lines=shown)

    def template_regions(self, view: FileView) -> list[Region]:
        """The template lines the view shows, so a sink line the model quotes from them is found there."""
        if self.templates is None:
            return []
        regions = []
        for path, line in view.template_lines:
            facts = self.templates.templates.get(path)
            if facts is not None:
                as_module = ModuleIndex(path, "", facts.sha256, len(facts.lines), "template", source=facts.source)
                regions.append(Region(as_module, line, line))
        return regions

    def _whole_views(self, file: str, entry_points: Sequence[EntryPoint], limit: int) -> list[FileView]:
        module = self.index.modules[file]
        if not self.pruning.enabled:
            whole = FileView(file, module.source, tuple(entry_points), frozenset(range(1, module.line_count + 1)))
            if approx_tokens(whole.code) <= limit or len(entry_points) <= 1:
                return [whole]
        omit = self.left_out.get(file, frozenset())  # shown, their calls would be asked for one by one
        view = prune(module, entry_points, self.pruning.entry_point_context_lines, omit=omit)
        if approx_tokens(view.code) <= limit or len(entry_points) <= 1:
            return [view]
        return [prune(module, [entry], self.pruning.entry_point_context_lines, omit=omit) for entry in entry_points]

    def focus(self, view: FileView, entry_points: Sequence[EntryPoint]) -> FileView:
        """The view with only *entry_points* whole: the others become markers the model can ask for.

        Attribution still knows every entry point of the view. A window stays as it is.
        """
        if not self.pruning.enabled or set(entry_points) == set(view.entry_points) or view.window is not None:
            return view
        module = self.index.modules[view.file]
        others = {e.function for e in view.entry_points} - {e.function for e in entry_points}
        others |= self.left_out.get(view.file, frozenset())
        narrow = prune(module, entry_points, self.pruning.entry_point_context_lines, omit=others)
        return replace(narrow, entry_points=view.entry_points, templates=view.templates, template_lines=view.template_lines)

    def definition_at(self, file: str, line: int) -> Symbol | None:
        """The innermost function or method holding *line* (a step of a static path)."""
        module = self.index.modules.get(file)
        if module is None:
            return None
        spans = [d for d in module.definitions if d.kind in ("function", "method") and d.start_line <= line <= d.end_line]
        if not spans:
            return None
        d = max(spans, key=lambda d: d.start_line)
        return Symbol(file, module.module, d.qualname, d.kind, d.start_line, d.end_line, module.snippet(d.start_line, d.end_line))

    def called_at(self, file: str, line: int) -> list[Symbol]:
        """The in-repo definitions called on *line* of *file* (a step of a static path hands its data to them)."""
        module = self.index.modules.get(file)
        if module is None:
            return []
        found: list[Symbol] = []
        for call in module.calls:
            if call.line != line:
                continue
            symbol = self.resolver.resolve(call.callee, file, call.line).symbol
            if symbol is not None and symbol.kind == "class":
                symbol = self._constructor(symbol)
            if symbol is not None and symbol.kind != "module" and symbol not in found:
                found.append(symbol)
        return found

    # callees --------------------------------------------------------------------------
    def callees(self, view: FileView) -> list[Symbol]:
        """In-repo definitions the view's entry points call, nearest first, not already shown."""
        key = (view.file, tuple(e.function for e in view.entry_points))
        if key not in self._callees:
            self._notes[key] = []
            self._callees[key] = self._walk_callees(view, self.depth, self._notes[key])
        return [symbol for _distance, symbol in self._callees[key] if not view.shows(symbol)]

    def direct(self, view: FileView) -> set[tuple[str, str]]:
        """(file, qualname) of the callees :meth:`callees` found one call away from the view's entry points."""
        self.callees(view)
        found = self._callees[(view.file, tuple(e.function for e in view.entry_points))]
        return {(symbol.file, symbol.qualname) for distance, symbol in found if distance == 1}

    def near_callees(self, view: FileView) -> list[Symbol]:
        """In-repo definitions the view's entry points call directly, not already shown (for the initial pass)."""
        key = (view.file, (*(e.function for e in view.entry_points), "*near"))
        if key not in self._callees:
            self._callees[key] = self._walk_callees(view, 1)
        return [symbol for _distance, symbol in self._callees[key] if not view.shows(symbol)]

    def dispatch_notes(self, view: FileView) -> list[str]:
        """One line per lookup by key on the walk (``ACTIONS[name](...)``): where it can go, what was not shown."""
        self.callees(view)
        return merged_notes(self._notes.get((view.file, tuple(e.function for e in view.entry_points)), []))

    def reachable(self, file: str, entry: EntryPoint) -> list[Symbol]:
        """Definitions one entry point calls, to the configured depth (at least 2): where its sinks can be."""
        view = FileView(file, "", (entry,), frozenset())
        key = (file, (entry.function, "*reachable"))
        if key not in self._callees:
            self._callees[key] = self._walk_callees(view, max(self.depth, 2))
        return [symbol for _distance, symbol in self._callees[key]]

    def _walk_callees(self, view: FileView, depth: int, notes: list[str] | None = None) -> list[tuple[int, Symbol]]:
        return self._calls.walk([(view.file, e.function) for e in view.entry_points], depth, notes)

    def _called_from(self, file: str, scope: str, notes: list[str] | None = None) -> Iterable[Symbol]:
        """Definitions called inside *scope* of *file* (see :meth:`Callees.called_from`)."""
        return self._calls.called_from(file, scope, notes)

    def _constructor(self, cls: Symbol) -> Symbol | None:
        return self._calls.constructor(cls)

    # the budget -----------------------------------------------------------------------
    def fit(
        self, symbols: Sequence[Symbol], used_tokens: int, budget: int | None = None
    ) -> tuple[list[Symbol], list[Symbol]]:
        """Keep symbols in order while the prompt stays within *budget* (the prompt's); return (kept, dropped)."""
        kept: list[Symbol] = []
        dropped: list[Symbol] = []
        total = used_tokens
        limit = self.prompt_budget if budget is None else min(budget, self.prompt_budget)
        for symbol in symbols:
            cost = approx_tokens(symbol.source) + 30  # the definition tag
            if total + cost <= limit:
                kept.append(symbol)
                total += cost
            else:
                dropped.append(symbol)
        return kept, dropped


def merged_notes(notes: Sequence[str]) -> list[str]:
    """Notes that differ only in their line (``f.py:31: X`` and ``f.py:40: X``) as one (``f.py:31, 40: X``).

    The same lookup written twice in a handler would otherwise repeat its whole list of
    targets in every round of every chain.
    """
    grouped: dict[tuple[str, str], list[str]] = {}
    for note in notes:
        file, line, body = (note.split(":", 2) + ["", ""])[:3]
        if not line.isdigit():
            file, line, body = note, "", ""
        grouped.setdefault((file, body), []).append(line)
    return [f"{file}:{', '.join(lines)}:{body}" if body else file for (file, body), lines in grouped.items()]
