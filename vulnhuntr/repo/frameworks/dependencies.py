"""FastAPI dependencies: functions (and classes) named in ``Depends(...)`` / ``Security(...)``.

FastAPI fills a dependency's parameters from the request exactly as an
endpoint's (query, path, headers, cookies, body, ``Request``), so each one is an
entry point of kind "dependency". They are found wherever ``Depends`` is written:
parameter defaults, ``Annotated[X, Depends(f)]``, ``dependencies=[Depends(f)]`` on
routes, routers and apps. ``Depends()`` without an argument depends on the
parameter's annotated class; a class dependency's parameters are its ``__init__``'s.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex
from .context import Context, Target
from .entry import EntryPoint
from .syntax import FunctionNode, call_arg, function_methods, statements

_DEPENDS = frozenset({"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends", "fastapi.params.Security"})


def detect(ctx: Context) -> Iterator[EntryPoint]:
    if not ctx.repo_imports("fastapi"):
        return
    for module in ctx.modules():
        if not ctx.may_call(module, ("Depends", "Security")):
            continue
        annotated = _annotated_classes(module)
        for call, scope in ctx.calls(module):
            if ctx.qualify(module, call.func) not in _DEPENDS:
                continue
            argument = call_arg(call, 0, "dependency")
            target = (
                ctx.resolve(module, argument, scope)
                if argument is not None
                else ctx.resolve(module, annotated.get(id(call)), scope)
            )
            if target is not None:
                yield from _entries(target)


def _entries(target: Target) -> Iterator[EntryPoint]:
    """The functions FastAPI calls with request data; one without parameters reads none (``get_db()``)."""
    if not target.is_class:
        if _has_parameters(target.node):  # type: ignore[arg-type]
            yield EntryPoint(target.module.path, target.qualname, target.line, "fastapi", None, (), "dependency")
        return
    assert isinstance(target.node, ast.ClassDef)
    for node in function_methods(target.node):
        if node.name in ("__init__", "__call__") and _has_parameters(node, skip=1):
            method = target.method(node)
            yield EntryPoint(method.module.path, method.qualname, method.line, "fastapi", None, (), "dependency")


def _has_parameters(node: FunctionNode, skip: int = 0) -> bool:
    args = node.args
    return len([*args.posonlyargs, *args.args]) > skip or bool(args.kwonlyargs or args.vararg or args.kwarg)


def _annotated_classes(module: ModuleIndex) -> dict[int, ast.expr]:
    """For each argument-less ``Depends()``: the annotation it stands for (``x: Foo = Depends()``,
    ``Annotated[Foo, Depends()]``)."""
    found: dict[int, ast.expr] = {}
    for node, _scope in statements(module.tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults) :]], args.defaults))
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
        for arg in [*positional, *args.kwonlyargs]:
            default = defaults.get(arg.arg)
            if _bare_call(default) and arg.annotation is not None:
                found[id(default)] = arg.annotation
            annotation = arg.annotation
            if isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Tuple):
                first, *rest = annotation.slice.elts
                found.update({id(extra): first for extra in rest if _bare_call(extra)})
    return found


def _bare_call(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Call) and not node.args and not node.keywords
