"""Falcon resources: classes whose ``on_get``/``on_post``... responders serve requests.

``app.add_route(path, Resource())`` gives the route (with ``suffix=`` selecting
``on_get_<suffix>``); any class with responders in a module importing falcon is
an entry point even when the registration is not found.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex
from .classrules import FALCON
from .classviews import handlers
from .context import Context
from .entry import EntryPoint
from .objects import router_framework
from .syntax import Scope, call_arg, looks_like_path, string_value
from .testcode import is_test_module


def detect(ctx: Context) -> Iterator[EntryPoint]:
    for module in ctx.modules():
        if not ctx.imports(module, "falcon"):
            continue
        for call, scope in ctx.method_calls(module, ("add_route",)):
            if _is_add_route(ctx, module, call, scope):
                yield from _routed(ctx, module, call, scope)
        if not is_test_module(module):
            yield from _resources(ctx, module)


def _is_add_route(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> bool:
    func = call.func
    assert isinstance(func, ast.Attribute)
    typed = router_framework(ctx.object_type(module, func.value, scope))
    if typed is not None:
        return typed == "falcon"
    return ctx.is_unknown(module, func.value, scope) and looks_like_path(call_arg(call, 0, "uri_template"))


def _routed(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> Iterator[EntryPoint]:
    target = ctx.resolve(module, call_arg(call, 1, "resource"), scope)
    if target is None or not target.is_class:
        return
    route = string_value(call_arg(call, 0, "uri_template"))
    suffix = string_value(call_arg(call, None, "suffix"))
    for method, http in handlers(ctx, target, FALCON):
        if _suffix_of(method.node.name) == suffix:
            yield EntryPoint(method.module.path, method.qualname, method.line, "falcon", route, http)


def _suffix_of(name: str) -> str | None:
    """``on_get_item`` → ``"item"``; ``on_get`` → None."""
    parts = name.split("_", 2)
    return parts[2] if len(parts) == 3 and parts[1] != "websocket" else None


def _resources(ctx: Context, module: ModuleIndex) -> Iterator[EntryPoint]:
    for node, scope in ctx.definitions(module):
        target = ctx.target(module, scope.qualname(node.name)) if isinstance(node, ast.ClassDef) else None
        if target is None:
            continue
        for method, http in handlers(ctx, target, FALCON):
            yield EntryPoint(method.module.path, method.qualname, method.line, "falcon", None, http)
