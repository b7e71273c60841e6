"""What a call site calls: a repository function (with the class ``self`` will be), a
repository class, or outside code by qualified name.

Methods are looked up on the receiver's *runtime* class when it is known, so an
inherited method that calls ``self.resolve()`` reaches the subclass override,
exactly as Python would. Everything goes through the project's resolver; names
it only finds by a repo-wide guess (``approximate``) are not trusted here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from ..repo.index import ModuleIndex, dotted
from .env import Env, External, ObjType, RepoClass

if TYPE_CHECKING:
    from .lookup import Lookup

@dataclass(frozen=True)
class FunctionRef:
    """A repository function or method, and the class its ``self`` is (None for plain functions)."""

    file: str
    qualname: str
    receiver: RepoClass | None
    implicit_first: bool  # the first parameter (self/cls) is not passed at the call site


@dataclass(frozen=True)
class Callee:
    """The answer for one call site; at most one of function/cls/qualified is set."""

    function: FunctionRef | None = None
    cls: RepoClass | None = None
    qualified: str | None = None  # outside code ("subprocess.run", "httpx.AsyncClient.get")
    method: str | None = None  # the attribute called on an object, for sinks known by method name
    namespace: bool = False  # called on a module or class (``os.path.join``), not on an object


class Site(NamedTuple):
    """Where the call is: its module, line, the enclosing function's locals and ``self`` class.

    A named tuple, not a frozen dataclass: one is made for every call the pass evaluates.
    """

    module: ModuleIndex
    line: int
    env: Env
    receiver: RepoClass | None
    scope: str


def resolve_call(func: ast.expr, site: Site, engine: Lookup, receiver_type: ObjType | None) -> Callee:
    """The callee of ``func(...)``; *receiver_type* is the evaluated type of ``func.value`` if known."""
    if isinstance(func, ast.Name):
        if site.env.is_local(func.id):
            return Callee()
        return engine.callee_by_name(func.id, site.module.path, site.line, site.scope)
    if not isinstance(func, ast.Attribute):
        return Callee()
    if _is_super(func.value) and site.receiver is not None and "." in site.scope:
        return engine.super_call(site.module.path, site.scope.rsplit(".", 1)[0], site.receiver, func.attr)
    text = dotted(func.value)
    root = text.split(".", 1)[0] if text else None
    if root in ("self", "cls") and site.receiver is not None and not site.env.is_local(root):
        rest = text[len(root) :] if text else ""
        return engine.member_call(site.receiver, rest, func.attr)
    if isinstance(receiver_type, RepoClass):
        return engine.member_call(receiver_type, "", func.attr)
    if isinstance(receiver_type, External):
        return Callee(qualified=f"{receiver_type.name}.{func.attr}", method=func.attr)
    if text is None or (root is not None and site.env.is_local(root)):
        return Callee(method=func.attr)
    return engine.callee_by_name(f"{text}.{func.attr}", site.module.path, site.line, site.scope, receiver=text)


def _is_super(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
