"""Starlette and FastAPI routes registered without decorators.

``Route(path, endpoint)``, ``WebSocketRoute``, ``APIRoute`` inside ``routes=[...]``
lists, nested ``Mount(path, routes=[...])`` (the mount path prefixes the route),
and ``app.add_route``/``add_api_route``/``add_websocket_route`` calls. Endpoints
may be functions or ``HTTPEndpoint`` classes.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex, dotted
from .classviews import class_entry_points
from .context import Context
from .entry import EntryPoint
from .objects import router_framework, split
from .prefixes import prefix_of
from .syntax import Scope, call_arg, children, join_path, looks_like_path, method_names, string_value

_ROUTE_CLASSES = {"Route": False, "WebSocketRoute": True, "APIRoute": False, "APIWebSocketRoute": True}
_ADD_CALLS = {"add_route": False, "add_api_route": False, "add_websocket_route": True, "add_api_websocket_route": True}
_FRAMEWORKS = ("starlette", "fastapi")
ADD_CALLS = frozenset(_ADD_CALLS)


def detect(ctx: Context) -> Iterator[EntryPoint]:
    if not (ctx.repo_imports("starlette") or ctx.repo_imports("fastapi")):
        return
    for module in ctx.modules():
        if ctx.imports(module, "starlette") or ctx.imports(module, "fastapi"):
            yield from _route_objects(ctx, module)
        yield from _add_calls(ctx, module)


def _kind(ctx: Context, module: ModuleIndex, call: ast.Call) -> str | None:
    """``"Route"``, ``"Mount"``... when *call* constructs a Starlette/FastAPI routing object."""
    qualified = ctx.qualify(module, call.func)
    if qualified is None:
        return None
    top, last = split(qualified)
    return last if top in _FRAMEWORKS and (last in _ROUTE_CLASSES or last == "Mount") else None


def _route_objects(ctx: Context, module: ModuleIndex) -> Iterator[EntryPoint]:
    kinds = {id(call): kind for call, _scope in ctx.calls(module) if (kind := _kind(ctx, module, call)) is not None}
    if not kinds:
        return  # no routing object built here: skip the walk that carries Mount prefixes
    named = _named_mounts(ctx, module, kinds)
    yield from _visit(ctx, module, module.tree, Scope(), "", named, kinds)


def _named_mounts(ctx: Context, module: ModuleIndex, kinds: dict[int, str]) -> dict[str, str]:
    """``Mount("/api", routes=api_routes)``: the prefix each named route list gets."""
    named: dict[str, str] = {}
    for call, _scope in ctx.calls(module):
        routes = call_arg(call, None, "routes")
        if isinstance(routes, ast.Name) and kinds.get(id(call)) == "Mount":
            named.setdefault(routes.id, string_value(call_arg(call, 0, "path")) or "")
    return named


def _visit(
    ctx: Context,
    module: ModuleIndex,
    node: ast.AST,
    scope: Scope,
    prefix: str,
    named: dict[str, str],
    kinds: dict[int, str],
) -> Iterator[EntryPoint]:
    """Walk *node*, carrying the prefix of the ``Mount`` lists we are inside (*kinds*: the routing calls by id)."""
    for child, inner in children(node, scope):
        kind = kinds.get(id(child))
        if kind == "Mount":
            assert isinstance(child, ast.Call)
            path = join_path(prefix, string_value(call_arg(child, 0, "path")) or "")
            yield from _visit(ctx, module, child, inner, path, named, kinds)
        elif kind is not None:
            assert isinstance(child, ast.Call)
            yield from _route(ctx, module, child, inner, prefix, kind)
        elif isinstance(child, ast.Assign) and len(child.targets) == 1 and dotted(child.targets[0]) in named:
            yield from _visit(
                ctx, module, child, inner, join_path(prefix, named[dotted(child.targets[0]) or ""]), named, kinds
            )
        else:
            yield from _visit(ctx, module, child, inner, prefix, named, kinds)


def _route(
    ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope, prefix: str, kind: str
) -> Iterator[EntryPoint]:
    framework = "fastapi" if kind.startswith("API") else "starlette"
    path = string_value(call_arg(call, 0, "path"))
    route = join_path(prefix, path) if path is not None else None
    websocket = _ROUTE_CLASSES[kind]
    yield from _endpoint(ctx, module, call_arg(call, 1, "endpoint"), scope, framework, route, call, websocket)


def _endpoint(
    ctx: Context,
    module: ModuleIndex,
    expr: ast.expr | None,
    scope: Scope,
    framework: str,
    route: str | None,
    call: ast.Call,
    websocket: bool,
) -> Iterator[EntryPoint]:
    target = ctx.resolve(module, expr, scope)
    if target is None:
        return
    if target.is_class:
        yield from class_entry_points(ctx, target, route=route, framework=framework)
        return
    methods = () if websocket else (method_names(call_arg(call, None, "methods")) or ("GET",))
    yield EntryPoint(target.module.path, target.qualname, target.line, framework, route, methods)


def _add_calls(ctx: Context, module: ModuleIndex) -> Iterator[EntryPoint]:
    for call, scope in ctx.method_calls(module, _ADD_CALLS):
        func = call.func
        assert isinstance(func, ast.Attribute)
        framework = router_framework(ctx.object_type(module, func.value, scope))
        if framework is None and _guessable(ctx, module, func.value, scope, call):
            framework = "fastapi" if ctx.imports(module, "fastapi") else "starlette"
        if framework not in _FRAMEWORKS:
            continue
        path = string_value(call_arg(call, 0, "path"))
        route = join_path(prefix_of(ctx, module, func.value, scope), path) if path is not None else None
        yield from _endpoint(
            ctx, module, call_arg(call, 1, "endpoint", "route"), scope, framework, route, call, _ADD_CALLS[func.attr]
        )


def _guessable(ctx: Context, module: ModuleIndex, receiver: ast.expr, scope: Scope, call: ast.Call) -> bool:
    imported = ctx.imports(module, "starlette") or ctx.imports(module, "fastapi")
    return imported and ctx.is_unknown(module, receiver, scope) and looks_like_path(call_arg(call, 0, "path"))
