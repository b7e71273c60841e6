"""Pyramid views: ``@view_config(route_name=...)`` and ``config.add_view(view, route_name=...)``.

Routes are named in Pyramid; ``config.add_route(name, pattern)`` anywhere in the
repository turns a ``route_name`` into its URL pattern.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex
from .context import Context, Target
from .entry import EntryPoint
from .objects import router_framework, split
from .syntax import DefinitionNode, Scope, call_arg, function_methods, method_names, string_value


def detect(ctx: Context) -> Iterator[EntryPoint]:
    for module in ctx.modules():
        if not ctx.imports(module, "pyramid"):
            continue
        yield from _decorated(ctx, module)
        for call, scope in ctx.method_calls(module, ("add_view",)):
            if _config_call(ctx, module, call, scope):
                yield from _added_view(ctx, module, call, scope)


def _config_call(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> bool:
    """A method call on a ``Configurator`` (or on an untyped object in a module importing pyramid)."""
    func = call.func
    assert isinstance(func, ast.Attribute)
    typed = router_framework(ctx.object_type(module, func.value, scope))
    return typed == "pyramid" or (typed is None and ctx.is_unknown(module, func.value, scope))


def _routes(ctx: Context) -> dict[str, str]:
    """Route name → URL pattern, from every ``config.add_route(name, pattern)``."""
    found: dict[str, str] = {}
    for module in ctx.modules():
        if not ctx.imports(module, "pyramid"):
            continue
        for call, scope in ctx.method_calls(module, ("add_route",)):
            if _config_call(ctx, module, call, scope):
                name, pattern = string_value(call_arg(call, 0, "name")), string_value(call_arg(call, 1, "pattern"))
                if name is not None and pattern is not None:
                    found.setdefault(name, pattern)
    return found


def _route(ctx: Context, name: str | None) -> str | None:
    return ctx.memo("pyramid.routes", lambda: _routes(ctx)).get(name) if name else None


def _view_config(ctx: Context, module: ModuleIndex, node: DefinitionNode, name: str) -> ast.Call | None:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and split(ctx.qualify(module, decorator.func) or ".") == ("pyramid", name):
            return decorator
    return None


def _decorated(ctx: Context, module: ModuleIndex) -> Iterator[EntryPoint]:
    for node, scope in ctx.definitions(module):
        config = _view_config(ctx, module, node, "view_config")
        if config is None or isinstance(node, ast.ClassDef):
            continue
        route_name = string_value(call_arg(config, None, "route_name")) or _class_default(ctx, module, scope)
        methods = method_names(call_arg(config, None, "request_method"))
        qualname = scope.qualname(node.name)
        yield EntryPoint(module.path, qualname, node.lineno, "pyramid", _route(ctx, route_name), methods)


def _class_default(ctx: Context, module: ModuleIndex, scope: Scope) -> str | None:
    """``@view_defaults(route_name=...)`` on the class holding a ``@view_config`` method."""
    owner = ctx.nodes(module).get(".".join(scope.names)) if scope.names else None
    defaults = _view_config(ctx, module, owner, "view_defaults") if isinstance(owner, ast.ClassDef) else None
    return string_value(call_arg(defaults, None, "route_name")) if defaults is not None else None


def _added_view(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> Iterator[EntryPoint]:
    view = call_arg(call, 0, "view")
    text = string_value(view)
    target = _by_dotted_name(ctx, text) if text is not None else ctx.resolve(module, view, scope)
    if target is None:
        return
    route = _route(ctx, string_value(call_arg(call, None, "route_name")))
    methods = method_names(call_arg(call, None, "request_method"))
    if target.is_class:
        assert isinstance(target.node, ast.ClassDef)
        attr = string_value(call_arg(call, None, "attr")) or "__call__"
        target = next((target.method(m) for m in function_methods(target.node) if m.name == attr), None)
        if target is None:
            return
    yield EntryPoint(target.module.path, target.qualname, target.line, "pyramid", route, methods)


def _by_dotted_name(ctx: Context, text: str) -> Target | None:
    """``config.add_view("pkg.views.home")``: a dotted name of the repository."""
    found = ctx.resolver.resolve(text.replace(":", "."))
    symbol = found.symbol
    home = ctx.index.modules.get(symbol.file) if symbol is not None and not found.approximate else None
    return ctx.target(home, symbol.qualname) if home is not None and symbol is not None else None
