"""Constant folding: the value of an expression when the code fixes it (``num = 86; 7 * 42 - num > 200``).

The walker asks for it to take only the branch a constant test selects (``if``,
conditional expressions, ``match`` on a constant subject), so a request value
assigned on a branch that never runs does not reach the sink. Only literals,
locals bound to constants and a few pure operations are folded; anything else,
or anything that would build a large value, is :data:`UNKNOWN`.
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Callable

UNKNOWN: Any = object()
"""Not a constant (or not one worth computing)."""

GLOBAL: Any = object()
"""What a lookup answers for a name that is not a local (so a builtin such as ``len`` is not shadowed)."""

MAX_TEXT = 10_000  # longest str/bytes/tuple a fold may produce
MAX_INT_BITS = 256

Lookup = Callable[[str], Any]
"""The constant a name holds, UNKNOWN for a local that holds none, GLOBAL for a name that is not local."""

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Div: operator.truediv,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: operator.contains(b, a),
    ast.NotIn: lambda a, b: not operator.contains(b, a),
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_SIMPLE = (str, bytes, int, float, bool, type(None))


def fold(node: ast.expr, lookup: Lookup) -> Any:
    """The constant value of *node*, or :data:`UNKNOWN`."""
    try:
        result = _fold(node, lookup)
    except (ArithmeticError, TypeError, ValueError, IndexError, KeyError, RecursionError):
        return UNKNOWN
    return result if result is UNKNOWN or _small(result) else UNKNOWN


def truth(node: ast.expr, lookup: Lookup) -> bool | None:
    """True/False when *node*'s truth value is fixed, None when it depends on the run."""
    value = fold(node, lookup)
    return None if value is UNKNOWN else bool(value)


def _small(value: Any) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return True
    if isinstance(value, int):
        return value.bit_length() <= MAX_INT_BITS
    if isinstance(value, (str, bytes)):
        return len(value) <= MAX_TEXT
    if isinstance(value, tuple):
        return len(value) <= MAX_TEXT and all(_small(v) for v in value)
    return False


def _fold(node: ast.expr, lookup: Lookup) -> Any:
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, _SIMPLE) else UNKNOWN
    if isinstance(node, ast.Name):
        value = lookup(node.id)
        return UNKNOWN if value is GLOBAL else value
    if isinstance(node, (ast.Tuple, ast.List)):
        items = tuple(_fold(e, lookup) for e in node.elts)
        return UNKNOWN if any(i is UNKNOWN for i in items) else items
    if isinstance(node, ast.BinOp):
        return _binary(node, lookup)
    if isinstance(node, ast.UnaryOp):
        operand = _fold(node.operand, lookup)
        if operand is UNKNOWN:
            return UNKNOWN
        if isinstance(node.op, ast.Not):
            return not operand
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return +operand
        return ~operand
    if isinstance(node, ast.BoolOp):
        return _boolean(node, lookup)
    if isinstance(node, ast.Compare):
        return _compare(node, lookup)
    if isinstance(node, ast.IfExp):
        test = _fold(node.test, lookup)
        return UNKNOWN if test is UNKNOWN else _fold(node.body if test else node.orelse, lookup)
    if isinstance(node, ast.Subscript):
        return _subscript(node, lookup)
    if isinstance(node, ast.Call):
        return _call(node, lookup)
    return UNKNOWN


def _binary(node: ast.BinOp, lookup: Lookup) -> Any:
    left, right = _fold(node.left, lookup), _fold(node.right, lookup)
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if isinstance(node.op, ast.Mult) and _too_long(left, right):
        return UNKNOWN
    if isinstance(node.op, ast.Pow):
        if not isinstance(left, int) or not isinstance(right, int) or abs(right) > 64 or abs(left) > 2**32:
            return UNKNOWN
        return left**right
    function = _BINARY.get(type(node.op))
    return function(left, right) if function is not None else UNKNOWN


def _too_long(left: Any, right: Any) -> bool:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, (str, bytes, tuple)) and isinstance(count, int) and len(seq) * max(count, 0) > MAX_TEXT:
            return True
    return False


def _boolean(node: ast.BoolOp, lookup: Lookup) -> Any:
    """``a and b`` / ``a or b``: decided by the first operand that settles it, if those are constant."""
    result: Any = UNKNOWN
    for value in node.values:
        result = _fold(value, lookup)
        if result is UNKNOWN:
            return UNKNOWN
        if isinstance(node.op, ast.And) and not result:
            return result
        if isinstance(node.op, ast.Or) and result:
            return result
    return result


def _compare(node: ast.Compare, lookup: Lookup) -> Any:
    left = _fold(node.left, lookup)
    if left is UNKNOWN:
        return UNKNOWN
    for op, comparator in zip(node.ops, node.comparators):
        right = _fold(comparator, lookup)
        function = _COMPARE.get(type(op))
        if right is UNKNOWN or function is None:
            return UNKNOWN
        if not function(left, right):
            return False
        left = right
    return True


def _subscript(node: ast.Subscript, lookup: Lookup) -> Any:
    base = _fold(node.value, lookup)
    if base is UNKNOWN or not isinstance(base, (str, bytes, tuple)):
        return UNKNOWN
    if isinstance(node.slice, ast.Slice):
        bounds = (node.slice.lower, node.slice.upper, node.slice.step)
        parts = [_fold(p, lookup) if p is not None else None for p in bounds]
        if any(p is UNKNOWN for p in parts):
            return UNKNOWN
        return base[slice(*parts)]
    index = _fold(node.slice, lookup)
    return base[index] if isinstance(index, int) else UNKNOWN


def _call(node: ast.Call, lookup: Lookup) -> Any:
    """``len("abc")``, ``str(42)``, ``"a".upper()``: a few pure builtins and str methods on constants."""
    if node.keywords:
        return UNKNOWN
    args = [_fold(a, lookup) for a in node.args]
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    if isinstance(node.func, ast.Name) and node.func.id in _BUILTINS and lookup(node.func.id) is GLOBAL:
        return _BUILTINS[node.func.id](*args)
    if isinstance(node.func, ast.Attribute) and node.func.attr in _STR_METHODS:
        receiver = _fold(node.func.value, lookup)
        if isinstance(receiver, str) and all(isinstance(a, (str, int)) for a in args):
            return getattr(receiver, node.func.attr)(*args)
    return UNKNOWN


_BUILTINS: dict[str, Callable[..., Any]] = {"len": len, "str": str, "int": int, "abs": abs, "bool": bool}
_STR_METHODS = frozenset("upper lower strip lstrip rstrip startswith endswith replace find count isdigit".split())
