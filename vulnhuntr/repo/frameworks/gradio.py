"""Gradio apps: functions behind ``gr.Interface(fn)`` and Blocks events (``btn.click(fn, ...)``).

Every input component is user-controlled, so each function wired to the UI is
an entry point. Only modules importing gradio are looked at, and an event
receiver must be a gradio object or of unknown type.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex
from .context import Context
from .entry import EntryPoint
from .objects import split
from .syntax import Scope, call_arg

_INTERFACES = frozenset({"Interface", "ChatInterface"})
_EVENTS = frozenset(  # event listeners of gradio components and Blocks
    "click double_click submit change input upload select release blur focus clear stream play pause stop end "
    "like edit retry undo key_up apply delete tick copy expand collapse load then success".split()
)


def detect(ctx: Context) -> Iterator[EntryPoint]:
    for module in ctx.modules():
        if not ctx.imports(module, "gradio"):
            continue
        for call, scope in ctx.calls(module):
            fn = _wired_function(ctx, module, call, scope)
            target = ctx.resolve(module, fn, scope) if fn is not None else None
            if target is not None and not target.is_class:
                yield EntryPoint(target.module.path, target.qualname, target.line, "gradio")


def _wired_function(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> ast.expr | None:
    """The ``fn`` argument of an Interface, ``gr.on(...)`` or an event listener call."""
    top, last = split(ctx.qualify(module, call.func) or ".")
    if top == "gradio" and last in _INTERFACES:
        return call_arg(call, 0, "fn")
    if top == "gradio" and last == "on":
        return call_arg(call, 1, "fn")
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in _EVENTS):
        return None
    typed = ctx.object_type(module, func.value, scope)  # None: a component we cannot type (built in a loop...)
    return call_arg(call, 0, "fn") if typed is None or split(typed)[0] == "gradio" else None
