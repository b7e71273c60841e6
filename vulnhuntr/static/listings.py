"""Models a request handler lists for every visitor: public by design, so fetching one by id reveals nothing.

Read once per module by the static pass (``lookup``) to drop IDOR hits on models that are listed unscoped.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from .idor import _CLASS_NAME
from .ownership import _ID_KEY
from .sanitizers import OWNER

_QUERY_ROOTS = frozenset({"objects", "query"})
_NOT_LISTINGS = frozenset(
    {
        "get", "get_or_404", "first_or_404", "one_or_404", "get_or_none", "get_one", "first", "last", "one",
        "count", "exists", "aggregate", "delete", "update", "create", "bulk_create", "get_or_create",
        "update_or_create", "in_bulk", "filter_by", "where",
    }
)
_PRIVILEGED = re.compile(r"staff|admin|superuser|permission|perm\b|role", re.IGNORECASE)


def unscoped_listings(tree: ast.Module, names: frozenset[str] | None = None) -> set[tuple[str, str]]:
    """(model name as written, function name) where a function lists a model with no owner or id filter.

    ``Thread.objects.annotate(...)[:30]``, ``Thread.objects.filter(title__icontains=q)``: when a request
    handler does it, any visitor sees every record, so fetching one by its id reveals nothing more: the
    model is public by design. A listing behind an admin or permission check (a decorator or a name that
    says so) does not count. Only functions called one of *names* are looked at, when given.
    """
    found: set[tuple[str, str]] = set()
    for function in _functions(tree):
        if (names is not None and function.name not in names) or _privileged(function):
            continue
        inner: set[int] = set()
        for sub in _own_calls(function):
            if id(sub) in inner or not isinstance(sub.func, ast.Attribute):
                continue
            chain = _chain_calls(sub)
            inner |= {id(c) for c in chain}
            model = _listing_model(chain)
            if model is not None:
                found.add((model, function.name))
    return found


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function of a module, nested ones included, found by walking statements only (a ``def`` is one)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield child
            if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                stack.append(child)


def _own_calls(function: ast.AST) -> list[ast.Call]:
    """Calls in *function*'s body, outermost first, not those of functions nested in it (walked on their own)."""
    found: list[ast.Call] = []
    stack = list(reversed(list(ast.iter_child_nodes(function))))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call):
            found.append(node)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return found


def _privileged(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    texts = [function.name, *(ast.unparse(d) for d in function.decorator_list)]
    return any(_PRIVILEGED.search(t) for t in texts)


def _chain_calls(call: ast.Call) -> list[ast.Call]:
    """The calls of a method chain, outermost first (``A.objects.filter(x).order_by(y)``)."""
    calls: list[ast.Call] = []
    node: ast.expr = call
    while True:
        if isinstance(node, ast.Call):
            calls.append(node)
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        else:
            return calls


def _listing_model(chain: list[ast.Call]) -> str | None:
    outer, inner = chain[0].func, chain[-1].func
    if not isinstance(outer, ast.Attribute) or outer.attr in _NOT_LISTINGS:
        return None
    if not (isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Attribute)):
        return None
    manager = inner.value  # ``Thread.objects`` of ``Thread.objects.filter(...)``
    root = manager.value
    if manager.attr not in _QUERY_ROOTS or not isinstance(root, ast.Name) or not _CLASS_NAME.match(root.id):
        return None
    for call in chain:
        for keyword in call.keywords:
            key = (keyword.arg or "").split("__", 1)[0]
            if keyword.arg is None or OWNER.search(key) or _ID_KEY.match(key):
                return None
        if any(isinstance(a, (ast.Compare, ast.Call, ast.Name)) for a in call.args if _in_filter(call)):
            return None
    return root.id


def _in_filter(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in ("filter", "exclude")
