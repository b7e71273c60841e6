"""Route decorators on app and router objects: ``@app.route``, ``@router.get``, ``@bp.post``...

Covers Flask (and flask-restx namespaces), Quart, FastAPI, Starlette, Sanic,
Bottle, aiohttp ``RouteTableDef``, Azure ``FunctionApp``, django-ninja, AWS
Chalice and Lambda Powertools. The receiver is identified by import origin
(``app = Flask(__name__)`` anywhere in the repo, an annotated parameter, an app
factory's return value). When nothing tells what the receiver is (``def
register(app)``, a factory we cannot follow), the decorator is accepted only
with a URL-path literal and a framework imported by the module (or, for an
app-like name, by the repository).
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from ..index import ModuleIndex, dotted
from .classviews import class_entry_points
from .context import Context
from .entry import EntryPoint
from .objects import IMPORT_ROOTS, ROUTER_PACKAGES, router_framework
from .prefixes import prefix_of
from .syntax import HTTP_VERBS, DefinitionNode, Scope, call_arg, join_path, looks_like_path, method_names, string_value

Methods = tuple[str, ...]
FROM_KEYWORD = None  # the methods come from a ``methods=`` keyword (default GET)

_VERBS: dict[str, Methods | None] = {v: (v.upper(),) for v in ("get", "post", "put", "delete", "patch")}
_ALL_VERBS: dict[str, Methods | None] = {v: (v.upper(),) for v in (*HTTP_VERBS, "trace")}
DECORATORS: dict[str, dict[str, Methods | None]] = {
    "flask": {"route": FROM_KEYWORD, **_VERBS},
    "quart": {"route": FROM_KEYWORD, **_VERBS, "websocket": ()},
    "fastapi": {"route": FROM_KEYWORD, "api_route": FROM_KEYWORD, **_ALL_VERBS, "websocket": (), "websocket_route": ()},
    "starlette": {"route": FROM_KEYWORD, "websocket_route": ()},
    "sanic": {"route": FROM_KEYWORD, **_ALL_VERBS, "websocket": (), "websocket_route": ()},
    "bottle": {"route": FROM_KEYWORD, **_VERBS},
    "aiohttp": {"route": FROM_KEYWORD, "view": (), **_ALL_VERBS},
    "aws-lambda": {"route": FROM_KEYWORD, **_ALL_VERBS, "lambda_function": ()},
    "django": dict(_VERBS),  # django-ninja
    "azure-functions": {"route": FROM_KEYWORD, "function_name": ()},
}
_PATH_KEYWORDS = ("rule", "path", "uri", "route")
_BOTTLE_FUNCTIONS = {f"bottle.{name}": name for name in DECORATORS["bottle"]}


def detect(ctx: Context) -> Iterator[EntryPoint]:
    if not any(ctx.repo_imports(package) for package in ROUTER_PACKAGES):
        return
    bottle = ctx.may_name("bottle")
    for module in ctx.modules():
        if not route_decorated(module, bottle):
            continue  # the index says no decorator here is a call that can register a route: no walk
        for node, scope in ctx.definitions(module):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call):
                    yield from _decorated(ctx, module, node, scope, decorator)


_REGISTERING = sorted({attr for table in DECORATORS.values() for attr in table})
_ROUTE_CALL = re.compile(r"\.(?:%s)\(|_trigger\(|\.\.\.$" % "|".join(_REGISTERING))
"""A decorator's text (``app.route('/x')``) that may be a call :func:`_registers` accepts: ``.<attr>(``
written after the receiver, an Azure ``*_trigger(``, or a text the index shortened (``...``)."""
_ANY_CALL = re.compile(r"\(|\.\.\.$")
"""With bottle nameable, any call: ``@route('/x')`` needs no receiver."""


def route_decorated(module: ModuleIndex, bottle: bool) -> bool:
    """From the index: may a decorator of *module* register a route (*bottle*: may a name be bottle's)?"""
    written = _ANY_CALL if bottle else _ROUTE_CALL
    return any(written.search(text) for d in module.definitions for text in d.decorators)


def _decorated(
    ctx: Context, module: ModuleIndex, node: DefinitionNode, scope: Scope, call: ast.Call
) -> Iterator[EntryPoint]:
    func = call.func
    bottle = _BOTTLE_FUNCTIONS.get(ctx.qualify(module, func) or "")
    if bottle is not None:
        yield from _entries(ctx, module, node, scope, call, "bottle", bottle, "")
        return
    if not isinstance(func, ast.Attribute):
        return
    framework = _framework(ctx, module, func.value, scope, func.attr, call)
    if framework is not None and _registers(framework, func.attr):
        prefix = prefix_of(ctx, module, func.value, scope)
        yield from _entries(ctx, module, node, scope, call, framework, func.attr, prefix)


def _registers(framework: str, attr: str) -> bool:
    if framework == "azure-functions" and attr.endswith("_trigger"):
        return True
    return attr in DECORATORS.get(framework, {})


def _framework(
    ctx: Context, module: ModuleIndex, receiver: ast.expr, scope: Scope, attr: str, call: ast.Call
) -> str | None:
    """The framework of the decorator's receiver, by type or, when the type is unknown, by a careful guess."""
    known = router_framework(ctx.object_type(module, receiver, scope))
    if known is not None:
        return known
    if not ctx.is_unknown(module, receiver, scope) or not looks_like_path(call_arg(call, 0, *_PATH_KEYWORDS)):
        return None
    candidates = [fw for root, fw in IMPORT_ROOTS.items() if ctx.imports(module, root)]
    if not candidates and _app_like(receiver):
        candidates = [fw for root, fw in IMPORT_ROOTS.items() if ctx.repo_imports(root)]
    return next((fw for fw in candidates if attr in DECORATORS.get(fw, {})), None)


def _app_like(receiver: ast.expr) -> bool:
    name = (dotted(receiver) or "").split(".")[-1].lower()
    return any(word in name for word in ("app", "api", "router", "bp", "blueprint", "routes"))


def _entries(
    ctx: Context,
    module: ModuleIndex,
    node: DefinitionNode,
    scope: Scope,
    call: ast.Call,
    framework: str,
    attr: str,
    prefix: str,
) -> Iterator[EntryPoint]:
    target = ctx.target(module, scope.qualname(node.name))
    if target is None:
        return
    route, methods = _route_and_methods(call, framework, attr, node.name)
    route = join_path(prefix, route) if route is not None else None
    if target.is_class:
        yield from class_entry_points(ctx, target, route=route, framework=framework)
    else:
        yield EntryPoint(module.path, target.qualname, target.line, framework, route, methods)


def _route_and_methods(call: ast.Call, framework: str, attr: str, name: str) -> tuple[str | None, Methods]:
    """The decorator's path and HTTP methods, following each framework's argument layout."""
    if framework == "aiohttp" and attr == "route":
        return string_value(call_arg(call, 1, "path")), method_names(call_arg(call, 0, "method"))
    if framework == "azure-functions":
        if attr != "route":
            return None, ()
        return string_value(call_arg(call, 0, "route")) or name, method_names(call_arg(call, None, "methods"))
    route = string_value(call_arg(call, 0, *_PATH_KEYWORDS))
    methods = DECORATORS[framework].get(attr)
    if methods is FROM_KEYWORD:
        methods = method_names(call_arg(call, None, "methods", "method")) or ("GET",)
    return route, methods
