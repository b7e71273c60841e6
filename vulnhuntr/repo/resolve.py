"""From a name as written at a call site to the code that defines it.

The LLM asks for context by name (``helpers.load``, ``self.store.read``,
``DocumentStore.read_document``); the resolver answers from the index built
once per run, following imports (aliases, relative imports, ``__init__``
re-exports, star imports), class methods and base classes, and instance
attributes typed by their constructor. Like pyflakes' deferred pass, every name
is bound first (the index), then resolved on demand; each answer is memoised so
a symbol is resolved once per run and shared by every file and vulnerability type.
"""


from __future__ import annotations

from .index import MODULE_SCOPE, RepoIndex
from .keyed import KeyedResolver
from .symbols import (  # re-exported: the resolver's answers are imported from here
    _BUILTINS,
    _MAX_DEPTH,
    Resolution,
    Symbol,
    _clean,
    _Def,
    _External,
    _has_star,
    _Instance,
    _Module,
    _scopes_outward,
    _Target,
    enclosing_class,
    scope_at,
)

__all__ = [
    "Resolution", "Resolver", "Symbol", "enclosing_class", "scope_at",
    "_BUILTINS", "_MAX_DEPTH", "_Def", "_External", "_Instance", "_Module", "_Target", "_has_star", "_scopes_outward",
]


class Resolver(KeyedResolver):
    """Resolves names against one :class:`RepoIndex`; cheap to query, memoised."""

    def __init__(self, index: RepoIndex) -> None:
        super().__init__(index)
        self._memo: dict[tuple[str, str | None, str], Resolution] = {}

    # public API ------------------------------------------------------------
    def resolve(self, name: str, file: str | None = None, line: int | None = None) -> Resolution:
        """Find what *name* refers to, as seen from *file* at *line* (both optional)."""
        if file is not None and ("[" in name or "(" in name):
            found = self.dispatch(name.strip().strip("`"), file, line)
            if found is not None:
                return Resolution(name, dispatch=found)
        name = _clean(name)
        module = self.index.modules.get(file) if file else None
        scope = scope_at(module, line) if module is not None and line is not None else MODULE_SCOPE
        key = (name, file, scope)
        if key not in self._memo:
            self._memo[key] = self._resolve(name, module, scope, line)
        return self._memo[key]
