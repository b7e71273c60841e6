"""The tree of Django URLconfs: which ``include()`` puts which prefix in front of which patterns.

Keys are URLconf module paths (``"shop/urls.py"``) and DRF routers
(``"router:shop.urls.router"`` for ``include(router.urls)``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from ..index import ModuleIndex, dotted
from .context import Context
from .objects import split
from .syntax import NO_CALLS, Scope, call_arg, children, string_value

PATH_FUNCTIONS = ("path", "re_path", "url")


@dataclass(frozen=True)
class Pattern:
    """One URL pattern: its full route within its URLconf, and either a view or what it includes."""

    route: str
    view: ast.expr | None
    included: ast.expr | None  # the argument of ``include(...)`` when the pattern includes a URLconf
    scope: Scope


def is_call_to(ctx: Context, module: ModuleIndex, call: ast.Call, *names: str) -> str | None:
    """The name (``"path"``, ``"include"``...) when *call* calls one of django's *names*."""
    qualified = ctx.qualify(module, call.func)
    if qualified is None:
        return None
    top, last = split(qualified)
    return last if top == "django" and last in names else None


def join_route(prefix: str, part: str) -> str:
    """Concatenate URL patterns the way Django does (a nested regex loses its ``^``)."""
    return prefix + part.removeprefix("^") if prefix else part


def as_url(pattern: str) -> str:
    """How a URL pattern is reported: rooted at ``/``, regex anchors dropped (``^a/$`` → ``/a/``)."""
    return "/" + pattern.removeprefix("^").removesuffix("$").lstrip("/")


def include_prefix(ctx: Context, key: str, fallback: str | None = None) -> str:
    """The URL prefix of a URLconf module (by path) or a DRF router (``"router:<qualified>"``).

    When nothing includes *key*, the prefix of *fallback* is used if given.
    """
    edges = ctx.memo("django.includes", lambda: _include_edges(ctx))
    if key not in edges and fallback is not None:
        key = fallback
    prefix, seen = "", set()
    while key in edges and key not in seen:
        seen.add(key)
        key, part = edges[key]
        prefix = join_route(part, prefix) if prefix else part
    return prefix


def patterns(ctx: Context, module: ModuleIndex) -> Iterator[Pattern]:
    """Every ``path()``/``re_path()``/``url()`` of *module* with the inline ``include([...])`` prefix above it."""
    if not ctx.may_call(module, PATH_FUNCTIONS):
        return  # the index already knows: no URL pattern here, skip the walk
    # walked once per run: the include table and the django detector both ask for every URLconf
    yield from ctx.memo(f"urlconf.patterns:{module.path}", lambda: list(_patterns(ctx, module, module.tree, Scope(), "")))


def _patterns(ctx: Context, module: ModuleIndex, node: ast.AST, scope: Scope, prefix: str) -> Iterator[Pattern]:
    for child, inner in children(node, scope):
        if isinstance(child, NO_CALLS):
            continue  # a name, constant or operator holds no path() call
        if not (isinstance(child, ast.Call) and is_call_to(ctx, module, child, *PATH_FUNCTIONS)):
            yield from _patterns(ctx, module, child, inner, prefix)
            continue
        route = join_route(prefix, string_value(call_arg(child, 0, "route", "regex")) or "")
        view = call_arg(child, 1, "view")
        included = (
            call_arg(view, 0, "arg")
            if isinstance(view, ast.Call) and is_call_to(ctx, module, view, "include")
            else None
        )
        if isinstance(included, (ast.List, ast.Tuple)) and not _is_module_tuple(included):
            yield from _patterns(ctx, module, included, inner, route)
        else:
            yield Pattern(route, view, included, inner)


def _is_module_tuple(node: ast.List | ast.Tuple) -> bool:
    """``include(("pkg.urls", "app_name"))`` names a module, it does not list patterns."""
    return isinstance(node, ast.Tuple) and len(node.elts) == 2 and not isinstance(node.elts[0], ast.Call)


def _include_edges(ctx: Context) -> dict[str, tuple[str, str]]:
    """included key → (including module path, route of the ``path()`` that includes it)."""
    edges: dict[str, tuple[str, str]] = {}
    for module in ctx.modules():
        if not ctx.imports(module, "django"):
            continue
        for pattern in patterns(ctx, module):
            key = _included_key(ctx, module, pattern.included) if pattern.included is not None else None
            if key is not None:
                edges.setdefault(key, (module.path, pattern.route))
    return edges


def _included_key(ctx: Context, module: ModuleIndex, arg: ast.expr) -> str | None:
    if isinstance(arg, ast.Tuple) and arg.elts:
        arg = arg.elts[0]
    text = string_value(arg)
    if text is not None:
        found = ctx.index.find_module(text)
        return found.path if found is not None else None
    if isinstance(arg, ast.Attribute) and arg.attr == "urls":
        router = ctx.qualify(module, arg.value)
        return f"router:{router}" if router else None
    name = dotted(arg) if arg is not None else None
    if name is None:
        return None
    symbol = ctx.resolver.resolve(name, module.path, arg.lineno).symbol
    return symbol.file if symbol is not None and symbol.kind == "module" else None
