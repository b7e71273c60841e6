"""Which syntax trees indexing holds for the rest of the run, decided file by file as it goes.

Every file is parsed once to be indexed; all its tree is then needed for is the few files
a later stage walks (the detectors, the static pass), and a tree not held is parsed again
when one is asked for. Holding every tree would cost most of a scan's memory, so
:class:`TreeKeeper` holds those likely to be walked:

* the *roots*, which a detector may walk whatever the rest of the repository holds
  (:func:`vulnhuntr.repo.frameworks.walks.may_walk`: route modules, URLconfs, hooks ...);
* the repository modules a held module imports, a few imports deep: the views a URLconf
  names, the base classes and helpers a view calls, which the detectors and the static pass
  follow next. Such a module not indexed yet is indexed next, so its own imports are known
  in time; one indexed a little earlier is still held (a window of the latest trees).

The choice costs or saves time and memory, never a finding. Trees held beyond the roots
stay within a budget of source text (a tree takes about 30 bytes per character of source),
so the memory a scan needs stays bounded on any repository.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .index import ModuleIndex

DEPTH = 3
"""Imports followed from a root: URLconf → view → base class or helper → its own helper."""

WINDOW_CHARS = 500_000
"""Source text of the latest trees not (yet) wanted, held in case a module indexed next imports them."""

BUDGET_CHARS = 3_000_000
"""Source text of the trees held because a held module imports them (about 90 MB of trees)."""


class ModuleFiles:
    """Dotted module name → discovered file, known before any file is indexed.

    An exact name wins, else the shortest module whose name ends in it (``app.views`` for
    ``src/app/views.py``): close enough to :meth:`vulnhuntr.repo.index.RepoIndex.find_module`
    for a guess that only decides which trees to hold.
    """

    def __init__(self, files: Iterable[str], module_name: Callable[[str], str]) -> None:
        self._names: dict[str, str] = {}
        for relpath in sorted(files, key=lambda f: (f.count("/"), f)):
            parts = module_name(relpath).split(".")
            for start in range(len(parts)):
                self._names.setdefault(".".join(parts[start:]), relpath)

    def find(self, dotted: str) -> str | None:
        return self._names.get(dotted) if dotted else None


class TreeKeeper:
    """Orders the files to index and, as each is indexed, holds its tree or drops it."""

    def __init__(
        self, files: Sequence[str], is_root: Callable[[ModuleIndex], bool], module_name: Callable[[str], str],
        depth: int = DEPTH, window_chars: int = WINDOW_CHARS, budget_chars: int = BUDGET_CHARS,
    ) -> None:
        self._files = files
        self._is_root = is_root
        self._depth = depth
        self._window_chars = window_chars
        self._budget = budget_chars
        self._modules = ModuleFiles(files, module_name)
        self._seen: set[str] = set()  # given out by order()
        self._next: list[str] = []  # wanted, not indexed yet: indexed next
        self._wanted: dict[str, int] = {}  # path → fewest imports from a root
        self._kept: dict[str, ModuleIndex] = {}
        self._held: OrderedDict[str, ModuleIndex] = OrderedDict()  # the window, oldest first
        self._held_chars = 0

    def order(self) -> Iterator[str]:
        """Every file once: in the given order, except that a wanted file comes as soon as it is wanted."""
        for relpath in self._files:
            while self._next:
                yield from self._first_time(self._next.pop())
            yield from self._first_time(relpath)

    def _first_time(self, relpath: str) -> Iterator[str]:
        if relpath not in self._seen:
            self._seen.add(relpath)
            yield relpath

    def indexed(self, module: ModuleIndex) -> None:
        """*module* was just indexed (its tree, if parsed, in ``module.__dict__``): keep, hold or drop the tree."""
        if "tree" not in module.__dict__:
            return  # from the cache: no tree to keep, and its imports are not worth a question per file on a warm run
        depth = 0 if self._is_root(module) else self._wanted.get(module.path)
        if depth is not None:
            self._keep(module, depth)
            return
        self._held[module.path] = module
        self._held_chars += len(module.source)
        while self._held_chars > self._window_chars and self._held:
            _, oldest = self._held.popitem(last=False)
            self._held_chars -= len(oldest.source)
            _drop(oldest)

    def finish(self) -> None:
        """Indexing is over: drop the trees still held in case they were wanted."""
        for module in self._held.values():
            _drop(module)
        self._held.clear()
        self._held_chars = 0

    def _keep(self, module: ModuleIndex, depth: int) -> None:
        if depth > 0 and "tree" in module.__dict__:
            if len(module.source) > self._budget:
                _drop(module)
                return
            self._budget -= len(module.source)
        self._kept[module.path] = module
        if depth < self._depth:
            for relpath in self._imported(module):
                self._want(relpath, depth + 1)

    def _want(self, relpath: str, depth: int) -> None:
        known = self._wanted.get(relpath)
        if known is not None and known <= depth:
            return
        self._wanted[relpath] = depth
        kept = self._kept.get(relpath)
        held = self._held.pop(relpath, None)
        if kept is not None:
            self._keep_imports(kept, depth)  # reached by a shorter way: its imports go deeper now
        elif held is not None:
            self._held_chars -= len(held.source)
            self._keep(held, depth)
        elif relpath not in self._seen:
            self._next.append(relpath)

    def _keep_imports(self, module: ModuleIndex, depth: int) -> None:
        if depth < self._depth:
            for relpath in self._imported(module):
                self._want(relpath, depth + 1)

    def _imported(self, module: ModuleIndex) -> Iterator[str]:
        """The repository files *module* imports from (``from pkg import views`` names ``pkg/views.py``)."""
        for record in module.imports:
            names = (record.target, record.module) if record.name not in (None, "*") else (record.module,)
            for name in names:
                relpath = self._modules.find(name)
                if relpath is not None:
                    if relpath != module.path:
                        yield relpath
                    break


def _drop(module: ModuleIndex) -> None:
    module.__dict__.pop("tree", None)  # parsed again if a later stage asks for it after all
