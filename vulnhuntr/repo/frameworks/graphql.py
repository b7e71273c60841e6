"""GraphQL resolvers: graphene ``resolver=`` functions and strawberry fields and mutations.

graphene ``ObjectType.resolve_*`` and ``Mutation.mutate`` methods are found by
base class in :mod:`.classviews`. Strawberry resolvers are methods decorated with
``@strawberry.field``/``@strawberry.mutation`` (usually in ``@strawberry.type``
classes) or functions passed as ``strawberry.field(resolver=fn)``.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex
from .context import Context
from .entry import EntryPoint
from .objects import split
from .syntax import call_arg

_STRAWBERRY_FIELDS = frozenset({"field", "mutation", "subscription"})


def detect(ctx: Context) -> Iterator[EntryPoint]:
    for module in ctx.modules():
        if ctx.imports(module, "strawberry"):
            yield from _strawberry_decorated(ctx, module)
        if ctx.imports(module, "strawberry") or ctx.imports(module, "graphene"):
            yield from _resolver_arguments(ctx, module)


def _strawberry_decorated(ctx: Context, module: ModuleIndex) -> Iterator[EntryPoint]:
    for node, scope in ctx.definitions(module):
        if isinstance(node, ast.ClassDef):
            continue
        for _decorator, qualified in ctx.decorators(module, node):
            top, last = split(qualified or ".")
            if top == "strawberry" and last in _STRAWBERRY_FIELDS:
                yield EntryPoint(module.path, scope.qualname(node.name), node.lineno, "strawberry")
                break


def _resolver_arguments(ctx: Context, module: ModuleIndex) -> Iterator[EntryPoint]:
    """``strawberry.field(resolver=fn)``, ``graphene.String(resolver=fn)``, ``graphene.Field(T, resolver=fn)``."""
    for call, scope in ctx.calls(module):
        resolver = call_arg(call, None, "resolver")
        if resolver is None:
            continue
        top = split(ctx.qualify(module, call.func) or ".")[0]
        if top not in ("strawberry", "graphene"):
            continue
        target = ctx.resolve(module, resolver, scope)
        if target is not None and not target.is_class:
            yield EntryPoint(target.module.path, target.qualname, target.line, top)
