"""Which entry points get an initial pass of their own, and in which order the files are analysed.

An entry point that reads no request data at all and reaches no sink cannot be
the start of a remotely exploitable path: a route without parameters whose code
(and the code it calls, to depth 2) never touches a request object, builds no
submitted form, reaches no dangerous call and renders no template. It needs no
initial pass; ``--all-entrypoints`` (``analysis.all_entrypoints``) analyses it
anyway, and ``--dry-run`` and the report say what was left out and why.

Only plain routes are ever left out: hooks, middleware, error handlers,
dependencies, API operations, socket handlers and consumers (what the
attack-surface work made visible) are always analysed, as is any file named
with ``--analyze``. The test is syntactic and conservative: whatever it cannot
decide counts as reading request data.

Files go to the model in order of evidence, so the likely ones finish first:
static candidates (by their best confidence), then files reaching a sink, then
the rest.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..repo.callgraph import Callees
from ..repo.entrypoints import EntryPoint
from ..repo.index import RepoIndex, dotted
from ..repo.rendering import TemplateSearch
from ..repo.resolve import Resolver, Symbol
from ..repo.template_lines import DEFAULT_BUDGET_TOKENS, excerpts
from ..static import Candidate
from ..static.sources import FORM_BASES, GLOBAL_REQUESTS, SELF_SOURCES
from .reach import SinkReach

SELF_REQUEST_ATTRIBUTES = frozenset({"request", *(a for names in SELF_SOURCES.values() for a in names)})
"""``self.<name>`` that holds the request or its data in some framework's class-based handler."""

QUIET_REASON = "reads no request data (no parameters, no request object or form) and reaches no sink or template"


class Surroundings(Protocol):
    """What choosing entry points looks at: the repository, what an entry point calls, the templates.

    The planning gives an :class:`EntryContext`; the analysis's context builder fits too.
    """

    @property
    def index(self) -> RepoIndex: ...

    @property
    def resolver(self) -> Resolver: ...

    @property
    def templates(self) -> TemplateSearch | None: ...

    def reachable(self, file: str, entry: EntryPoint) -> list[Symbol]: ...


@dataclass(frozen=True)
class EntryContext:
    """The planning's :class:`Surroundings`: the resolver's callee walk and the repository's templates."""

    calls: Callees
    templates: TemplateSearch | None = None

    @property
    def index(self) -> RepoIndex:
        return self.calls.index

    @property
    def resolver(self) -> Resolver:
        return self.calls.resolver

    def reachable(self, file: str, entry: EntryPoint) -> list[Symbol]:
        return self.calls.reachable(file, entry)


@dataclass(frozen=True)
class LeftOut:
    """An entry point given no initial pass, and why."""

    entry: EntryPoint
    reason: str


@dataclass(frozen=True)
class Selection:
    """The entry points to analyse, by file (in order of evidence), and those left out."""

    targets: dict[str, list[EntryPoint]]
    left_out: tuple[LeftOut, ...] = ()

    def note(self) -> str | None:
        """The report's note on what was left out, or None."""
        if not self.left_out:
            return None
        names = ", ".join(f"{x.entry.file}:{x.entry.function}" for x in self.left_out[:20])
        more = f" and {len(self.left_out) - 20} more" if len(self.left_out) > 20 else ""
        return (
            f"{len(self.left_out)} entry point(s) got no initial pass: each {QUIET_REASON} "
            f"(--all-entrypoints analyses them): {names}{more}"
        )


def select_entries(
    targets: Mapping[str, Sequence[EntryPoint]],
    context: Surroundings,
    reach: SinkReach,
    *,
    forced: Collection[str] = (),
    candidates: Mapping[str, Sequence[Candidate]] | None = None,
    analyse_all: bool = False,
) -> Selection:
    """*targets* without the entry points that need no initial pass, files ordered by evidence.

    *candidates* are the static pass's (by entry-point file), when it ran: an entry point
    with one is always kept. A file whose every entry point is left out is dropped,
    unless it is *forced* (named with ``--analyze``).
    """
    kept: dict[str, list[EntryPoint]] = {}
    left_out: list[LeftOut] = []
    for file, entries in targets.items():
        traced = {c.entry_function for c in (candidates or {}).get(file, ())}
        remaining = []
        for entry in entries:
            if analyse_all or file in forced or entry.function in traced or not is_quiet(entry, context, reach):
                remaining.append(entry)
            else:
                left_out.append(LeftOut(entry, QUIET_REASON))
        if remaining or file in forced or not entries:
            kept[file] = remaining
    ordered = sorted(kept, key=lambda f: _evidence(f, kept[f], reach, candidates or {}))
    return Selection({f: kept[f] for f in ordered}, tuple(left_out))


def _evidence(
    file: str, entries: Sequence[EntryPoint], reach: SinkReach, candidates: Mapping[str, Sequence[Candidate]]
) -> tuple[int, int, int, str]:
    """Sort key: files with confident static candidates first, then files reaching a sink, then by name."""
    found = candidates.get(file, ())
    best = max((c.confidence for c in found), default=0)
    reaching = sum(1 for e in entries if reach.types(file, e))
    return (-best, -len(found), -reaching, file)


def is_quiet(entry: EntryPoint, context: Surroundings, reach: SinkReach) -> bool:
    """Whether *entry* is a route that reads no request data at all and reaches no sink or template."""
    if entry.kind != "route":
        return False
    module = context.index.modules.get(entry.file)
    handler = _function(module.tree, entry.function) if module is not None else None
    if not isinstance(handler, (ast.FunctionDef, ast.AsyncFunctionDef)) or _has_parameters(handler):
        return False
    if reach.types(entry.file, entry):
        return False
    if context.templates is not None and _prints_template(entry, context, context.templates):
        return False
    scopes: list[tuple[str, ast.AST]] = [(entry.file, handler)]
    for symbol in context.reachable(entry.file, entry):
        node = _node_of(context.index, symbol)
        if node is None:
            return False  # code it calls that cannot be read: it may read the request
        scopes.append((symbol.file, node))
    return not any(_reads_request(node, file, context.resolver) for file, node in scopes)


def _prints_template(entry: EntryPoint, context: Surroundings, templates: TemplateSearch) -> bool:
    """Whether a template *entry* (or code it calls) renders prints a variable it passes: the lines a prompt shows."""
    helpers = {entry.function: context.reachable(entry.file, entry)}
    return bool(excerpts(templates, context.index, entry.file, (entry,), DEFAULT_BUDGET_TOKENS, helpers))


def _has_parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = node.args
    names = [a.arg for a in [*args.posonlyargs, *args.args]]
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    return bool(names or args.kwonlyargs or args.vararg or args.kwarg)


def _reads_request(node: ast.AST, file: str, resolver: Resolver) -> bool:
    """A request proxy, a request attribute of ``self``, or a submitted-form class anywhere in *node*."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "self":
            if sub.attr in SELF_REQUEST_ATTRIBUTES:
                return True
        if isinstance(sub, (ast.Name, ast.Attribute)):
            name = dotted(sub)
            if name is not None and _is_request_proxy(resolver.qualify(name, file, getattr(sub, "lineno", None))):
                return True
        if isinstance(sub, ast.Call) and _builds_form(sub, file, resolver):
            return True
    return False


def _is_request_proxy(qualified: str | None) -> bool:
    return qualified is not None and any(qualified == q or qualified.startswith(q + ".") for q in GLOBAL_REQUESTS)


def _builds_form(call: ast.Call, file: str, resolver: Resolver, depth: int = 0) -> bool:
    """A form class instantiated without arguments reads the submitted data itself (Flask-WTF)."""
    name = dotted(call.func)
    if name is None:
        return False
    qualified = resolver.qualify(name, file, call.lineno)
    if qualified in FORM_BASES:
        return True
    symbol = resolver.resolve(name, file, call.lineno).symbol
    return symbol is not None and symbol.kind == "class" and _form_class(symbol, resolver, depth)


def _form_class(symbol: Symbol, resolver: Resolver, depth: int) -> bool:
    """Whether a repository class derives from a form base, through up to three repository classes."""
    if depth > 3:
        return False
    node = _node_of_class(resolver, symbol)
    if node is None:
        return False
    for base in node.bases:
        name = dotted(base)
        if name is None:
            continue
        if resolver.qualify(name, symbol.file, node.lineno) in FORM_BASES:
            return True
        parent = resolver.resolve(name, symbol.file, node.lineno).symbol
        if parent is not None and parent.kind == "class" and _form_class(parent, resolver, depth + 1):
            return True
    return False


def _node_of_class(resolver: Resolver, symbol: Symbol) -> ast.ClassDef | None:
    module = resolver.index.modules.get(symbol.file)
    node = _function(module.tree, symbol.qualname, classes=True) if module is not None else None
    return node if isinstance(node, ast.ClassDef) else None


def _node_of(index: RepoIndex, symbol: Symbol) -> ast.AST | None:
    module = index.modules.get(symbol.file)
    return _function(module.tree, symbol.qualname) if module is not None else None


def _function(tree: ast.Module, qualname: str, classes: bool = False) -> ast.AST | None:
    """The ``def`` (or with *classes* the ``class``) of *qualname* in *tree*, nested scopes included."""
    body: list[ast.stmt] = tree.body
    found: ast.AST | None = None
    for part in qualname.split("."):
        found = next(
            (s for s in body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and s.name == part),
            None,
        )
        if found is None:
            return None
        body = found.body
    if isinstance(found, ast.ClassDef) and not classes:
        return None
    return found
