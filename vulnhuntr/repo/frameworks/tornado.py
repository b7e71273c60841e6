"""Tornado routes: ``(r"/x", Handler)`` tuples and ``url(r"/x", Handler)`` in handler lists.

``RequestHandler`` subclasses are entry points by themselves (:mod:`.classviews`);
this attaches the route a handler list gives them.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex
from .classviews import class_entry_points, rule_for
from .context import Context
from .entry import EntryPoint
from .objects import split
from .syntax import Scope, call_arg, string_value, walk


def detect(ctx: Context) -> Iterator[EntryPoint]:
    for module in ctx.modules():
        if not ctx.imports(module, "tornado"):
            continue
        for node, scope in walk(module.tree):
            pair = _route_pair(ctx, module, node)
            if pair is not None:
                yield from _routed(ctx, module, scope, *pair)


def _route_pair(ctx: Context, module: ModuleIndex, node: ast.AST) -> tuple[str, ast.expr] | None:
    """``(pattern, handler)`` from a tuple/list literal or a ``url()``/``URLSpec()`` call."""
    if isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) >= 2:
        pattern = string_value(node.elts[0])
        return (pattern, node.elts[1]) if pattern is not None else None
    if isinstance(node, ast.Call) and split(ctx.qualify(module, node.func) or ".") in (
        ("tornado", "url"),
        ("tornado", "URLSpec"),
    ):
        pattern = string_value(call_arg(node, 0, "pattern"))
        handler = call_arg(node, 1, "handler")
        return (pattern, handler) if pattern is not None and handler is not None else None
    return None


def _routed(ctx: Context, module: ModuleIndex, scope: Scope, pattern: str, handler: ast.expr) -> Iterator[EntryPoint]:
    if not isinstance(handler, (ast.Name, ast.Attribute)):
        return
    target = ctx.resolve(module, handler, scope)
    rule = rule_for(ctx, target) if target is not None else None
    if target is not None and rule is not None and rule.framework == "tornado":
        yield from class_entry_points(ctx, target, rule, route=pattern)
