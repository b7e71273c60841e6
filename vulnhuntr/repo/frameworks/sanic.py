"""Sanic routes registered by call: ``app.add_route(handler, uri, methods=[...])``.

Decorators on ``Sanic``/``Blueprint`` objects are in :mod:`.decorators`,
``HTTPMethodView`` classes in :mod:`.classviews`.
"""

from __future__ import annotations

import ast
from typing import Iterator

from .classviews import class_entry_points
from .context import Context
from .entry import EntryPoint
from .objects import router_framework
from .prefixes import prefix_of
from .syntax import call_arg, join_path, method_names, string_value


def detect(ctx: Context) -> Iterator[EntryPoint]:
    for module in ctx.modules():
        if not ctx.imports(module, "sanic"):
            continue
        for call, scope in ctx.method_calls(module, ("add_route", "add_websocket_route")):
            func = call.func
            assert isinstance(func, ast.Attribute)
            if router_framework(ctx.object_type(module, func.value, scope)) != "sanic":
                continue
            target = ctx.resolve(module, call_arg(call, 0, "handler"), scope)
            if target is None:
                continue
            uri = string_value(call_arg(call, 1, "uri"))
            route = join_path(prefix_of(ctx, module, func.value, scope), uri) if uri is not None else None
            if target.is_class:
                yield from class_entry_points(ctx, target, route=route, framework="sanic")
                continue
            websocket = func.attr == "add_websocket_route"
            methods = () if websocket else method_names(call_arg(call, None, "methods")) or ("GET",)
            yield EntryPoint(target.module.path, target.qualname, target.line, "sanic", route, methods)
