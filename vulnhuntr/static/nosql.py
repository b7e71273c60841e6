"""NoSQL injection (CWE 943): a MongoDB-style query filter the request can shape.

The rule: a filter is injectable when the request decides its *structure*,
not only a value in it. That is the case when

- the filter (or a part of it, ``{**body}``, ``{"$match": body}``) is a value
  that can be a dict: JSON the client sent (``request.json``,
  ``request.get_json()["filter"]``, ``json.loads(text)``), so ``{"$ne": null}``
  or ``{"$gt": ""}`` slips in as an operator;
- a ``$where`` / ``$function`` / ``$accumulator`` JavaScript string is built
  from request text, whatever its source.

A dict literal whose values are strings from a form or query string is not
injection: those values cannot become operators (``{"name": request.args["n"]}``
is an ordinary equality match). The collection methods are known by name
(``find``, ``update_one``...), so they count only in a module that imports a
MongoDB library.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Callable

from .taint import CLEAN, Taint, Value, union, value
from .written import assigned

if TYPE_CHECKING:
    from .sinks import CallFacts

MONGO_LIBRARIES = frozenset(
    "pymongo motor mongoengine flask_pymongo flask_mongoengine mongomock bson beanie odmantic umongo "
    "mongo_connector djongo".split()
)
JAVASCRIPT_OPERATORS = frozenset({"$where", "$function", "$accumulator"})
STRUCTURED_SOURCE = re.compile(
    r"\b(json|get_json|json_body|media|get_media|data|body|validated_data|receive_json|iter_json)\b"
)
"""Request attributes that can hold a parsed JSON document (so a value may be a dict)."""
DECODERS = frozenset({"loads", "literal_eval", "parse_obj", "model_dump", "dict", "safe_load", "get_json", "json"})
"""Calls whose result is a structure decoded from text."""
_MAX_DEPTH = 6


def in_mongo_module(facts: CallFacts) -> bool:
    return bool(facts.imports & MONGO_LIBRARIES)


def query_filter(position: int, keyword: str) -> Callable[[CallFacts], Value]:
    """The pick for a collection method whose filter is argument *position* (or *keyword*)."""

    def pick(facts: CallFacts) -> Value:
        node, _ = facts.argument(position, keyword)
        if node is None or not in_mongo_module(facts) or not _maybe_collection(facts):
            return CLEAN
        return injected(node, facts)

    return pick


def _maybe_collection(facts: CallFacts) -> bool:
    """Not a string or a literal (``text.find(x)`` shares the method name with ``collection.find``)."""
    func = facts.node.func
    if not isinstance(func, ast.Attribute):
        return False
    receiver = func.value
    if isinstance(receiver, ast.Name):
        receiver = assigned(facts.scope, receiver.id, facts.node.lineno) or receiver
    return not isinstance(receiver, _LITERALS)


_LITERALS = (ast.Constant, ast.JoinedStr, ast.BinOp, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp)


def raw_query(facts: CallFacts) -> Value:
    """mongoengine ``Model.objects(__raw__=...)`` or ``objects(**body)``."""
    if not in_mongo_module(facts):
        return CLEAN
    found = [injected(k.value, facts) for k in facts.node.keywords if k.arg in (None, "__raw__")]
    return union(CLEAN, *found)


def injected(node: ast.expr, facts: CallFacts, depth: int = 0) -> Value:
    """The taint by which the request shapes the filter *node*."""
    line = facts.node.lineno
    if isinstance(node, ast.Name):
        bound = assigned(facts.scope, node.id, line)
        if isinstance(bound, (ast.Dict, ast.List, ast.Tuple)) and depth < _MAX_DEPTH:
            return injected(bound, facts, depth + 1)
    if depth >= _MAX_DEPTH:
        return CLEAN
    if isinstance(node, ast.Dict):
        found: list[Value] = []
        for key, item in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and key.value in JAVASCRIPT_OPERATORS:
                found.append(facts.evaluate(item))
            elif isinstance(item, (ast.Dict, ast.List, ast.Tuple)):
                found.append(injected(item, facts, depth + 1))
            else:
                found.append(structured(item, facts, in_literal=True))
        return union(CLEAN, *found)
    if isinstance(node, (ast.List, ast.Tuple)):
        return union(CLEAN, *(injected(e, facts, depth + 1) for e in node.elts))
    return structured(node, facts)


def structured(node: ast.expr, facts: CallFacts, depth: int = 0, in_literal: bool = False) -> Value:
    """The taint of *node* if it can be a dict the client wrote, else nothing.

    In a helper, a parameter passed on as the whole filter (``find(query)``) counts: its
    caller decides what it holds. One placed as a value of a dict literal does not
    (``{"name": name}`` in a helper is taken as an equality match).
    """
    taint = facts.evaluate(node)
    if not taint:
        return CLEAN
    if _decoded(node, facts, depth):
        return taint
    if _converted(node, facts):
        return CLEAN
    return value(t for t in taint if t.whole and _document(t, in_literal))


def _document(taint: Taint, in_literal: bool) -> bool:
    if taint.source is None:
        return taint.param is not None and not in_literal
    return bool(STRUCTURED_SOURCE.search(taint.source.description))


def _converted(node: ast.expr, facts: CallFacts) -> bool:
    """``str(x)``, ``escape(x)``, ``name = x.strip()``: the result of some other call, not the client's document."""
    if isinstance(node, ast.Name):
        bound = assigned(facts.scope, node.id, facts.node.lineno)
        node = bound if bound is not None else node
    while isinstance(node, ast.Await):
        node = node.value
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    return name not in DECODERS and name != "get"


def _decoded(node: ast.expr, facts: CallFacts, depth: int) -> bool:
    """``json.loads(text)``, ``data["filter"]`` with ``data = json.loads(...)``: a decoded structure."""
    while isinstance(node, (ast.Subscript, ast.Await)) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
    ):
        node = node.value if not isinstance(node, ast.Call) else node.func.value  # type: ignore[attr-defined]  # the loop's test: each has it
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        return name in DECODERS
    if isinstance(node, ast.Name) and depth < 3:
        bound = assigned(facts.scope, node.id, facts.node.lineno)
        return bound is not None and _decoded(bound, facts, depth + 1)
    return False
