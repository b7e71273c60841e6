"""Flask and Quart routes registered by call: ``add_url_rule(rule, endpoint, view_func)``
and flask-restful's ``api.add_resource(Resource, "/url")``.

Decorator routes are in :mod:`.decorators` and ``MethodView`` classes in
:mod:`.classviews`; this adds the routes registered imperatively, including
``SomeView.as_view("name")`` views and ``def init(app): app.add_url_rule(...)``
where the app's type cannot be known.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex
from .classviews import class_entry_points
from .context import Context
from .entry import EntryPoint
from .objects import router_framework
from .prefixes import prefix_of
from .syntax import Scope, call_arg, join_path, looks_like_path, method_names, string_value

_FRAMEWORKS = ("flask", "quart")


def detect(ctx: Context) -> Iterator[EntryPoint]:
    if not any(ctx.repo_imports(package) for package in ("flask", "quart", "flask_restful", "flask_restx")):
        return
    for module in ctx.modules():
        for call, scope in ctx.method_calls(module, ("add_url_rule", "add_resource")):
            assert isinstance(call.func, ast.Attribute)
            if call.func.attr == "add_url_rule":
                framework = _framework(ctx, module, call.func.value, scope, call)
                if framework is not None:
                    yield from _url_rule(ctx, module, call, scope, framework)
            else:
                yield from _resource(ctx, module, call, scope)


def _framework(ctx: Context, module: ModuleIndex, receiver: ast.expr, scope: Scope, call: ast.Call) -> str | None:
    known = router_framework(ctx.object_type(module, receiver, scope))
    if known is not None:
        return known if known in _FRAMEWORKS else None
    if not ctx.is_unknown(module, receiver, scope):
        return None
    if ctx.imports(module, "quart"):
        return "quart"
    if ctx.imports(module, "flask") or looks_like_path(call_arg(call, 0, "rule")):
        return "flask"
    return None


def _url_rule(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope, framework: str) -> Iterator[EntryPoint]:
    assert isinstance(call.func, ast.Attribute)
    target = ctx.resolve(module, call_arg(call, 2, "view_func"), scope)
    if target is None:
        return
    rule = string_value(call_arg(call, 0, "rule"))
    route = join_path(prefix_of(ctx, module, call.func.value, scope), rule) if rule is not None else None
    methods = method_names(call_arg(call, None, "methods"))
    if target.is_class:
        for entry in class_entry_points(ctx, target, route=route, framework=framework):
            yield _with_methods(entry, methods)
        return
    yield EntryPoint(target.module.path, target.qualname, target.line, framework, route, methods or ("GET",))


def _with_methods(entry: EntryPoint, methods: tuple[str, ...]) -> EntryPoint:
    """``dispatch_request`` serves whatever ``methods=`` the rule allows."""
    if entry.methods or not methods:
        return entry
    return EntryPoint(entry.file, entry.function, entry.line, entry.framework, entry.route, methods)


def _resource(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> Iterator[EntryPoint]:
    """flask-restful/flask-restx ``api.add_resource(Resource, "/url", ...)``."""
    assert isinstance(call.func, ast.Attribute)
    if not (ctx.imports(module, "flask_restful") or ctx.imports(module, "flask_restx")):
        return
    if router_framework(ctx.object_type(module, call.func.value, scope)) not in ("flask", None):
        return
    target = ctx.resolve(module, call_arg(call, 0, "resource"), scope)
    if target is not None and target.is_class:
        yield from class_entry_points(ctx, target, route=string_value(call_arg(call, 1, "urls")), framework="flask")
