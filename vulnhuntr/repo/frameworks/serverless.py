"""Serverless handlers: AWS Lambda, Azure Functions (v1 ``main(req)``) and Google Cloud Functions.

Lambda handlers are recognised by shape, so the rule is strict: a module-level
function (never a method or a nested helper) of exactly ``(event, context)``
outside test code. Azure's decorator model (``@app.route`` on ``FunctionApp``)
and Powertools resolvers are route decorators, handled in :mod:`.decorators`.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import Definition, ModuleIndex, annotation_type
from .context import Context
from .entry import EntryPoint
from .objects import split
from .syntax import FunctionNode, positional_names
from .testcode import is_test_module

_EVENT_NAMES = frozenset({"event", "_event", "evt"})
_CONTEXT_NAMES = frozenset({"context", "_context", "ctx", "_ctx", "lambda_context"})
_GCP_DECORATORS = frozenset({"http", "cloud_event", "typed"})


def detect(ctx: Context) -> Iterator[EntryPoint]:
    decorated = ctx.may_name("functions_framework")
    for module in ctx.modules():
        if is_test_module(module) or not _may_serve(ctx, module, decorated):
            continue
        for node, scope in ctx.definitions(module):
            if isinstance(node, ast.ClassDef) or not scope.at_module_level:
                continue
            framework = _framework(ctx, module, node)
            if framework is not None:
                yield EntryPoint(module.path, node.name, node.lineno, framework)


def _may_serve(ctx: Context, module: ModuleIndex, decorated: bool) -> bool:
    """From the index: could a module-level function here pass :func:`_framework`? Only then is the tree walked.

    A decorator can name ``functions_framework`` only when something in the repository does (*decorated*).
    """
    functions = [d for d in module.definitions if d.kind == "function" and "." not in d.qualname]
    if not functions:
        return False
    if ctx.imports(module, "azure.functions") or module.path.rsplit("/", 1)[-1] == "main.py":
        return True
    return any(_lambda_shape(list(d.parameters)) or (decorated and d.decorators) for d in functions)


def _lambda_shape(params: list[str]) -> bool:
    return len(params) == 2 and params[0] in _EVENT_NAMES and params[1] in _CONTEXT_NAMES


def lambda_shaped(definition: Definition) -> bool:
    """From the index: a module-level function of ``(event, context)``."""
    return definition.kind == "function" and "." not in definition.qualname and _lambda_shape(list(definition.parameters))


def _framework(ctx: Context, module: ModuleIndex, node: FunctionNode) -> str | None:
    if _gcp_decorated(ctx, module, node):
        return "gcp-functions"
    params = positional_names(node)
    if _lambda_shape(params):
        return "aws-lambda"
    if ctx.imports(module, "azure.functions") and _azure_request(ctx, module, node):
        return "azure-functions"
    if _gcp_main(ctx, module, node, params):
        return "gcp-functions"
    return None


def _gcp_decorated(ctx: Context, module: ModuleIndex, node: FunctionNode) -> bool:
    for _decorator, qualified in ctx.decorators(module, node):
        top, last = split(qualified or ".")
        if top == "functions_framework" and last in _GCP_DECORATORS:
            return True
    return False


def _azure_request(ctx: Context, module: ModuleIndex, node: FunctionNode) -> bool:
    """Azure v1 programming model: ``def main(req: func.HttpRequest)``."""
    for arg in (*node.args.posonlyargs, *node.args.args):
        if arg.annotation is None:
            continue
        qualified = ctx.resolver.qualify(annotation_type(arg.annotation), module.path, arg.annotation.lineno)
        if qualified and split(qualified) == ("azure", "HttpRequest"):
            return True
    return False


def _gcp_main(ctx: Context, module: ModuleIndex, node: FunctionNode, params: list[str]) -> bool:
    """A ``def handler(request)`` in the ``main.py`` Cloud Functions deploys, next to a flask import."""
    if module.path.rsplit("/", 1)[-1] != "main.py" or params != ["request"] or node.decorator_list:
        return False
    return ctx.imports(module, "functions_framework") or ctx.imports(module, "flask")
