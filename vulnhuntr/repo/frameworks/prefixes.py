"""URL prefixes routers inherit: ``APIRouter(prefix=)``, ``include_router(r, prefix=)``,
``register_blueprint(bp, url_prefix=)``, ``app.mount(path, sub)``, ``add_subapp(path, sub)``.

Objects are keyed by their qualified name (``"pkg.api.router"``), so a router
defined in one module and mounted in another gets the right prefix.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..index import ModuleIndex, dotted
from .context import Context
from .syntax import Scope, call_arg, join_path, string_value

_OWN_KEYWORDS = ("prefix", "url_prefix")


@dataclass(frozen=True)
class _Mount:
    parent: str | None
    prefix: str | None
    replaces_own: bool  # Flask/Sanic: ``register_blueprint(url_prefix=)`` overrides the blueprint's own


@dataclass(frozen=True)
class _Ref:
    key: str
    constructor: ast.Call | None


# method → (child position, child keyword, prefix position, prefix keyword, replaces own prefix)
_MOUNT_CALLS: dict[str, tuple[int, str, int | None, str, bool]] = {
    "include_router": (0, "router", None, "prefix", False),
    "register_blueprint": (0, "blueprint", None, "url_prefix", True),
    "blueprint": (0, "blueprint", None, "url_prefix", True),
    "mount": (1, "app", 0, "path", False),
    "add_subapp": (1, "subapp", 0, "prefix", False),
}
MOUNT_CALLS = frozenset(_MOUNT_CALLS)


def prefix_of(ctx: Context, module: ModuleIndex, expr: ast.AST, scope: Scope) -> str:
    """The URL prefix every route registered on the router *expr* gets."""
    ref = _reference(ctx, module, expr, scope)
    if ref is None:
        return ""
    mounts = ctx.memo("prefixes.mounts", lambda: _collect_mounts(ctx))
    owns: dict[str, str] = ctx.memo("prefixes.owns", dict)
    if ref.constructor is not None:
        owns.setdefault(ref.key, _own_prefix(ref.constructor))
    return _full(ref.key, mounts, owns, set())


def _reference(ctx: Context, module: ModuleIndex, expr: ast.AST, scope: Scope) -> _Ref | None:
    name = dotted(expr)
    if name is None:
        return None
    head = name.split(".", 1)[0]
    function = ctx.local_owner(scope, head)
    if function is not None:
        binding = ctx.local(scope, head)
        value = (
            binding.value if binding is not None and isinstance(binding.value, ast.Call) and "." not in name else None
        )
        return _Ref(f"{module.path}:{function.lineno}:{name}", value)
    key = ctx.qualify(module, expr)
    if key is None:
        return None
    found = ctx.resolver.resolve(name, module.path, getattr(expr, "lineno", None))
    symbol = found.symbol
    home = ctx.index.modules.get(symbol.file) if symbol is not None and not found.approximate else None
    bound = ctx.variable_value(home, symbol.qualname) if home is not None and symbol is not None else None
    return _Ref(key, bound if isinstance(bound, ast.Call) else None)


def _own_prefix(constructor: ast.Call) -> str:
    return string_value(call_arg(constructor, None, *_OWN_KEYWORDS)) or ""


def _collect_mounts(ctx: Context) -> dict[str, _Mount]:
    mounts: dict[str, _Mount] = {}
    owns: dict[str, str] = ctx.memo("prefixes.owns", dict)
    for module in ctx.modules():
        for call, scope in ctx.method_calls(module, _MOUNT_CALLS):
            func = call.func
            assert isinstance(func, ast.Attribute)
            child_pos, child_kw, prefix_pos, prefix_kw, replaces = _MOUNT_CALLS[func.attr]
            child_expr = call_arg(call, child_pos, child_kw)
            prefix_expr = call_arg(call, prefix_pos, prefix_kw)
            child = _reference(ctx, module, child_expr, scope) if child_expr is not None else None
            if child is None or (prefix_expr is not None and string_value(prefix_expr) is None):
                continue
            parent = _reference(ctx, module, func.value, scope)
            if parent is not None and parent.constructor is not None:
                owns.setdefault(parent.key, _own_prefix(parent.constructor))
            if child.constructor is not None:
                owns.setdefault(child.key, _own_prefix(child.constructor))
            mount = _Mount(parent.key if parent else None, string_value(prefix_expr), replaces)
            mounts.setdefault(child.key, mount)
    return mounts


def _full(key: str, mounts: dict[str, _Mount], owns: dict[str, str], seen: set[str]) -> str:
    own = owns.get(key, "")
    mount = mounts.get(key)
    if mount is None or key in seen:
        return own
    seen.add(key)
    outer = _full(mount.parent, mounts, owns, seen) if mount.parent else ""
    if mount.replaces_own:
        return join_path(outer, mount.prefix if mount.prefix is not None else own)
    return join_path(join_path(outer, mount.prefix or ""), own)
