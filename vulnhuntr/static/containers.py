"""Container precision: what each slot of a local list, dict or keyed store holds.

A local built from a literal (``items = []``, ``d = {"a": x}``) or a keyed store
(``configparser.ConfigParser()``) gets a :class:`Shape` while every operation
on it is one we can follow with constant indices and keys: ``append``,
``insert``, ``pop``, ``d[k] = v``, ``get``, ``set(section, key, value)``. Then
``d["safe"]`` is clean even when ``d["other"]`` holds request data. Any other
use keeps the container's value (the union of its slots) and drops the shape.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Hashable

from .constants import UNKNOWN
from .taint import CLEAN, Value, union

if TYPE_CHECKING:
    from .expressions import Evaluator

KEYED_STORES: dict[str, int] = {"configparser.ConfigParser": 2, "configparser.RawConfigParser": 2}
"""Outside classes whose ``set(*keys, value)`` / ``get(*keys)`` work like a dict, by number of key parts."""


@dataclass(frozen=True)
class Shape:
    """The slots of one container: a list's items in order, or a mapping's (key, value) pairs."""

    kind: str  # "list", "dict" or "store"
    items: tuple[Any, ...]  # list: values; dict/store: (key, value) pairs
    arity: int = 1  # key parts of a store's get/set

    @property
    def value(self) -> Value:
        values = self.items if self.kind == "list" else tuple(v for _, v in self.items)
        return union(CLEAN, *values)

    def get(self, key: Hashable) -> Value | None:
        """The value at *key*; None when the shape cannot say (an index out of range)."""
        if self.kind == "list":
            if isinstance(key, int) and not isinstance(key, bool) and -len(self.items) <= key < len(self.items):
                return self.items[key]
            return None
        return next((v for k, v in self.items if k == key), CLEAN)

    def put(self, key: Hashable, val: Value) -> Shape | None:
        if self.kind == "list":
            found = self.get(key)
            if found is None or not isinstance(key, int):  # get() found it: an int in range
                return None
            items = list(self.items)
            items[key] = val
            return Shape("list", tuple(items))
        kept = tuple((k, v) for k, v in self.items if k != key)
        return Shape(self.kind, kept + ((key, val),), self.arity)

    def merged(self, other: Shape) -> Shape | None:
        """The shape after branches: slot-wise union when both have the same slots."""
        if self.kind != other.kind or self.arity != other.arity:
            return None
        if self.kind == "list":
            if len(self.items) != len(other.items):
                return None
            return Shape("list", tuple(union(a, b) for a, b in zip(self.items, other.items)))
        keys = [k for k, _ in self.items] + [k for k, _ in other.items if k not in dict(self.items)]
        slots = tuple((k, union(self.get(k) or CLEAN, other.get(k) or CLEAN)) for k in keys)
        return Shape(self.kind, slots, self.arity)


def built(ev: Evaluator, node: ast.expr) -> tuple[Shape, Value] | None:
    """The shape and value of a container literal (elements evaluated once, here)."""
    if isinstance(node, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in node.elts):
        items = tuple(ev.eval(e) for e in node.elts)
        shape = Shape("list", items)
        return shape, shape.value
    if isinstance(node, ast.Dict) and all(k is not None for k in node.keys):
        keys = [ev.constant(k) for k in node.keys if k is not None]
        values = [ev.eval(v) for v in node.values]
        if any(k is UNKNOWN or not _hashable(k) for k in keys):
            return None
        shape = Shape("dict", tuple(zip(keys, values)))
        return shape, shape.value
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        name = ev.qualify(node.func)
        if name in ("builtins.list", "builtins.dict"):
            return Shape("list" if name == "builtins.list" else "dict", ()), CLEAN
        if name in KEYED_STORES:
            return Shape("store", (), KEYED_STORES[name]), CLEAN
    return None


def _hashable(key: Any) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def read(ev: Evaluator, node: ast.Subscript) -> Value | None:
    """``items[1]``, ``d["key"]`` on a shaped local: that slot's value (None: not known here)."""
    shape = _shape_of(ev, node.value)
    if shape is None or isinstance(node.slice, ast.Slice):
        return None
    key = ev.constant(node.slice)
    return shape.get(key) if key is not UNKNOWN and _hashable(key) else None


def store(ev: Evaluator, target: ast.Subscript, val: Value) -> bool:
    """``d[key] = val`` on a shaped local; False when the shape was given up (the caller adds *val*)."""
    name = target.value.id if isinstance(target.value, ast.Name) else None
    shape = ev.env.shapes.get(name) if name is not None else None
    if name is None or shape is None or shape.kind == "store":
        return False
    key = ev.constant(target.slice)
    updated = shape.put(key, val) if key is not UNKNOWN and _hashable(key) else None
    _update(ev, name, updated, val)
    return updated is not None


def method(ev: Evaluator, node: ast.Call, args: list[Value]) -> Value | None:
    """A method of a shaped local (``items.pop(0)``, ``conf.get("s", "k")``): its result, shape kept in step."""
    func = node.func
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
        return None
    name = func.value.id
    shape = ev.env.shapes.get(name)
    if shape is None:
        return None
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        _update(ev, name, None, union(CLEAN, *args))
        return None
    keys = [ev.constant(a) for a in node.args]
    handler = _LIST if shape.kind == "list" else _DICT if shape.kind == "dict" else _STORE
    operation = handler.get(func.attr)
    if operation is None:
        return _other(ev, name, shape, func.attr, args)
    result = operation(shape, keys, args)
    if result is None:
        _update(ev, name, None, union(CLEAN, *args))
        return None
    updated, value = result
    _update(ev, name, updated, CLEAN)
    return value


def _other(ev: Evaluator, name: str, shape: Shape, attr: str, args: list[Value]) -> Value | None:
    """Reading methods keep the shape; anything else might change the container."""
    if attr in _READERS:
        return None
    _update(ev, name, None, union(CLEAN, *args))
    return None


def _update(ev: Evaluator, name: str, shape: Shape | None, added: Value) -> None:
    if shape is None:
        ev.env.shapes.pop(name, None)
        if added:
            ev.env.add(name, added)
        return
    ev.env.shapes[name] = shape
    ev.env.values[name] = shape.value


def _append(shape: Shape, keys: list[Any], args: list[Value]) -> tuple[Shape, Value] | None:
    return (Shape("list", shape.items + (args[0],)), CLEAN) if len(args) == 1 else None


def _insert(shape: Shape, keys: list[Any], args: list[Value]) -> tuple[Shape, Value] | None:
    if len(args) != 2 or not isinstance(keys[0], int):
        return None
    items = list(shape.items)
    items.insert(keys[0], args[1])
    return Shape("list", tuple(items)), CLEAN


def _pop(shape: Shape, keys: list[Any], args: list[Value]) -> tuple[Shape, Value] | None:
    index = keys[0] if keys else -1
    if len(args) > 1 or not isinstance(index, int) or shape.get(index) is None:
        return None
    items = list(shape.items)
    value = items.pop(index)
    return Shape("list", tuple(items)), value


def _extend(shape: Shape, keys: list[Any], args: list[Value]) -> tuple[Shape, Value] | None:
    return None  # the items of an arbitrary iterable are not known one by one


def _dict_get(shape: Shape, keys: list[Any], args: list[Value]) -> tuple[Shape, Value] | None:
    if not args or keys[0] is UNKNOWN or not _hashable(keys[0]):
        return None
    present = any(k == keys[0] for k, _ in shape.items)
    default = args[1] if len(args) > 1 else CLEAN
    return shape, (shape.get(keys[0]) or CLEAN) if present else default


def _dict_pop(shape: Shape, keys: list[Any], args: list[Value]) -> tuple[Shape, Value] | None:
    found = _dict_get(shape, keys, args)
    if found is None:
        return None
    return Shape(shape.kind, tuple((k, v) for k, v in shape.items if k != keys[0]), shape.arity), found[1]


def _store_set(shape: Shape, keys: list[Any], args: list[Value]) -> tuple[Shape, Value] | None:
    parts = keys[: shape.arity]
    if len(args) != shape.arity + 1 or any(k is UNKNOWN or not _hashable(k) for k in parts):
        return None
    updated = shape.put(tuple(parts), args[-1])
    return (updated, CLEAN) if updated is not None else None


def _store_get(shape: Shape, keys: list[Any], args: list[Value]) -> tuple[Shape, Value] | None:
    parts = keys[: shape.arity]
    if len(args) < shape.arity or any(k is UNKNOWN or not _hashable(k) for k in parts):
        return None
    present = any(k == tuple(parts) for k, _ in shape.items)
    fallback = args[shape.arity] if len(args) > shape.arity else CLEAN
    return shape, (shape.get(tuple(parts)) or CLEAN) if present else fallback


def _keep(shape: Shape, keys: list[Any], args: list[Value]) -> tuple[Shape, Value] | None:
    return shape, CLEAN


_LIST = {"append": _append, "insert": _insert, "pop": _pop, "extend": _extend}
_DICT = {"get": _dict_get, "pop": _dict_pop}
_STORE = {"set": _store_set, "get": _store_get, "add_section": _keep, "has_section": _keep, "read": _keep}
_READERS = frozenset("index count keys values items copy sections options has_option".split())


def _shape_of(ev: Evaluator, node: ast.expr) -> Shape | None:
    return ev.env.shapes.get(node.id) if isinstance(node, ast.Name) else None
