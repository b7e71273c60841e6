"""Class-based handlers: classes whose base makes their methods entry points.

A class deriving (directly or through repo classes) from e.g. ``django.views.View``,
``flask.views.MethodView`` or ``tornado.web.RequestHandler`` is a handler wherever
it is routed, so its methods are reported even when no route is found; the
routing detectors reuse :func:`class_entry_points` to attach routes.
"""

from __future__ import annotations

import ast
import keyword
from typing import Iterator

from ..index import ModuleIndex
from .classrules import RULES, ClassRule, Methods
from .context import Context, Target
from .entry import EntryPoint
from .objects import split
from .syntax import function_methods


def rule_for(ctx: Context, target: Target) -> ClassRule | None:
    """The rule of the first framework base the class derives from."""
    if not target.is_class:
        return None
    return _indexed_rule(ctx, target.module, target.qualname)


def _indexed_rule(ctx: Context, module: ModuleIndex, qualname: str) -> ClassRule | None:
    """:func:`rule_for` from the index's bases (whatever the name's syntax node turns out to be)."""
    return ctx.memo(f"classviews.rule:{module.path}:{qualname}", lambda: _first_rule(ctx.class_bases(module, qualname)))


def _first_rule(bases: list[str]) -> ClassRule | None:
    split_bases = [split(b) for b in bases]  # what ClassRule.matches compares, computed once per base
    return next((rule for rule in RULES if any(b in rule.bases for b in split_bases)), None)


def handlers(ctx: Context, target: Target, rule: ClassRule) -> list[tuple[Target, Methods]]:
    """The handler methods of a class under *rule*, with their HTTP methods."""
    assert isinstance(target.node, ast.ClassDef)
    methods = [target.method(node) for node in function_methods(target.node)]
    found = [(m, http) for m in methods if (http := rule.handler(ctx, m)) is not None]
    for tier in rule.fallbacks:
        if found:
            break
        found = [(m, ()) for m in methods if m.node.name in tier]
    return found


def class_entry_points(
    ctx: Context, target: Target, rule: ClassRule | None = None, route: str | None = None, framework: str | None = None
) -> list[EntryPoint]:
    """Entry points for a routed class (its rule found from its bases unless given)."""
    rule = rule or rule_for(ctx, target)
    if rule is None:
        return []
    found = [
        EntryPoint(m.module.path, m.qualname, m.line, framework or rule.framework, route, http, rule.kind)
        for m, http in handlers(ctx, target, rule)
    ]
    assert isinstance(target.node, ast.ClassDef)
    hooks = [target.method(node) for node in function_methods(target.node) if node.name in rule.hooks]
    framework = framework or rule.framework
    return found + [EntryPoint(h.module.path, h.qualname, h.line, framework, None, (), "hook") for h in hooks]


def detect(ctx: Context) -> Iterator[EntryPoint]:
    """Every class deriving from a known view/handler base, routed or not."""
    packages = frozenset(package for rule in RULES for package in rule.packages)
    if not any(ctx.repo_imports(package) for package in packages):
        return  # resolving base classes is the costly part: skip it when no framework is imported
    for module in ctx.modules():
        for definition in module.definitions:  # every class statement, in the order a walk of the tree meets them
            if definition.kind != "class" or not _may_derive(ctx, module, _roots(definition.bases), packages):
                continue
            if _indexed_rule(ctx, module, definition.qualname) is None:
                continue  # the bases alone say it is no handler class: its syntax tree is not needed
            target = ctx.target(module, definition.qualname)
            if target is not None:
                yield from class_entry_points(ctx, target)


def _roots(bases: tuple[str, ...]) -> set[str]:
    """The first names of the dotted bases, from the index's texts (one that is not a dotted name has none)."""
    return {
        text.split(".", 1)[0]
        for text in bases
        if all(part.isidentifier() and not keyword.iskeyword(part) for part in text.split("."))
    }


def _may_derive(ctx: Context, module: ModuleIndex, roots: set[str], packages: frozenset[str]) -> bool:
    """A cheap pre-check before resolving bases: some base is local, from the repo or from a framework."""
    if not roots:
        return False
    if roots & module.definitions_by_name.keys() or any(r.name == "*" for r in module.imports):
        return True
    return any(
        r.alias in roots and (ctx.is_repo_name(r.target) or any(_related(r.target, p) for p in packages))
        for r in module.imports
    )


def _related(imported: str, package: str) -> bool:
    """``rest_framework.viewsets`` is under ``rest_framework``; ``http`` contains ``http.server``."""
    return imported == package or imported.startswith(package + ".") or package.startswith(imported + ".")
