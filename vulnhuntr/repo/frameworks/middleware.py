"""Middleware that sees every request: Django, ASGI (Starlette/FastAPI ``add_middleware``) and aiohttp.

Django middleware is what settings list in ``MIDDLEWARE`` (dotted strings,
resolved like Django imports them) or a class of the documented shape
(``__init__(self, get_response)`` kept on ``self`` and called from
``__call__(self, request)``); ``MiddlewareMixin`` subclasses are found by
:mod:`.classrules`. Its request methods (``process_request``, ``process_view``,
``process_exception``, ``process_response``, ``__call__``) are entry points, and
so is the inner function a function middleware factory returns. ASGI classes
passed to ``app.add_middleware`` contribute ``__call__(scope, receive, send)``
(``BaseHTTPMiddleware.dispatch`` is a class rule); aiohttp's are the functions
decorated with ``@web.middleware``; Falcon's the components given to ``App(middleware=...)``.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex, dotted
from .classviews import rule_for
from .context import Context, Target
from .entry import EntryPoint
from .objects import router_framework, split
from .syntax import FunctionNode, Scope, call_arg, function_methods, positional_names, statements, string_value

DJANGO_METHODS = frozenset(
    "process_request process_view process_exception process_response process_template_response __call__".split()
)
FALCON_METHODS = frozenset("process_request process_resource process_response".split())
_SETTINGS = ("MIDDLEWARE", "MIDDLEWARE_CLASSES")
_MIDDLEWARE_WRAPPERS = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})
_AIOHTTP_DECORATORS = frozenset({"aiohttp.web.middleware", "aiohttp.web_middlewares.middleware"})


def detect(ctx: Context) -> Iterator[EntryPoint]:
    if ctx.repo_imports("django"):
        yield from _django(ctx)
    if ctx.repo_imports("starlette") or ctx.repo_imports("fastapi"):
        yield from _asgi(ctx)
    if ctx.repo_imports("aiohttp"):
        yield from _aiohttp(ctx)
    if ctx.repo_imports("falcon"):
        yield from _falcon(ctx)


# -- Django ---------------------------------------------------------------------------------


def _django(ctx: Context) -> Iterator[EntryPoint]:
    listed: set[tuple[str, str]] = set()
    for module, name in _settings_entries(ctx):
        target = ctx.import_target(name, module)
        if target is None:
            continue
        listed.add((target.module.path, target.qualname))
        yield from _django_entries(ctx, target)
    for module in ctx.modules():
        if not has_callable_class(module):
            continue  # the index says no class here has both __init__ and __call__: no walk
        django_module = ctx.imports(module, "django")
        for node, scope in ctx.definitions(module):
            if isinstance(node, ast.ClassDef) and _django_shape(node, django_module):
                target = ctx.target(module, scope.qualname(node.name))
                if target is not None and (module.path, target.qualname) not in listed:
                    yield from _django_entries(ctx, target)


def _settings_entries(ctx: Context) -> Iterator[tuple[ModuleIndex, str]]:
    """Dotted names in module-level ``MIDDLEWARE = [...]``, ``MIDDLEWARE += [...]``, ``MIDDLEWARE.append(...)``."""
    for module in ctx.modules():
        if "MIDDLEWARE" not in module.source:
            continue
        for node, scope in statements(module.tree):
            if scope.names:
                continue
            for value in _setting_values(node):
                for item in value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]:
                    text = string_value(item)
                    if text and "." in text:
                        yield module, text


def _setting_values(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign) and any(dotted(t) in _SETTINGS for t in node.targets):
        return [node.value]
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)) and dotted(node.target) in _SETTINGS and node.value:
        return [node.value]
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        if isinstance(func, ast.Attribute) and dotted(func.value) in _SETTINGS and func.attr in ("append", "insert"):
            return node.value.args[-1:]
    return []


def has_callable_class(module: ModuleIndex) -> bool:
    """Does some class of *module* define both ``__init__`` and ``__call__`` (the shape :func:`_django_shape` needs)?"""
    methods = {d.qualname for d in module.definitions if d.kind == "method"}
    return any(q.endswith(".__call__") and q[: -len("__call__")] + "__init__" in methods for q in methods)


def _django_shape(node: ast.ClassDef, django_module: bool) -> bool:
    """``__init__(self, get_response)`` storing it on ``self``, ``__call__(self, request)`` calling it.

    A decorator class has the same shape, so it counts only in a module importing django or
    with a ``process_*`` method of its own.
    """
    methods = {m.name: m for m in function_methods(node)}
    if not django_module and not any(name.startswith("process_") for name in methods):
        return False
    init, call = methods.get("__init__"), methods.get("__call__")
    if init is None or call is None or len(positional_names(init)) != 2 or len(positional_names(call)) != 2:
        return False
    parameter = positional_names(init)[1]
    stored = {
        target.attr
        for statement, _ in statements(init)
        if isinstance(statement, ast.Assign) and dotted(statement.value) == parameter
        for target in statement.targets
        if isinstance(target, ast.Attribute) and dotted(target.value) == "self"
    }
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and dotted(n.func.value) == "self"
        and n.func.attr in stored
        for n in ast.walk(call)
    )


def _django_entries(ctx: Context, target: Target) -> Iterator[EntryPoint]:
    if target.is_class:
        rule = rule_for(ctx, target)
        if rule is not None and rule.kind == "middleware":
            return  # a MiddlewareMixin: the class rule reports it
        assert isinstance(target.node, ast.ClassDef)
        for node in function_methods(target.node):
            if node.name in DJANGO_METHODS:
                yield _entry(target.method(node), "django")
        return
    for inner in _returned_functions(target.node):  # type: ignore[arg-type]
        yield _entry(target.method(inner), "django")


def _returned_functions(factory: FunctionNode) -> list[FunctionNode]:
    """The nested functions a middleware factory returns (``def middleware(request): ...; return middleware``)."""
    nested = {n.name: n for n in factory.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    returned = {
        node.value.id
        for node, scope in statements(factory)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Name) and len(scope.functions) == 1
    }
    return [nested[name] for name in sorted(returned) if name in nested]


def _entry(target: Target, framework: str) -> EntryPoint:
    return EntryPoint(target.module.path, target.qualname, target.line, framework, None, (), "middleware")


# -- ASGI and aiohttp ---------------------------------------------------------------------------


def _asgi(ctx: Context) -> Iterator[EntryPoint]:
    """``app.add_middleware(Cls, ...)`` or ``Middleware(Cls)`` with a pure ASGI class: its
    ``__call__(scope, receive, send)``."""
    for module in ctx.modules():
        for call, scope in ctx.method_calls(module, ("add_middleware",)):
            assert isinstance(call.func, ast.Attribute)
            if router_framework(ctx.object_type(module, call.func.value, scope)) in ("starlette", "fastapi", None):
                yield from _asgi_class(ctx, module, call, scope)
        if ctx.imports(module, "starlette") and ctx.may_call(module, ("Middleware",)):
            for call, scope in ctx.calls(module):
                if ctx.qualify(module, call.func) in _MIDDLEWARE_WRAPPERS:
                    yield from _asgi_class(ctx, module, call, scope)


def _asgi_class(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> Iterator[EntryPoint]:
    target = ctx.resolve(module, call_arg(call, 0, "middleware_class", "middleware", "cls"), scope)
    if target is None or not target.is_class or rule_for(ctx, target) is not None:
        return  # not ours, or a BaseHTTPMiddleware the class rule reports
    assert isinstance(target.node, ast.ClassDef)
    for node in function_methods(target.node):
        if node.name == "__call__" and len(positional_names(node)) == 4:
            yield _entry(target.method(node), "asgi")


def _falcon(ctx: Context) -> Iterator[EntryPoint]:
    """``falcon.App(middleware=[Component(), ...])``: the components' ``process_*`` methods."""
    for module in ctx.modules():
        if not ctx.imports(module, "falcon"):
            continue
        for call, scope in ctx.calls(module):
            if split(ctx.qualify(module, call.func) or ".") not in (("falcon", "App"), ("falcon", "API")):
                continue
            listed = call_arg(call, None, "middleware")
            items = listed.elts if isinstance(listed, (ast.List, ast.Tuple)) else [listed] if listed else []
            for item in items:
                target = ctx.resolve(module, item, scope)
                if target is None or not target.is_class:
                    continue
                assert isinstance(target.node, ast.ClassDef)
                for node in function_methods(target.node):
                    if node.name in FALCON_METHODS:
                        yield _entry(target.method(node), "falcon")


def _aiohttp(ctx: Context) -> Iterator[EntryPoint]:
    for module in ctx.modules():
        if not ctx.imports(module, "aiohttp"):
            continue
        for node, scope in ctx.definitions(module):
            if isinstance(node, ast.ClassDef):
                continue
            if any(qualified in _AIOHTTP_DECORATORS for _, qualified in ctx.decorators(module, node)):
                target = ctx.target(module, scope.qualname(node.name))
                if target is not None:
                    yield _entry(target, "aiohttp")
