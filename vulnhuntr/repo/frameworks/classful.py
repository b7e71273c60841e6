"""Flask-Classful and flask_classy ``FlaskView`` classes: every public method is a view.

``index``/``get``/``post``/``put``/``patch``/``delete`` are the REST methods, any
other public method gets a route of its own name, ``@route("/path")`` sets the
path, and ``before_request``/``before_<view>``/``after_*`` run around the views
(hooks). The route base is ``route_base`` (class attribute or ``X.register(app,
route_base=...)``), else derived from the class name as the library does.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from ..index import dotted
from .context import Context, Target
from .entry import EntryPoint
from .objects import split
from .syntax import call_arg, function_methods, join_path, method_names, positional_names, string_value

_BASES = frozenset({("flask_classful", "FlaskView"), ("flask_classy", "FlaskView")})
_REST = {"index": "GET", "get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE"}
_ITEM = frozenset({"get", "put", "patch", "delete"})  # their parameters are path segments after the base
_ROUTE_DECORATORS = frozenset({("flask_classful", "route"), ("flask_classy", "route")})
_HOOK = re.compile(r"^(before|after)_")


def detect(ctx: Context) -> Iterator[EntryPoint]:
    if not (ctx.repo_imports("flask_classful") or ctx.repo_imports("flask_classy")):
        return
    bases = _registered_bases(ctx)
    for module in ctx.modules():
        for node, scope in ctx.definitions(module):
            if not isinstance(node, ast.ClassDef) or not node.bases:
                continue
            target = ctx.target(module, scope.qualname(node.name))
            if target is None:
                continue
            origin = next((split(b) for b in ctx.bases(target) if split(b) in _BASES), None)
            if origin is not None:
                yield from _views(ctx, target, bases.get((module.path, target.qualname)), origin[0] == "flask_classy")


def _registered_bases(ctx: Context) -> dict[tuple[str, str], str]:
    """``SomeView.register(app, route_base="/x")``: the route base each registered class gets."""
    found: dict[tuple[str, str], str] = {}
    for module in ctx.modules():
        for call, scope in ctx.method_calls(module, ("register",)):
            assert isinstance(call.func, ast.Attribute)
            base = string_value(call_arg(call, None, "route_base"))
            if base is None:
                continue
            target = ctx.resolve(module, call.func.value, scope)
            if target is not None and target.is_class:
                found.setdefault((target.module.path, target.qualname), base)
    return found


def _views(ctx: Context, target: Target, registered: str | None, classy: bool) -> Iterator[EntryPoint]:
    assert isinstance(target.node, ast.ClassDef)
    base = registered or _class_string(target.node, "route_base") or _default_base(target.node.name, classy)
    base = join_path(_class_string(target.node, "route_prefix") or "", base if base.startswith("/") else "/" + base)
    for node in function_methods(target.node):
        if node.name.startswith("_") or _is_static(node):
            continue
        method = target.method(node)
        if _HOOK.match(node.name):
            yield EntryPoint(method.module.path, method.qualname, method.line, "flask", None, (), "hook")
            continue
        route, methods = _route(ctx, method, base)
        yield EntryPoint(method.module.path, method.qualname, method.line, "flask", route, methods)


def _route(ctx: Context, method: Target, base: str) -> tuple[str, tuple[str, ...]]:
    node = method.node
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    decorator = _route_decorator(ctx, method)
    if decorator is not None:
        path = string_value(call_arg(decorator, 0, "rule")) or "/"
        return join_path(base, path), method_names(call_arg(decorator, None, "methods")) or ("GET",)
    params = [f"<{name}>" for name in positional_names(node)[1:]]
    if node.name in _REST:
        segments = params if node.name in _ITEM else []
    else:
        segments = [node.name, *params]
    path = "/" + "/".join(segments) + "/" if segments else "/"
    return join_path(base.rstrip("/"), path), (_REST.get(node.name, "GET"),)


def _route_decorator(ctx: Context, method: Target) -> ast.Call | None:
    for decorator, qualified in ctx.decorators(method.module, method.node):
        if isinstance(decorator, ast.Call) and split(qualified or ".") in _ROUTE_DECORATORS:
            return decorator
    return None


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(dotted(d) in ("staticmethod", "classmethod", "property") for d in node.decorator_list)


def _class_string(node: ast.ClassDef, name: str) -> str | None:
    for statement in node.body:
        if isinstance(statement, ast.Assign) and any(dotted(t) == name for t in statement.targets):
            return string_value(statement.value)
    return None


def _default_base(name: str, classy: bool) -> str:
    """``UserNotesView`` → ``/usernotes`` (flask_classy) or ``/user-notes`` (Flask-Classful)."""
    stem = name[: -len("View")] if name.endswith("View") and name != "View" else name
    if classy:
        return "/" + stem.lower()
    return "/" + re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", stem).lower()
