"""Walking the calls from a piece of code, breadth first, a given number of calls deep.

Several stages follow calls from an entry point: the context builder (which
definitions to show the model, nearest first), the planning (which entry points
reach a sink, which modules no entry point reaches) and the incremental plan
(which files an analysis depended on). They share :func:`walk`; each brings its
own step, because they answer different questions:

* the context builder and the planning resolve a call with :meth:`Resolver.resolve`
  (its repo-wide name search included: a likely definition is worth showing)
  and follow a class's ``__init__`` and a few candidates of a lookup by key
  (:class:`Callees`);
* the incremental plan counts only what follows from imports (:func:`import_callees`):
  a repo-wide guess would make unrelated files look like dependencies; every
  candidate of a lookup by key is one, and a call with a dynamic tail
  (``Note.query.get``) depends on the innermost definition it names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from .dispatch import Dispatch
from .index import CallSite, RepoIndex
from .resolve import Resolution, Resolver, Symbol

if TYPE_CHECKING:
    from .entrypoints import EntryPoint

Node = tuple[str, str]
"""(file, qualname) of a definition; qualname "" stands for the whole module."""

T = TypeVar("T")

CalledFrom = Callable[[str, str], Iterable[Symbol]]
"""``(file, scope) -> definitions called inside that scope``: the context builder's callee step."""

CHAIN_DEPTH = 3
"""How many calls deep the static call chain is followed from an entry-point file."""

DISPATCH_SHOWN = 4  # candidates of one lookup by key pre-resolved into the prompt; the others are named


def walk(start: Sequence[Node], step: Callable[[str, str], Iterable[T]], node: Callable[[T], Node], depth: int) -> list[tuple[int, T]]:
    """What *step* finds from *start*, then from what it found, *depth* times; each once, with its distance.

    *step(file, qualname)* gives what the code of one node calls; *node* names
    each of those as a node. A start node is not reported as its own first
    call; reached again further down (a call back into it), it is.
    """
    found: dict[Node, tuple[int, T]] = {}
    starting = set(start)
    frontier = list(start)
    for distance in range(1, depth + 1):
        reached: list[Node] = []
        for file, scope in frontier:
            for item in step(file, scope):
                key = node(item)
                if key in found or (distance == 1 and key in starting):
                    continue
                found[key] = (distance, item)
                reached.append(key)
        frontier = reached
    return list(found.values())


def call_chain_files(index: RepoIndex, resolver: Resolver, file: str, depth: int = CHAIN_DEPTH) -> set[str]:
    """*file* and the files of the repo definitions its calls reach, *depth* calls deep.

    From the entry file every call counts; from a callee only the calls inside
    that definition, so one shared helper module does not pull in everything
    it could call. Only names that follow from imports count (:func:`import_callees`).
    """
    reached = walk([(file, "")], lambda path, scope: import_callees(index, resolver, path, scope), _same, depth)
    return {file} | {path for _distance, (path, _qualname) in reached}


def _same(node: Node) -> Node:
    return node


def import_callees(index: RepoIndex, resolver: Resolver, path: str, scope: str) -> Iterator[Node]:
    """The definitions the calls inside *scope* of *path* (nested scopes included) name through imports."""
    module = index.modules.get(path)
    if module is None:
        return
    for call in [*module.calls, *module.lookups]:
        if scope and call.scope != scope and not call.scope.startswith(scope + "."):
            continue
        dispatch = resolver.dispatch(call.callee, path, call.line) if "[" in call.callee or "(" in call.callee else None
        if dispatch is not None:  # ``ACTIONS[name](...)``: every candidate is a dependency
            yield from ((t.symbol.file, t.symbol.qualname) for t in dispatch.targets if t.symbol is not None)
            continue
        found = _callee(index, resolver, call.callee, path, call.line)
        if found is not None:
            yield found


def _callee(index: RepoIndex, resolver: Resolver, callee: str, path: str, line: int) -> Node | None:
    """(file, qualname) behind ``a.b.c``, or behind ``a.b`` / ``a`` when the tail is dynamic (``Note.query.get``)."""
    parts = callee.split(".")
    for length in range(len(parts), 0, -1):
        qualified = resolver.qualify(".".join(parts[:length]), path, line)
        if qualified is not None:
            return _definition(index, qualified)  # None outside the repo ("flask.request.args")
    return None


def _definition(index: RepoIndex, qualified: str) -> Node | None:
    """The repo file and innermost known definition of a fully qualified name."""
    parts = qualified.split(".")
    for split in range(len(parts), 0, -1):
        module = index.by_module.get(".".join(parts[:split]))
        if module is None:
            continue
        rest = parts[split:]
        while rest and ".".join(rest) not in module.definitions_by_name:
            rest = rest[:-1]
        return module.path, ".".join(rest)
    return None


# --------------------------------------------------------------------------- the resolver's callees


@dataclass
class Callees:
    """The definitions a piece of code calls, as the model is shown them and the planning follows them.

    A call is resolved with :meth:`Resolver.resolve`; a class call runs the class's
    ``__init__`` (that is shown, not the whole class); a lookup by key brings its
    first :data:`DISPATCH_SHOWN` candidates, nearest first, and a note naming all.
    """

    index: RepoIndex
    resolver: Resolver
    depth: int = 2  # call distance of :meth:`reachable` (at least 2)
    _reached: dict[Node, list[Symbol]] = field(default_factory=dict)

    def walk(self, start: Sequence[Node], depth: int, notes: list[str] | None = None) -> list[tuple[int, Symbol]]:
        """The definitions called from *start*, *depth* calls deep, each with its distance; lookups noted in *notes*."""
        return walk(start, lambda file, scope: self.called_from(file, scope, notes), symbol_node, depth)

    def reachable(self, file: str, entry: EntryPoint) -> list[Symbol]:
        """Definitions one entry point calls, to the configured depth (at least 2): where its sinks can be."""
        key = (file, entry.function)
        if key not in self._reached:
            self._reached[key] = [symbol for _distance, symbol in self.walk([key], max(self.depth, 2))]
        return self._reached[key]

    def called_from(self, file: str, scope: str, notes: list[str] | None = None) -> list[Symbol]:
        """Definitions called inside *scope* of *file* (nested scopes included), in source order.

        A call through a lookup by key brings its first :data:`DISPATCH_SHOWN` candidates
        (nearest first); *notes* gets a line naming all of them.
        """
        module = self.index.modules.get(file)
        if module is None:
            return []
        symbols: list[Symbol | None] = []
        for call in [*module.calls, *module.lookups]:
            if call.scope != scope and not call.scope.startswith(scope + "."):
                continue
            resolution = self.resolver.resolve(call.callee, file, call.line)
            if resolution.dispatch is not None:
                symbols += self._dispatched(resolution.dispatch, file, call, notes)
                continue
            symbol = resolution.symbol
            if symbol is None or symbol.kind == "module":
                continue
            symbols.append(self.constructor(symbol) if symbol.kind == "class" else symbol)
        return [s for s in symbols if s is not None]

    def constructor(self, cls: Symbol) -> Symbol | None:
        """A call of a class runs its ``__init__``: show that, not the whole class.

        A class defining no method at all (a form, a dataclass, a pydantic model) is made
        of the fields it declares: the class itself is what the call builds.
        """
        resolution = self.resolver.resolve(f"{cls.qualname}.__init__", cls.file, None)
        if resolution.symbol and resolution.symbol.file == cls.file:
            return resolution.symbol
        return cls if not self._has_methods(cls) else None

    def _has_methods(self, cls: Symbol) -> bool:
        module = self.index.modules.get(cls.file)
        prefix = cls.qualname + "."
        return module is None or any(d.kind in ("method", "function") and d.qualname.startswith(prefix) for d in module.definitions)

    def _dispatched(self, found: Dispatch, file: str, call: CallSite, notes: list[str] | None) -> list[Symbol]:
        """The nearest candidates of a lookup (constructors for classes), and a note naming every candidate."""
        shown: list[Symbol] = []
        shown_names: set[str] = set()
        for target in found.targets:
            symbol = target.symbol
            if symbol is None or symbol.kind == "module" or len(shown) >= DISPATCH_SHOWN:
                continue
            code = self.constructor(symbol) if symbol.kind == "class" else symbol
            if code is not None:
                shown.append(code)
                shown_names.add(symbol.qualified_name)
        if notes is not None and found.names:
            line = f"{file}:{call.line}: {found.describe()}"
            rest = [n for n in found.names if n not in shown_names]
            if rest:
                line += f"; not shown, ask for them by name if needed: {', '.join(rest)}"
            if line not in notes:
                notes.append(line)
        return shown


def symbol_node(symbol: Symbol) -> Node:
    return symbol.file, symbol.qualname


# --------------------------------------------------------------------------- what the entry points reach


def reached_files(entry_points: Sequence[EntryPoint], called_from: CalledFrom) -> set[str]:
    """Every file holding an entry point or a definition the callee walk enters, at any depth."""
    files = {e.file for e in entry_points}
    seen = {(e.file, e.function) for e in entry_points}
    frontier = sorted(seen)
    while frontier:
        file, scope = frontier.pop()
        for symbol in called_from(file, scope):
            key = (symbol.file, symbol.qualname)
            if key not in seen:
                seen.add(key)
                files.add(symbol.file)
                frontier.append(key)
    return files


def callee_step(index: RepoIndex, resolver: Resolver) -> CalledFrom:
    """The context builder's own callee step (what it resolves, the walk follows), minus hopeless searches."""
    return Callees(index, _Searchless(resolver, index)).called_from  # type: ignore[arg-type]


class _Searchless:
    """The resolver, without repeating its repo-wide search for names imports do not explain.

    That last resort scans every definition, once per (name, file, scope); over every
    call of every reached function it dominated the walk (20 s on 1,200 files). A name
    ``qualify`` cannot follow through imports gets the resolver's answer once per name
    (its search depends on the name only), and none at all when no definition of the
    repository carries its last part; everything else is the resolver's own answer.
    """

    def __init__(self, resolver: Resolver, index: RepoIndex) -> None:
        self._resolver = resolver
        self._names = {d.name for module in index.modules.values() for d in module.definitions}
        self._unexplained: dict[str, Resolution] = {}

    def resolve(self, name: str, file: str | None = None, line: int | None = None) -> Resolution:
        if file is None or self._resolver.qualify(name, file, line) is not None:
            return self._resolver.resolve(name, file, line)
        if name not in self._unexplained:
            last = name.split("(", 1)[0].replace(":", ".").strip(" `'\".").rsplit(".", 1)[-1]
            found = last in self._names
            self._unexplained[name] = self._resolver.resolve(name, file, line) if found else Resolution(name)
        return self._unexplained[name]

    def __getattr__(self, attribute: str) -> object:
        return getattr(self._resolver, attribute)
