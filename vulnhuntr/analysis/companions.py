"""What comes with a definition shown to the model, so that it can be read on its own.

A method reads ``self.root``: its class's head (:mod:`vulnhuntr.repo.class_head`)
says what that is and which classes it inherits from. A function wears
``@task("resize")`` or ``@owner_required``: a project decorator of a few lines
says what registering it means, or whether the handler runs at all. Without them
a reviewer (and a model) spends a round asking; with them it reads on.

Only what is small comes along: a class head of at most :data:`MAX_HEAD_TOKENS`,
a decorator of at most :data:`~.shown.SMALL_DEFINITION_TOKENS`. The rest stays
one request away.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..repo.class_head import class_head
from ..repo.entrypoints import EntryPoint
from ..repo.index import RepoIndex
from ..repo.resolve import Resolver, Symbol
from ..tokens import approx_tokens
from .shown import small

MAX_HEAD_TOKENS = 150  # a class head longer than this (a model of many fields) is left for the model to ask for


@dataclass
class Companions:
    """Class heads and small decorators of shown definitions, memoised per definition."""

    index: RepoIndex
    resolver: Resolver

    def __post_init__(self) -> None:
        self._memo: dict[tuple[str, str, int], tuple[Symbol, ...]] = {}

    def of(self, symbol: Symbol) -> tuple[Symbol, ...]:
        """The small project decorators of *symbol*, then the head of the class it is a method of."""
        key = (symbol.file, symbol.qualname, symbol.start_line)
        if key not in self._memo:
            self._memo[key] = tuple(self._decorators(symbol.file, symbol.qualname)) + tuple(self._head(symbol))
        return self._memo[key]

    def with_companions(self, symbols: Iterable[Symbol]) -> list[Symbol]:
        """*symbols* in order, each after its companions, each once; an ``__init__`` inside a head shown is dropped."""
        found: list[Symbol] = []
        for symbol in symbols:
            for item in (*self.of(symbol), symbol):
                if item not in found and not _inside(item, found):
                    found.append(item)
        return found

    def decorating(self, file: str, entry_points: Iterable[EntryPoint]) -> list[Symbol]:
        """The small project decorators of the entry points of *file* (the view shows the functions, not them)."""
        found: list[Symbol] = []
        for entry in entry_points:
            found += [s for s in self._decorators(file, entry.function) if s not in found]
        return found

    def _decorators(self, file: str, qualname: str) -> list[Symbol]:
        module = self.index.modules.get(file)
        definition = module.definitions_by_name.get(qualname) if module is not None else None
        if definition is None or not definition.decorators:
            return []
        found = []
        for written in definition.decorators:
            name = written.split("(", 1)[0].strip()
            target = self.resolver.resolve(name, file, definition.line).symbol if name else None
            if target is not None and target.kind == "function" and small(target) and target.qualname != qualname:
                found.append(target)
        return found

    def _head(self, symbol: Symbol) -> list[Symbol]:
        if symbol.kind != "method" or "." not in symbol.qualname:
            return []
        module = self.index.modules.get(symbol.file)
        owner = symbol.qualname.rsplit(".", 1)[0]
        definition = module.definitions_by_name.get(owner) if module is not None else None
        if module is None or definition is None or definition.kind != "class":
            return []
        cls = Symbol(
            symbol.file, module.module, owner, "class", definition.start_line, definition.end_line,
            module.snippet(definition.start_line, definition.end_line),
        )
        head = class_head(module, cls)
        return [head] if approx_tokens(head.source) <= MAX_HEAD_TOKENS else []


def _inside(symbol: Symbol, shown: Iterable[Symbol]) -> bool:
    """Whether *symbol*'s lines are part of another definition already in *shown*."""
    return any(
        other != symbol and other.file == symbol.file
        and other.start_line <= symbol.start_line and symbol.end_line <= other.end_line
        for other in shown
    )
