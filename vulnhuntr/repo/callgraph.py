"""Walking the calls from a piece of code, breadth first, a given number of calls deep.

Two stages follow calls from an entry point: the context builder (which
definitions to show the model, nearest first) and the incremental plan (which
files an analysis depended on). They share :func:`walk`; each brings its own
step, because they answer different questions:

* the context builder resolves a call with :meth:`Resolver.resolve` (its
  repo-wide name search included: a likely definition is worth showing) and
  shows a class's ``__init__`` and a few candidates of a lookup by key;
* the incremental plan counts only what follows from imports (:func:`import_callees`):
  a repo-wide guess would make unrelated files look like dependencies; every
  candidate of a lookup by key is one, and a call with a dynamic tail
  (``Note.query.get``) depends on the innermost definition it names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from .index import RepoIndex
from .resolve import Resolver

Node = tuple[str, str]
"""(file, qualname) of a definition; qualname "" stands for the whole module."""

T = TypeVar("T")

CHAIN_DEPTH = 3
"""How many calls deep the static call chain is followed from an entry-point file."""


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
