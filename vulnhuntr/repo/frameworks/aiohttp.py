"""aiohttp routes registered by call: ``app.router.add_get(path, handler)`` and
``app.add_routes([web.get(path, handler), web.view(path, View)])``.

``RouteTableDef`` decorators are in :mod:`.decorators`, ``web.View`` classes in
:mod:`.classviews`.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex
from .classviews import class_entry_points
from .context import Context
from .entry import EntryPoint
from .objects import split
from .prefixes import prefix_of
from .syntax import HTTP_VERBS, Scope, call_arg, join_path, method_names, string_value

# name → (method position, path position, handler position); method None: fixed by the name
_LAYOUTS: dict[str, tuple[int | None, int, int]] = {
    **{v: (None, 0, 1) for v in HTTP_VERBS},
    "view": (None, 0, 1),
    "route": (0, 1, 2),
}


def detect(ctx: Context) -> Iterator[EntryPoint]:
    for module in ctx.modules():
        if not ctx.imports(module, "aiohttp"):
            continue
        for call, scope in ctx.calls(module):
            yield from _route_def(ctx, module, call, scope)
            yield from _router_call(ctx, module, call, scope)


def _route_def(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> Iterator[EntryPoint]:
    """``web.get("/x", handler)`` and friends, wherever they are listed."""
    top, last = split(ctx.qualify(module, call.func) or ".")
    if top == "aiohttp" and last in _LAYOUTS:
        yield from _handler(ctx, module, call, scope, last, "")


def _router_call(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> Iterator[EntryPoint]:
    """``<app>.router.add_get("/x", handler)``: the receiver is an aiohttp router or unknown."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr.startswith("add_") and func.attr[4:] in _LAYOUTS):
        return
    receiver = func.value
    app = receiver.value if isinstance(receiver, ast.Attribute) and receiver.attr == "router" else None
    typed = ctx.object_type(module, receiver, scope)
    if typed is not None and split(typed)[0] != "aiohttp":
        return
    prefix = prefix_of(ctx, module, app, scope) if app is not None else ""
    yield from _handler(ctx, module, call, scope, func.attr[4:], prefix)


def _handler(
    ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope, name: str, prefix: str
) -> Iterator[EntryPoint]:
    method_at, path_at, handler_at = _LAYOUTS[name]
    target = ctx.resolve(module, call_arg(call, handler_at, "handler"), scope)
    if target is None:
        return
    path = string_value(call_arg(call, path_at, "path"))
    route = join_path(prefix, path) if path is not None else None
    if target.is_class:
        yield from class_entry_points(ctx, target, route=route, framework="aiohttp")
        return
    methods = method_names(call_arg(call, method_at, "method")) if method_at is not None else (name.upper(),)
    yield EntryPoint(
        target.module.path, target.qualname, target.line, "aiohttp", route, tuple(m for m in methods if m != "*")
    )
