"""``ast.walk`` of a function, listed once: several rules walk the same function tree.

The IDOR rules (ownership check, gated ids, owner filters later in a chain), the form
rules and the route-table rule each look at every node of the function under analysis,
and a summary walks a function again for each calling shape. Listing the nodes once
per function makes every later walk a plain loop over the list, in the same order.
"""

from __future__ import annotations

import ast

_MAX_CACHED = 4096
_memo: dict[int, tuple[ast.AST, tuple[ast.AST, ...]]] = {}


def walked(node: ast.AST) -> tuple[ast.AST, ...]:
    """Every node under *node* (itself first), in ``ast.walk`` order; memoised by identity (the node is kept)."""
    cached = _memo.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    if len(_memo) > _MAX_CACHED:
        _memo.clear()
    nodes = breadth_first(node)
    _memo[id(node)] = (node, nodes)
    return nodes


def breadth_first(node: ast.AST) -> tuple[ast.AST, ...]:
    """``tuple(ast.walk(node))`` without its generator per node and per field (same nodes, same order)."""
    found: list[ast.AST] = [node]
    append, extend, AST = found.append, found.extend, ast.AST
    i = 0
    while i < len(found):
        current = found[i]
        i += 1
        for name in current._fields:
            value = getattr(current, name, None)
            if isinstance(value, AST):
                append(value)
            elif isinstance(value, list):
                extend([item for item in value if isinstance(item, AST)])
    return tuple(found)
