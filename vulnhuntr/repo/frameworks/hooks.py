"""Request hooks registered on app and blueprint objects: they run on every request.

Flask and Quart ``before_request``, ``after_request``, ``teardown_request``,
``url_value_preprocessor``, ``context_processor`` and error handlers (also their
blueprint ``app_*`` forms), FastAPI/Starlette ``@app.middleware("http")`` and
exception handlers (also ``exception_handlers={...}`` tables), Sanic middleware and
exception handlers. Both ways of
registering count: ``@app.before_request`` / ``@app.errorhandler(404)`` and
``app.before_request(func)`` / ``app.register_error_handler(404, func)``. The
receiver is identified by import origin, as for routes (:mod:`.decorators`).
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from ..index import ModuleIndex
from .context import Context, Target
from .entry import EntryPoint
from .objects import IMPORT_ROOTS, router_framework
from .syntax import DefinitionNode, Scope, call_arg

_FLASK_HOOKS = {
    **{name: "hook" for name in "before_request after_request teardown_request url_value_preprocessor".split()},
    **{name: "hook" for name in "context_processor before_first_request".split()},
    **{name: "hook" for name in "before_app_request after_app_request teardown_app_request".split()},
    **{f"app_{name}": "hook" for name in "url_value_preprocessor context_processor".split()},
    "errorhandler": "error-handler",
    "app_errorhandler": "error-handler",
    "register_error_handler": "error-handler",
}
_ASGI_HOOKS = {
    "middleware": "middleware",
    "exception_handler": "error-handler",
    "add_exception_handler": "error-handler",
}
HOOKS: dict[str, dict[str, str]] = {
    "flask": _FLASK_HOOKS,
    "quart": {
        **_FLASK_HOOKS,
        **{f"{when}_websocket": "hook" for when in ("before", "after", "teardown")},
        **{f"{when}_app_websocket": "hook" for when in ("before", "after", "teardown")},
    },
    "fastapi": _ASGI_HOOKS,
    "starlette": _ASGI_HOOKS,
    "sanic": {
        "middleware": "middleware",
        "on_request": "middleware",
        "on_response": "middleware",
        "register_middleware": "middleware",
        "exception": "error-handler",
    },
}
"""Per framework: the app/blueprint methods that register a hook, and the entry-point kind of the hook."""

_NAMES = frozenset(name for hooks in HOOKS.values() for name in hooks)
HOOK_CALLS = _NAMES  # what registers a hook, decorated or called
_FUNCTION_AT: dict[str, tuple[int, str]] = {  # where the call form passes the function (position, keyword)
    "register_error_handler": (1, "f"),
    "add_exception_handler": (1, "handler"),
}
_CALL_ONLY = frozenset({*_FUNCTION_AT, "register_middleware"})
_BARE_TOO = frozenset({"middleware", "errorhandler"})  # Sanic's ``@app.middleware``, flask-restx ``@api.errorhandler``
_TAKES_ARGUMENT = frozenset({"errorhandler", "app_errorhandler", "exception_handler", "middleware", "exception"})
"""Hooks registered as ``@app.errorhandler(404)``: a call that returns the decorator."""


def detect(ctx: Context) -> Iterator[EntryPoint]:
    if not any(ctx.repo_imports(package) for package in (*HOOKS, "flask_restx", "flask_restful")):
        return
    names = _NAMES
    for module in ctx.modules():
        for node, scope in ctx.definitions(module) if hook_decorated(module) else ():
            for decorator in node.decorator_list:
                yield from _decorated(ctx, module, node, scope, decorator)
        if ctx.imports(module, "starlette") or ctx.imports(module, "fastapi"):
            yield from _handler_tables(ctx, module)
        if not ctx.may_call(module, names):
            continue
        for call, scope in ctx.calls(module):
            if isinstance(call.func, ast.Attribute) and call.func.attr in names:
                yield from _registered(ctx, module, call, scope)
            elif isinstance(call.func, ast.Call):
                yield from _curried(ctx, module, call, scope)


_HOOK_TEXT = re.compile(r"\.(?:%s)(?:\(|$)|\.\.\.$" % "|".join(sorted(_NAMES - _CALL_ONLY)))
"""A decorator's text that may be a hook :func:`_decorated` accepts: ``<receiver>.<hook>`` or ``.<hook>(``
(or a text the index shortened)."""


def hook_decorated(module: ModuleIndex) -> bool:
    """From the index: may a decorator of *module* register a hook? Only then is its tree walked for them."""
    return any(_HOOK_TEXT.search(text) for d in module.definitions for text in d.decorators)


def _decorated(
    ctx: Context, module: ModuleIndex, node: DefinitionNode, scope: Scope, decorator: ast.expr
) -> Iterator[EntryPoint]:
    """``@app.before_request`` or ``@app.errorhandler(404)``."""
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    if not isinstance(func, ast.Attribute) or func.attr not in _NAMES or func.attr in _CALL_ONLY:
        return
    if isinstance(decorator, ast.Call) != (func.attr in _TAKES_ARGUMENT) and func.attr not in _BARE_TOO:
        return
    framework = _framework(ctx, module, func.value, scope, func.attr)
    target = ctx.target(module, scope.qualname(node.name))
    if framework is not None and target is not None and not target.is_class:
        yield _entry(target, framework, HOOKS[framework][func.attr])


def _registered(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> Iterator[EntryPoint]:
    """``app.before_request(check)``, ``app.register_error_handler(404, page)``, ``app.errorhandler(404)(page)``."""
    assert isinstance(call.func, ast.Attribute)
    attr = call.func.attr
    if attr in _TAKES_ARGUMENT:
        return  # its product is the decorator: registered when called, below
    framework = _framework(ctx, module, call.func.value, scope, attr)
    if framework is None:
        return
    position, keyword = _FUNCTION_AT.get(attr, (0, "f"))
    target = ctx.resolve(module, call_arg(call, position, keyword, "func", "middleware", "handler"), scope)
    if target is not None and not target.is_class:
        yield _entry(target, framework, HOOKS[framework][attr])


def _curried(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> Iterator[EntryPoint]:
    """``app.errorhandler(404)(page)`` and ``app.middleware("http")(func)``."""
    inner = call.func
    if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)):
        return
    attr = inner.func.attr
    if attr not in _TAKES_ARGUMENT:
        return
    framework = _framework(ctx, module, inner.func.value, scope, attr)
    target = ctx.resolve(module, call_arg(call, 0), scope) if framework is not None else None
    if framework is not None and target is not None and not target.is_class:
        yield _entry(target, framework, HOOKS[framework][attr])


def _handler_tables(ctx: Context, module: ModuleIndex) -> Iterator[EntryPoint]:
    """``Starlette(exception_handlers={404: page})`` / ``FastAPI(exception_handlers=...)``."""
    for call, scope in ctx.calls(module):
        table = call_arg(call, None, "exception_handlers")
        if not isinstance(table, ast.Dict):
            continue
        framework = router_framework(ctx.qualify(module, call.func))
        if framework not in ("starlette", "fastapi"):
            continue
        for value in table.values:
            target = ctx.resolve(module, value, scope)
            if target is not None and not target.is_class:
                yield _entry(target, framework, "error-handler")


def _entry(target: Target, framework: str, kind: str) -> EntryPoint:
    return EntryPoint(target.module.path, target.qualname, target.line, framework, None, (), kind)


def _framework(ctx: Context, module: ModuleIndex, receiver: ast.expr, scope: Scope, attr: str) -> str | None:
    """The framework whose app/blueprint *receiver* is, if *attr* registers a hook there.

    A receiver of unknown type (``def init(app): @app.before_request``) is accepted when
    the module imports a framework that has such a hook.
    """
    known = router_framework(ctx.object_type(module, receiver, scope))
    if known is not None:
        return known if attr in HOOKS.get(known, {}) else None
    if not ctx.is_unknown(module, receiver, scope):
        return None
    imported = [fw for root, fw in IMPORT_ROOTS.items() if ctx.imports(module, root)]
    return next((fw for fw in imported if attr in HOOKS.get(fw, {})), None)
