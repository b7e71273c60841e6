"""Django REST Framework: ``@api_view`` functions and ViewSets registered on routers.

APIView/ViewSet classes are found by base class in :mod:`.classviews`; here the
``router.register(prefix, ViewSet)`` calls give their actions a route
(``orders/`` for list/create, ``orders/<pk>/`` for retrieve/update/destroy,
``@action`` methods under their ``url_path``).
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex
from .classrules import DRF_DETAIL_ACTIONS, action_decorator
from .classviews import handlers, rule_for
from .context import Context, Target
from .entry import EntryPoint
from .objects import split
from .syntax import Scope, call_arg, method_names, string_value
from .urlconf import as_url, include_prefix, join_route

Methods = tuple[str, ...]


def api_view_methods(ctx: Context, target: Target) -> Methods | None:
    """The methods of an ``@api_view([...])`` function, None when it is not one."""
    for decorator, qualified in ctx.decorators(target.module, target.node):
        if split(qualified or ".") == ("rest_framework", "api_view"):
            found = method_names(call_arg(decorator, 0, "http_method_names")) if isinstance(decorator, ast.Call) else ()
            return found or ("GET",)
    return None


def detect(ctx: Context) -> Iterator[EntryPoint]:
    if not ctx.repo_imports("rest_framework"):
        return
    for module in ctx.modules():
        if ctx.imports(module, "rest_framework"):
            yield from _api_views(ctx, module)
        yield from _registrations(ctx, module)  # the router may be imported from another module


def _api_views(ctx: Context, module: ModuleIndex) -> Iterator[EntryPoint]:
    for node, scope in ctx.definitions(module):
        if isinstance(node, ast.ClassDef) or not node.decorator_list:
            continue
        target = ctx.target(module, scope.qualname(node.name))
        methods = api_view_methods(ctx, target) if target is not None else None
        if target is not None and methods is not None:
            yield EntryPoint(module.path, target.qualname, target.line, "drf", None, methods)


def _registrations(ctx: Context, module: ModuleIndex) -> Iterator[EntryPoint]:
    for call, scope in ctx.method_calls(module, ("register",)):
        func = call.func
        assert isinstance(func, ast.Attribute)
        if not _is_router(ctx, module, func.value, scope):
            continue
        target = ctx.resolve(module, call_arg(call, 1, "viewset"), scope)
        rule = rule_for(ctx, target) if target is not None else None
        if target is None or rule is None or rule.framework != "drf":
            continue
        router = ctx.qualify(module, func.value)
        base = include_prefix(ctx, f"router:{router}", fallback=module.path)  # else ``urlpatterns += router.urls``
        prefix = join_route(base, (string_value(call_arg(call, 0, "prefix")) or "").strip("/"))
        for method, http in handlers(ctx, target, rule):
            yield EntryPoint(
                method.module.path,
                method.qualname,
                method.line,
                "drf",
                as_url(_action_route(ctx, method, prefix)),
                http,
            )


def _is_router(ctx: Context, module: ModuleIndex, receiver: ast.expr, scope: Scope) -> bool:
    top, last = split(ctx.object_type(module, receiver, scope) or ".")
    return top == "rest_framework" and last.endswith("Router")


def _action_route(ctx: Context, method: Target, prefix: str) -> str:
    name = method.node.name
    decorator = action_decorator(ctx, method)
    if decorator is None:
        return f"{prefix}/<pk>/" if name in DRF_DETAIL_ACTIONS else f"{prefix}/"
    detail = isinstance(decorator, ast.Call) and _is_true(call_arg(decorator, None, "detail"))
    path = (string_value(call_arg(decorator, None, "url_path")) if isinstance(decorator, ast.Call) else None) or name
    return f"{prefix}/<pk>/{path}/" if detail else f"{prefix}/{path}/"


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True
