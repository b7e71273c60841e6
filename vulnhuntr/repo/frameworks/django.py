"""Django URLconfs: ``path()``/``re_path()``/``url()`` entries and the views they route to.

A view reference is resolved through the resolver, so the entry point is
reported in the view's own file (``views.py``), with the URL built from every
``include()`` prefix above it. ``include()`` itself is not an entry point.
Class-based views reached through ``as_view()`` contribute their HTTP methods;
DRF classes and ``@api_view`` functions are reported as ``drf``.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..index import ModuleIndex
from .classrules import RULES
from .classviews import class_entry_points, rule_for
from .context import Context, Target
from .drf import api_view_methods
from .entry import EntryPoint
from .objects import split
from .syntax import Scope, call_arg, method_names, string_value
from .urlconf import Pattern, as_url, include_prefix, join_route, patterns

ERROR_HANDLERS = ("handler400", "handler403", "handler404", "handler500")
_DJANGO_RULE = next(rule for rule in RULES if rule.framework == "django")
_REQUIRE: dict[str, tuple[str, ...]] = {
    "require_GET": ("GET",),
    "require_POST": ("POST",),
    "require_safe": ("GET", "HEAD"),
}


def detect(ctx: Context) -> Iterator[EntryPoint]:
    for module in ctx.modules():
        if not ctx.imports(module, "django"):
            continue
        prefix = include_prefix(ctx, module.path)
        for pattern in patterns(ctx, module):
            if pattern.included is None:
                yield from _routed(ctx, module, pattern, as_url(join_route(prefix, pattern.route)))
        yield from _error_handlers(ctx, module)


def _error_handlers(ctx: Context, module: ModuleIndex) -> Iterator[EntryPoint]:
    """A URLconf's ``handler404 = "shop.views.not_found"`` (or a view reference): error views get the request."""
    for name in ERROR_HANDLERS:
        value = ctx.variable_value(module, name)
        if value is None:
            continue
        text = string_value(value)
        target = ctx.import_target(text, module) if text is not None else ctx.resolve(module, value, Scope())
        if target is not None and not target.is_class:
            yield EntryPoint(target.module.path, target.qualname, target.line, "django", None, (), "error-handler")


def _routed(ctx: Context, module: ModuleIndex, pattern: Pattern, url: str) -> Iterator[EntryPoint]:
    target = ctx.resolve(module, pattern.view, pattern.scope)
    if target is None:
        return
    if target.is_class:
        rule = rule_for(ctx, target) or _DJANGO_RULE
        yield from class_entry_points(ctx, target, rule, route=url)
        return
    drf = api_view_methods(ctx, target)
    framework, methods = ("drf", drf) if drf is not None else ("django", require_methods(ctx, target))
    yield EntryPoint(target.module.path, target.qualname, target.line, framework, url, methods)


def require_methods(ctx: Context, target: Target) -> tuple[str, ...]:
    """Methods allowed by ``@require_POST``, ``@require_http_methods([...])`` and friends."""
    for decorator, qualified in ctx.decorators(target.module, target.node):
        top, last = split(qualified or ".")
        if top != "django":
            continue
        if last in _REQUIRE:
            return _REQUIRE[last]
        if last == "require_http_methods" and isinstance(decorator, ast.Call):
            return method_names(call_arg(decorator, 0, "request_method_list"))
    return ()
