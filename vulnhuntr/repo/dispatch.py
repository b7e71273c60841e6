"""Calls whose target is picked at run time by a key: the shapes, and what a lookup found.

``ACTIONS[name](v)``, ``HANDLERS.get(path).run(self)``, ``getattr(self, "do_" + verb)()``,
``globals()[name]()`` and ``importlib.import_module(name).main()`` call one of several
definitions. This module recognises those shapes on the syntax tree and describes the
answer; :class:`~vulnhuntr.repo.resolve.Resolver` finds the candidates. A lookup whose
key has fixed text around it (``"do_" + verb``) can only reach names that match it.
"""

from __future__ import annotations

import ast
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .index import dotted

if TYPE_CHECKING:
    from .index import ModuleIndex
    from .resolve import Symbol

MAX_CANDIDATES = 12  # definitions one lookup resolves to; the rest are named only
MAX_NAMED = 30  # names of candidates past the bound kept for the prompt; the others are only counted
ShapeKind = Literal["container", "getattr", "globals", "import"]
_IMPORTERS = frozenset({"importlib.import_module", "import_module", "__import__"})
_NAMESPACES = frozenset({"globals", "locals"})


@dataclass(frozen=True)
class KeyPattern:
    """What is known of a lookup key: its constant value, or fixed text before and after it."""

    exact: str | None = None
    prefix: str = ""
    suffix: str = ""

    @property
    def narrowed(self) -> bool:
        """The key cannot be any name: it is a constant or has fixed text around the free part."""
        return self.exact is not None or bool(self.prefix or self.suffix)

    def matches(self, name: str | None) -> bool:
        if name is None:
            return True  # an entry whose key the code does not spell out may be the one
        if self.exact is not None:
            return name == self.exact
        return name.startswith(self.prefix) and name.endswith(self.suffix)


@dataclass(frozen=True)
class Shape:
    """A lookup as written: what is looked into, with which key, and the members read before the call."""

    kind: ShapeKind
    base: str | None  # the container or object as written ("ACTIONS", "self", "handlers"); None for globals()
    key: ast.expr | None
    attributes: tuple[str, ...] = ()  # ``HANDLERS[path].run`` reads "run" from the looked-up value
    head: str | None = None  # the function called to look up ("getattr", "importlib.import_module")

    @property
    def pattern(self) -> KeyPattern:
        return key_pattern(self.key) if self.key is not None else KeyPattern()


@dataclass(frozen=True)
class Target:
    """One definition a lookup can reach; *bound* when ``self`` comes with it (a bound method)."""

    symbol: Symbol | None  # None for outside code (``{"ls": os.system}``)
    bound: bool = False
    external: str | None = None  # the qualified name of outside code

    @property
    def name(self) -> str:
        return self.symbol.qualified_name if self.symbol is not None else self.external or "?"


@dataclass(frozen=True)
class Dispatch:
    """Every definition a lookup can reach, nearest first, at most :data:`MAX_CANDIDATES`."""

    via: str  # the lookup as written ("ACTIONS[name]", "getattr(self, 'do_' + verb)")
    kind: ShapeKind
    targets: tuple[Target, ...]
    more: tuple[str, ...] = ()  # qualified names of the candidates past the bound (at most MAX_NAMED)
    unnamed: int = 0  # candidates past that, only counted
    open: bool = False  # any name of a namespace can be picked (globals, a module, an object, any module)
    narrowed: bool = False  # the key is constant or has fixed text around it

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.targets] + list(self.more)

    def describe(self) -> str:
        """``ACTIONS[name] dispatches to one of: app.ping, app.report``."""
        names = self.names
        via = self.via if len(self.via) <= 100 else self.via[:97] + "..."
        if not names:
            return f"{via} picks a callable by name; no definition in the repository matches"
        others = f" and {self.unnamed} more" if self.unnamed else ""
        return f"{via} dispatches to one of: {', '.join(names)}{others}"


def bounded(
    via: str, kind: ShapeKind, targets: list[Target], open_: bool, narrowed: bool, total: int | None = None
) -> Dispatch:
    """The answer for *targets* (nearest first): the first :data:`MAX_CANDIDATES`, the next ones by name.

    *total* counts every candidate when *targets* holds only the first of them (those that are kept).
    """
    rest = targets[MAX_CANDIDATES:]  # only the names kept are made (``import_module(name)`` may reach every module)
    past = (total if total is not None else len(targets)) - MAX_CANDIDATES
    return Dispatch(
        via=via,
        kind=kind,
        targets=tuple(targets[:MAX_CANDIDATES]),
        more=tuple(t.name for t in rest[:MAX_NAMED]),
        unnamed=max(0, past - MAX_NAMED),
        open=open_,
        narrowed=narrowed,
    )


def modules_matching(modules: Iterable[ModuleIndex], pattern: KeyPattern) -> list[ModuleIndex]:
    """``import_module("plugins." + name)``: the modules whose dotted name fits the key's fixed text."""
    found = []
    for m in modules:
        dotted_name = "." + m.module
        start = dotted_name.find("." + pattern.exact if pattern.exact is not None else "." + pattern.prefix)
        if start < 0:
            continue
        rest = dotted_name[start + 1 :]
        if pattern.exact is not None and rest != pattern.exact:
            continue
        if rest.endswith(pattern.suffix) and rest != pattern.prefix.rstrip("."):
            found.append(m)
    return found


def modules_reached(
    via: str, matched: list[ModuleIndex], own: str, target_of: Callable[[ModuleIndex], Target], pattern: KeyPattern
) -> Dispatch:
    """An import by key reaching *matched*: the importing module (path *own*) first, then by path.

    The key may fit every module of the repository; only those the answer keeps are made
    into targets, the others are counted.
    """
    kept = MAX_CANDIDATES + MAX_NAMED
    first = [m for m in matched if m.path == own]
    rest = heapq.nsmallest(kept, (m for m in matched if m.path != own), key=lambda m: m.path)
    targets = [target_of(m) for m in [*first, *rest][:kept]]
    return bounded(via, "import", targets, True, pattern.narrowed, total=len(matched))


def shape_of(expr: ast.expr) -> Shape | None:
    """The lookup *expr* performs (members read after it included), or None when it is no lookup."""
    attributes: list[str] = []
    while isinstance(expr, ast.Attribute) and dotted(expr) is None:
        attributes.insert(0, expr.attr)
        expr = expr.value
    shape = _core(expr)
    if shape is None:
        return None
    return Shape(shape.kind, shape.base, shape.key, tuple(attributes), shape.head)


def _core(expr: ast.expr) -> Shape | None:
    if isinstance(expr, ast.Subscript):
        if _is_namespace_call(expr.value):
            return Shape("globals", None, expr.slice, head=dotted(expr.value.func))  # type: ignore[attr-defined]
        base = dotted(expr.value)
        return Shape("container", base, expr.slice) if base is not None else None
    if not isinstance(expr, ast.Call) or not expr.args:
        return None
    name = dotted(expr.func)
    if name == "getattr" and len(expr.args) >= 2:
        return Shape("getattr", dotted(expr.args[0]), expr.args[1], head=name)
    if name in _IMPORTERS:
        return Shape("import", None, expr.args[0], head=name)
    if isinstance(expr.func, ast.Attribute) and expr.func.attr == "get":
        if _is_namespace_call(expr.func.value):
            return Shape("globals", None, expr.args[0], head=dotted(expr.func.value.func))  # type: ignore[attr-defined]
        base = dotted(expr.func.value)
        return Shape("container", base, expr.args[0]) if base is not None else None
    return None


def _is_namespace_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and not node.args and dotted(node.func) in _NAMESPACES


def key_pattern(key: ast.expr) -> KeyPattern:
    """``"run"`` is exact; ``"do_" + verb``, ``f"cmd_{x}"``, ``"%s_view" % x`` keep their fixed text."""
    if isinstance(key, ast.Constant):
        return KeyPattern(exact=str(key.value))
    try:
        parts = _parts(key)
    except RecursionError:  # a concatenation thousands of terms long: nothing is known of it
        return KeyPattern()
    if parts is None:
        return KeyPattern()
    prefix = ""
    for part in parts:
        if part is None:
            break
        prefix += part
    suffix = ""
    for part in reversed(parts):
        if part is None:
            break
        suffix = part + suffix
    if None not in parts:
        return KeyPattern(exact=prefix)
    return KeyPattern(prefix=prefix, suffix=suffix)


def _parts(node: ast.expr) -> list[str | None] | None:
    """The pieces of a string built by ``+``, an f-string or ``%``: fixed text, or None for a free part."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _parts(node.left), _parts(node.right)
        return (left or [None]) + (right or [None])
    if isinstance(node, ast.JoinedStr):
        return [v.value if isinstance(v, ast.Constant) else None for v in node.values]  # type: ignore[misc]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
        text = str(node.left.value)
        pieces: list[str | None] = []
        for index, chunk in enumerate(text.split("%s")):
            if index:
                pieces.append(None)
            pieces.append(chunk)
        return pieces
    return None


def parse_lookup(text: str) -> ast.expr | None:
    """The expression of a callee as the index wrote it, when it may be a lookup."""
    if "[" not in text and "(" not in text:
        return None
    try:
        return ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
