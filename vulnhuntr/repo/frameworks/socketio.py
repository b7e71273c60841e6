"""Socket.IO event handlers: Flask-SocketIO ``@socketio.on("event")`` and python-socketio ``@sio.on``/``@sio.event``.

Every argument of an event handler is what the client sent. Flask-SocketIO
handlers run with Flask's request context (framework "flask"); python-socketio
handlers get the session id first (framework "socketio"). ``on_event("name",
handler)`` registers by call. ``Namespace`` classes are in :mod:`.classrules`.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex
from .context import Context, Target
from .entry import EntryPoint
from .objects import split
from .syntax import DefinitionNode, Scope, call_arg, string_value

_SERVERS: dict[tuple[str, str], str] = {
    ("flask_socketio", "SocketIO"): "flask",
    ("socketio", "Server"): "socketio",
    ("socketio", "AsyncServer"): "socketio",
}
_PACKAGES = {"flask_socketio": "flask", "socketio": "socketio"}


def detect(ctx: Context) -> Iterator[EntryPoint]:
    if not any(ctx.repo_imports(package) for package in _PACKAGES):
        return
    for module in ctx.modules():
        if not any(ctx.imports(module, p) for p in _PACKAGES) and not ctx.may_call(module, ("on", "event", "on_event")):
            continue
        for node, scope in ctx.definitions(module):
            for decorator in node.decorator_list:
                yield from _decorated(ctx, module, node, scope, decorator)
        for call, scope in ctx.method_calls(module, ("on_event",)):
            yield from _on_event(ctx, module, call, scope)


def _decorated(
    ctx: Context, module: ModuleIndex, node: DefinitionNode, scope: Scope, decorator: ast.expr
) -> Iterator[EntryPoint]:
    call = decorator if isinstance(decorator, ast.Call) else None
    func = call.func if call is not None else decorator
    if not isinstance(func, ast.Attribute) or func.attr not in ("on", "event"):
        return
    if (func.attr == "on") != (call is not None):
        return  # ``@sio.on("x")`` is called, ``@sio.event`` is not
    framework = _framework(ctx, module, func.value, scope)
    target = ctx.target(module, scope.qualname(node.name))
    if framework is None or target is None or target.is_class:
        return
    event = string_value(call_arg(call, 0, "message", "event")) if call is not None else node.name
    namespace = string_value(call_arg(call, None, "namespace")) if call is not None else None
    yield _entry(target, framework, event, namespace)


def _on_event(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> Iterator[EntryPoint]:
    assert isinstance(call.func, ast.Attribute)
    framework = _framework(ctx, module, call.func.value, scope)
    target = ctx.resolve(module, call_arg(call, 1, "handler"), scope) if framework is not None else None
    if framework is not None and target is not None and not target.is_class:
        event = string_value(call_arg(call, 0, "message", "event"))
        yield _entry(target, framework, event, string_value(call_arg(call, None, "namespace")))


def _entry(target: Target, framework: str, event: str | None, namespace: str | None) -> EntryPoint:
    route = f"{event} (namespace {namespace})" if event and namespace else event
    return EntryPoint(target.module.path, target.qualname, target.line, framework, route, (), "socket")


def _framework(ctx: Context, module: ModuleIndex, receiver: ast.expr, scope: Scope) -> str | None:
    """"flask" for a Flask-SocketIO server, "socketio" for python-socketio's; a receiver of unknown
    type counts when the module imports one of them (and only one).
    """
    typed = ctx.object_type(module, receiver, scope)
    if typed is not None:
        return _SERVERS.get(split(typed))
    if not ctx.is_unknown(module, receiver, scope):
        return None
    imported = {fw for package, fw in _PACKAGES.items() if ctx.imports(module, package)}
    return imported.pop() if len(imported) == 1 else None
