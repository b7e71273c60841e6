"""Functions called later or inside: callbacks handed to executors, threads, ``map``, ``partial``,
and functions defined inside the function being walked (closures), one level deep.

A callback call (``pool.submit(run, cmd)``, ``Thread(target=run, args=(cmd,))``) is
evaluated as the direct call it stands for (``run(cmd)``), so the callee's summary
applies. A local ``def`` is walked where it is called, with the enclosing function's
state (what it closes over) and its parameters bound to the arguments.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from .taint import CLEAN, Value, union

if TYPE_CHECKING:
    from .expressions import Evaluator

CALLBACK_METHODS: dict[str, int] = {"submit": 0, "apply_async": 0, "apply": 0, "run_in_executor": 1, "call_soon": 0}
"""Methods (of executors, pools, event loops) that call their argument at this position with the rest."""

CALLBACK_FUNCTIONS: dict[str, int] = {"functools.partial": 0, "builtins.map": 0, "asyncio.to_thread": 0}
"""Functions that call (or bind) their argument at this position with the rest."""

THREADS = frozenset({"threading.Thread", "multiprocessing.Process", "threading.Timer"})
"""Constructors that run ``target`` with ``args`` / ``kwargs``."""

MAX_INLINE = 2  # nested local functions walked inside one another


def direct_call(ev: Evaluator, node: ast.Call, qualified: str | None) -> ast.Call | None:
    """The direct call a callback call stands for, or None."""
    func = node.func
    position: int | None = None
    target: ast.expr | None
    if qualified in CALLBACK_FUNCTIONS:
        position = CALLBACK_FUNCTIONS[qualified]
    elif isinstance(func, ast.Attribute) and func.attr in CALLBACK_METHODS:
        position = CALLBACK_METHODS[func.attr]
    if position is not None:
        if len(node.args) <= position or any(isinstance(a, ast.Starred) for a in node.args):
            return None
        target, rest = node.args[position], list(node.args[position + 1 :])
        if isinstance(func, ast.Attribute) and func.attr in ("apply", "apply_async"):
            rest = _spread(rest[0]) if rest else []  # ``pool.apply_async(f, (a, b))``
        return _call(node, target, rest, [k for k in node.keywords if k.arg is not None])
    if qualified in THREADS:
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        target = keywords.get("target") or keywords.get("function")
        if target is None:
            return None
        args = _spread(keywords["args"]) if "args" in keywords else []
        extra = keywords.get("kwargs")
        named = []
        if isinstance(extra, ast.Dict):
            pairs = zip(extra.keys, extra.values)
            named = [ast.keyword(str(k.value), v) for k, v in pairs if isinstance(k, ast.Constant)]
        return _call(node, target, args, named)
    return None


def _spread(node: ast.expr) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, (ast.Tuple, ast.List)) else [ast.Starred(node, ast.Load())]


def _call(at: ast.Call, func: ast.expr, args: list[ast.expr], keywords: list[ast.keyword]) -> ast.Call | None:
    if not isinstance(func, (ast.Name, ast.Attribute)):
        return None
    call = ast.Call(func=func, args=args, keywords=keywords)
    ast.copy_location(call, at)
    call.end_lineno, call.end_col_offset = at.end_lineno, at.end_col_offset
    return call


def local_function(ev: Evaluator, node: ast.Call) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The ``def`` inside the walked function that *node* calls, if any."""
    if not isinstance(node.func, ast.Name) or len(ev.inlined) >= MAX_INLINE:
        return None
    found = ev.local_defs.get(node.func.id)
    return found if found is not None and found not in ev.inlined else None


def inline(
    ev: Evaluator,
    definition: ast.FunctionDef | ast.AsyncFunctionDef,
    args: list[Value],
    keywords: dict[str, Value],
) -> Value:
    """Walk a local function's body here: it sees the enclosing state; its parameters get the arguments."""
    from .statements import Walker  # the walker runs expressions; it is only needed here, at call time

    saved_env, saved_returns = ev.env, ev.returns
    ev.env, ev.returns = saved_env.copy(), []
    ev.inlined.append(definition)
    try:
        params = definition.args
        names = [a.arg for a in [*params.posonlyargs, *params.args]]
        for name, val in zip(names, args):
            ev.env.bind(name, val)
        for name in names[len(args) :]:
            ev.env.bind(name, keywords.get(name, CLEAN))
        for arg in params.kwonlyargs:
            ev.env.bind(arg.arg, keywords.get(arg.arg, CLEAN))
        for extra in (params.vararg, params.kwarg):
            if extra is not None:
                ev.env.bind(extra.arg, union(CLEAN, *args, *keywords.values()))
        Walker(ev).block(definition.body)
        return union(CLEAN, *ev.returns)
    finally:
        ev.inlined.pop()
        ev.env, ev.returns = saved_env, saved_returns
