"""Which modules make one application: the components of the project's own import graph.

A repository may hold several independent applications (a monorepo, a project's
``examples/`` folder, several services). Two modules belong to one application when
project-internal imports connect them, in either direction and through any number of
modules: A imports B, or C imports both. A rule that pairs code far apart by a name
alone (stored XSS pairs a write of a field with a template printing a field of that
name) asks this, so that a write in one application never meets a read in another.
Folder names and layout play no part: only what the code imports.

One union-find over the modules, from the index's import records; an import is a
project module when :meth:`~vulnhuntr.repo.index.RepoIndex.find_module` finds one for
it (relative imports are already absolute in the records).
"""

from __future__ import annotations

from collections.abc import Iterator

from .index import ModuleIndex, RepoIndex


class Applications:
    """The import-connected components of a repository's modules, built once per run."""

    def __init__(self, index: RepoIndex) -> None:
        self._parent: dict[str, str] = {path: path for path in index.modules}
        for module in index.modules.values():
            for path in imported_files(index, module):
                self._join(module.path, path)

    def of(self, path: str) -> str:
        """A key naming *path*'s application (the same for every module of it); a file not indexed is its own."""
        if path not in self._parent:
            return path
        root = path
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[path] != root:  # path compression: later questions take one step
            self._parent[path], path = root, self._parent[path]
        return root

    def same(self, a: str, b: str) -> bool:
        return self.of(a) == self.of(b)

    def _join(self, a: str, b: str) -> None:
        first, second = self.of(a), self.of(b)
        if first != second:
            low, high = sorted((first, second))  # the smaller path names the component: keys do not depend on order
            self._parent[high] = low


def imported_files(index: RepoIndex, module: ModuleIndex) -> Iterator[str]:
    """The repository files *module* imports: ``from pkg import views`` names ``pkg/views.py`` and ``pkg/__init__.py``."""
    for record in module.imports:
        names = [record.module]
        if record.name is not None and record.name != "*":
            names.append(f"{record.module}.{record.name}" if record.module else record.name)
        for name in names:
            found = index.find_module(name, module.module)
            if found is not None and found.path != module.path:
                yield found.path
