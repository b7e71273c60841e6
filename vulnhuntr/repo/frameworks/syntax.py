"""Resolver-free questions about syntax trees: scopes, call arguments and literals."""

from __future__ import annotations

import ast
import functools
from collections import deque
from dataclasses import dataclass
from typing import Iterator, Union

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
DefinitionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef]
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")


@dataclass(frozen=True)
class Scope:
    """Where a node sits: the enclosing def/class names and the enclosing function nodes."""

    names: tuple[str, ...] = ()
    functions: tuple[FunctionNode, ...] = ()  # innermost last

    def qualname(self, name: str) -> str:
        """The qualname of a definition called *name* made in this scope (as the index spells it)."""
        return ".".join((*self.names, name))

    @property
    def at_module_level(self) -> bool:
        return not self.names

    def enter(self, node: DefinitionNode) -> Scope:
        functions = self.functions if isinstance(node, ast.ClassDef) else (*self.functions, node)
        return Scope((*self.names, node.name), functions)


def walk(tree: ast.AST) -> Iterator[tuple[ast.AST, Scope]]:
    """Every node in source order with its scope; decorators, bases and defaults belong to the outer scope."""
    stack: list[tuple[ast.AST, Scope]] = [(tree, Scope())]
    while stack:
        node, scope = stack.pop()
        yield node, scope
        stack.extend(reversed(children(node, scope)))


def children(node: ast.AST, scope: Scope) -> list[tuple[ast.AST, Scope]]:
    """The direct children of *node* with their scopes (one step of :func:`walk`), for walks that carry state."""
    if type(node) in _DEFINITION_TYPES:
        inner = scope.enter(node)  # type: ignore[arg-type]  # a def or class
        found: list[tuple[ast.AST, Scope]] = []
        for name in _FIELDS[type(node)]:
            where = inner if name == "body" else scope  # decorators, bases and defaults belong to the outer scope
            found.extend((child, where) for child in _field_nodes(getattr(node, name, None)))
        return found
    return [(c, scope) for c in _child_nodes(node)]


NO_CALLS = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop, ast.alias)
"""Nodes that can hold no call: :func:`walk_calls` does not enter them."""


def walk_calls(tree: ast.AST) -> list[tuple[ast.Call, Scope]]:
    """Every call under *tree* with its scope: what :func:`walk` yields that is a call, same order and scopes.

    One loop over the nodes that may hold a call, their fields looked up once per node class:
    detectors ask this of every module that makes a call they look for.
    """
    found: list[tuple[ast.Call, Scope]] = []
    stack: list[tuple[ast.AST, Scope]] = [(tree, Scope())]
    pop, push, entered = stack.pop, stack.append, _MAY_CALL
    while stack:
        node, scope = pop()
        kind = type(node)
        if kind is ast.Call:
            found.append((node, scope))  # type: ignore[arg-type]  # an ast.Call
        inner = scope.enter(node) if kind in _DEFINITION_TYPES else scope  # type: ignore[arg-type]
        for name in _FIELDS_LAST_FIRST[kind]:
            value = getattr(node, name, None)
            where = inner if name == "body" else scope  # a definition's body is inside it, the rest outside
            if type(value) is list:
                for item in reversed(value):
                    if type(item) in entered:
                        push((item, where))
            elif type(value) in entered:
                push((value, where))  # type: ignore[arg-type]  # an AST node: its class is entered
    return found


def _node_classes(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _node_classes(sub)


_DEFINITION_TYPES = frozenset(_DEFINITIONS)
_MAY_CALL = frozenset(c for c in _node_classes(ast.AST) if not issubclass(c, NO_CALLS))
"""The node classes :func:`walk_calls` enters (a set lookup per child instead of an isinstance check)."""

_FIELDS: dict[type, tuple[str, ...]] = {c: tuple(getattr(c, "_fields", ())) for c in _node_classes(ast.AST)}
_FIELDS_LAST_FIRST = {c: names[::-1] for c, names in _FIELDS.items()}
"""Node class → its fields, last first: stacked so that the first comes off first."""


def _child_nodes(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes`` as a list, without its generators."""
    found: list[ast.AST] = []
    for name in _FIELDS[type(node)]:
        value = getattr(node, name, None)
        if type(value) is list:
            found.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


def _field_nodes(value: object) -> list[ast.AST]:
    if type(value) is list:
        return [item for item in value if isinstance(item, ast.AST)]
    return [value] if isinstance(value, ast.AST) else []


def statements(tree: ast.AST) -> Iterator[tuple[ast.AST, Scope]]:
    """What :func:`walk` yields minus expressions: statements (and ``except``/``case`` clauses), same order and scopes.

    Statements sit only in statement bodies, never inside an expression, so definitions,
    assignments and returns are found without visiting every expression node.
    """
    stack: list[tuple[ast.AST, Scope]] = [(tree, Scope())]
    while stack:
        node, scope = stack.pop()
        yield node, scope
        fields = _body_fields(type(node))  # type: ignore[arg-type]  # classes hash; mypy checks AST.__hash__
        if fields:
            inner = scope.enter(node) if isinstance(node, _DEFINITIONS) else scope
            stack.extend((child, inner) for field in fields for child in reversed(getattr(node, field)))


def statements_breadth_first(tree: ast.AST) -> Iterator[ast.AST]:
    """The statements (and ``except``/``case`` clauses) of *tree* in the order ``ast.walk`` yields them.

    ``ast.walk`` is breadth first; a statement's parent is always a statement, a clause or the
    module, so walking statement bodies only keeps their order and skips every expression.
    """
    queue = deque([tree])
    while queue:
        node = queue.popleft()
        yield node
        for field in reversed(_body_fields(type(node))):  # type: ignore[arg-type]  # a class is hashable: mypy checks its instances' hash
            queue.extend(getattr(node, field))


@functools.cache
def _body_fields(node_type: type[ast.AST]) -> tuple[str, ...]:
    """The fields of a node type that hold statements, last first (the order :func:`statements` stacks them)."""
    return tuple(f for f in reversed(node_type._fields) if f in ("body", "handlers", "orelse", "finalbody", "cases"))


def call_arg(call: ast.Call, position: int | None, *keywords: str) -> ast.expr | None:
    """The argument passed at *position* or by one of *keywords* (``*args`` ends positional lookup)."""
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value
    if position is None:
        return None
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            return None
        if index == position:
            return arg
    return None


def string_value(node: ast.AST | None) -> str | None:
    """A string literal, also when written as ``"a" + "b"`` or ``r"..."``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = string_value(node.left), string_value(node.right)
        return left + right if left is not None and right is not None else None
    return None


def looks_like_path(node: ast.AST | None) -> bool:
    """A URL path literal: ``"/x"``, ``""``, or an f-string/concatenation starting with ``/``."""
    text = string_value(node)
    if text is not None:
        return text == "" or text.startswith("/")
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return isinstance(first, ast.Constant) and str(first.value).startswith("/")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return looks_like_path(node.right) or looks_like_path(node.left)
    return False


def method_names(node: ast.AST | None) -> tuple[str, ...]:
    """HTTP methods from ``"POST"``, ``["GET", "POST"]`` or ``[func.HttpMethod.GET]``, upper-cased."""
    if node is None:
        return ()
    items = node.elts if isinstance(node, (ast.List, ast.Tuple, ast.Set)) else [node]
    found: list[str] = []
    for item in items:
        text = string_value(item)
        if text is None and isinstance(item, ast.Attribute):
            text = item.attr
        if text and text.upper() not in found:
            found.append(text.upper())
    return tuple(found)


def function_methods(node: ast.ClassDef) -> list[FunctionNode]:
    """The methods a class body defines directly."""
    return [s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]


def positional_names(node: FunctionNode) -> list[str]:
    return [a.arg for a in (*node.args.posonlyargs, *node.args.args)]


def join_path(prefix: str, path: str) -> str:
    """``"/files" + "/{name}"`` without doubled or missing slashes between the two parts."""
    if not prefix:
        return path
    if not path:
        return prefix
    if prefix.endswith("/") and path.startswith("/"):
        return prefix + path[1:]
    return prefix + path
