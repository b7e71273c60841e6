"""Calls through a lookup by key: follow every candidate, and flag a callable chosen by the user.

``ACTIONS[request.args["a"]](value)`` calls one of the functions put into ``ACTIONS``;
the static pass analyses the call once per candidate, with the same arguments, and
unions what they do. A lookup into an *open* namespace (``globals()``, ``getattr`` on a
module or an object) whose key is request data lets the user pick any callable there:
that is code injection (CWE 94) by itself. A table the code filled with a few
functions is not: the key only picks among them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..findings import VulnType
from ..repo.dispatch import Dispatch, Shape, Target, shape_of
from ..repo.index import dotted, expression_text
from .callee import Callee, FunctionRef
from .env import Callables, ObjType, RepoClass
from .hits import Sink
from .taint import Value
from .walked import walked

if TYPE_CHECKING:
    from .expressions import Evaluator
    from .lookup import Lookup

OPEN_DISPATCH_LABEL = "callable chosen by user input"
OPEN_DISPATCH_CONFIDENCE = 6


@dataclass(frozen=True)
class Picked:
    """The lookup a call goes through and the taint of its key."""

    dispatch: Dispatch
    key: Value
    on_self: bool = False  # ``getattr(self, ...)``: bound methods get the caller's own ``self``


def lookup_type(ev: Evaluator, node: ast.expr) -> Callables | None:
    """``ACTIONS[name]``, ``getattr(obj, name)``: what the looked-up value can be, when it is a known callable."""
    picked = _lookup(ev, node)
    return Callables(picked.dispatch, picked.key, picked.on_self) if picked is not None else None


def picked_by_call(ev: Evaluator, func: ast.expr) -> Picked | None:
    """The lookup behind a call's callee: written inline, or a local bound to a lookup (``fn = T[k]; fn(x)``)."""
    if isinstance(func, ast.Name):
        held = ev.env.types.get(func.id)
        return Picked(held.dispatch, held.key, held.on_self) if isinstance(held, Callables) else None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        held = ev.env.types.get(func.value.id)
        if isinstance(held, Callables):
            return Picked(ev.engine.resolver.dispatch_member(held.dispatch, func.attr), held.key)
    return _lookup(ev, func)


_LOOKUP_CALLS = frozenset({"getattr", "import_module", "__import__", "get"})
_DEFERRED_KINDS = frozenset({"container", "import", "globals"})  # answered by the resolver alone, nothing local


@dataclass
class PendingType:
    """The type of a call that may be a lookup by key, until someone asks for it (see :func:`call_type`).

    Most such calls (``self._registry.get(name)``, ``import_module(path)``) are never used as
    a callable, and the resolver's answer can need a repository-wide search. Everything the
    answer depends on is taken when the call is evaluated; only the resolver's part waits.
    """

    engine: Lookup
    node: ast.Call
    file: str
    line: int
    receiver: tuple[str, str] | None
    key: Value
    on_self: bool
    otherwise: ObjType | None  # the call's type when the resolver finds no lookup

    def resolve(self) -> ObjType | None:
        found = self.engine.dispatch(self.node, self.file, self.line, self.receiver)
        return Callables(found, self.key, self.on_self) if found is not None else self.otherwise


def call_type(ev: Evaluator, node: ast.Call, result_type: ObjType | None) -> ObjType | PendingType | None:
    """``lookup_type(ev, node) or result_type``, with the resolver asked only once the type is wanted.

    Deferred only when nothing of the answer depends on the walk's state: a lookup the resolver
    answers alone (not ``getattr``, which also reads this function's locals and route tables),
    whose key is read without side effects, so reading it now changes nothing.
    """
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name not in _LOOKUP_CALLS:
        return result_type
    shape = shape_of(node)
    if shape is None or shape.key is None or shape.kind not in _DEFERRED_KINDS or not _plain(shape.key):
        return lookup_type(ev, node) or result_type
    if shape.kind == "container" and not ev.engine.fills_container(shape.base):
        return result_type
    root = shape.base.split(".", 1)[0] if shape.base else None
    receiver = ev.frame.receiver
    return PendingType(
        ev.engine, node, ev.frame.file, ev.line, (receiver.file, receiver.qualname) if receiver else None,
        ev.eval(shape.key), root in ("self", "cls"), result_type,
    )


def _plain(key: ast.expr) -> bool:
    """A key whose evaluation only reads the state: a constant, a name, ``obj.attr``."""
    return isinstance(key, ast.Constant) or dotted(key) is not None


def _lookup(ev: Evaluator, node: ast.expr) -> Picked | None:
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name not in _LOOKUP_CALLS:
            return None  # most calls: not a lookup, decided without building its shape
    elif isinstance(node, ast.Attribute):
        if dotted(node) is not None:
            return None  # ``os.path.join``: a plain name
    elif not isinstance(node, ast.Subscript):
        return None
    shape = shape_of(node)
    if shape is None or shape.key is None:
        return None
    if shape.kind == "container" and not ev.engine.fills_container(shape.base):
        return None  # plain data (``row["id"]``, ``kwargs.get("x")``): nothing was ever registered in it
    root = shape.base.split(".", 1)[0] if shape.base else ""
    if shape.kind == "getattr" and (shape.base is None or (root not in ("self", "cls") and ev.env.is_local(root))):
        return _on_local(ev, node, shape)
    receiver = ev.frame.receiver
    found = ev.engine.dispatch(node, ev.frame.file, ev.line, (receiver.file, receiver.qualname) if receiver else None)
    if found is not None and shape.kind == "getattr" and not found.narrowed:
        found = _by_route_table(ev, shape.key, found)
    return Picked(found, ev.eval(shape.key), root in ("self", "cls")) if found is not None else None


def _by_route_table(ev: Evaluator, key: ast.expr, found: Dispatch) -> Dispatch:
    """``route = self.routes.get(path); getattr(self, route)``: only the names the table holds can be picked.

    When every assignment of the key in this function reads it from a dict literal whose values are
    all strings (a route table), the lookup reaches those names only, and is no open dispatch.
    """
    names = _table_names(ev, key)
    if names is None:
        return found
    targets = tuple(t for t in found.targets if t.name.rsplit(".", 1)[-1] in names)
    more = tuple(m for m in found.more if m.rsplit(".", 1)[-1] in names)
    return replace(found, targets=targets, more=more, unnamed=0, open=False, narrowed=True)


def _table_names(ev: Evaluator, key: ast.expr) -> frozenset[str] | None:
    if not isinstance(key, ast.Name):
        return None
    frame = ev.frame
    where = ("route-table", frame.file, frame.qualname, frame.receiver, key.id)
    return ev.engine._cached(where, lambda: _names_from_tables(ev, key))


def _names_from_tables(ev: Evaluator, key: ast.Name) -> frozenset[str] | None:
    values: list[ast.expr] = []
    for sub in walked(ev.frame.node):
        if isinstance(sub, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            if any(isinstance(t, ast.Name) and t.id == key.id for t in targets):
                if isinstance(sub, ast.AugAssign) or sub.value is None:
                    return None
                values.append(sub.value)
            elif any(key.id in {n.id for n in ast.walk(t) if isinstance(n, ast.Name)} for t in targets):
                return None  # unpacked or otherwise bound: not only from the table
        elif isinstance(sub, (ast.For, ast.AsyncFor, ast.comprehension)) and _binds(sub.target, key.id):
            return None
        elif isinstance(sub, (ast.With, ast.AsyncWith)) and any(
            i.optional_vars is not None and _binds(i.optional_vars, key.id) for i in sub.items
        ):
            return None
    if not values or key.id in {a.arg for a in ast.walk(ev.frame.node.args) if isinstance(a, ast.arg)}:
        return None
    names: set[str] = set()
    for value in values:
        found = _table_read(ev, value)
        if found is None:
            return None
        names |= found
    return frozenset(names)


def _binds(target: ast.expr, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target))


def _table_read(ev: Evaluator, value: ast.expr) -> frozenset[str] | None:
    """The names ``TABLE[k]`` / ``TABLE.get(k[, "default"])`` can give, when TABLE is a dict literal of strings."""
    default: ast.expr | None = None
    if isinstance(value, ast.Subscript):
        table = value.value
    elif (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "get"
        and 1 <= len(value.args) <= 2
        and not value.keywords
    ):
        table = value.func.value
        default = value.args[1] if len(value.args) == 2 else None
    else:
        return None
    literal = _dict_literal(ev, table)
    if literal is None or any(k is None for k in literal.keys):
        return None
    if not all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in literal.values):
        return None
    names = {v.value for v in literal.values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
    if default is not None:
        if not (isinstance(default, ast.Constant) and (default.value is None or isinstance(default.value, str))):
            return None
        if isinstance(default.value, str):
            names.add(default.value)
    return frozenset(names)


def _dict_literal(ev: Evaluator, table: ast.expr) -> ast.Dict | None:
    """The dict literal a class attribute (``self.routes``) or a module constant (``ROUTES``) is bound to."""
    if isinstance(table, ast.Attribute) and isinstance(table.value, ast.Name) and table.value.id in ("self", "cls"):
        receiver = ev.frame.receiver
        cls = ev.engine.function_node(receiver.file, receiver.qualname) if receiver is not None else None
        body = cls.body if isinstance(cls, ast.ClassDef) else []
        name = table.attr
        if _assigned_elsewhere(ev, name):
            return None
    elif isinstance(table, ast.Name) and not ev.env.is_local(table.id):
        body, name = ev.frame.module.tree.body, table.id
    else:
        return None
    found: list[ast.expr] = []
    for statement in body:
        if isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in statement.targets):
            found.append(statement.value)
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            if statement.target.id == name and statement.value is not None:
                found.append(statement.value)
    return found[0] if len(found) == 1 and isinstance(found[0], ast.Dict) else None


def _assigned_elsewhere(ev: Evaluator, attribute: str) -> bool:
    """``self.routes = ...`` or ``self.routes[k] = ...`` in some method of the module: the table may change."""
    module = ev.frame.module
    return ev.engine._cached(("assigned-attribute", module.path, attribute), lambda: _assigns(module.tree, attribute))


def _assigns(tree: ast.Module, attribute: str) -> bool:
    for sub in ast.walk(tree):
        if isinstance(sub, (ast.Assign, ast.AugAssign)):
            for target in sub.targets if isinstance(sub, ast.Assign) else [sub.target]:
                while isinstance(target, ast.Subscript):
                    target = target.value
                if isinstance(target, ast.Attribute) and target.attr == attribute:
                    return True
    return False


def _on_local(ev: Evaluator, node: ast.expr, shape: Shape) -> Picked | None:
    """``getattr(obj, name)`` on a local: the methods of its class when the pass knows it, else no candidate.

    Either way any attribute of the object can be picked, so the open-dispatch rule applies.
    """
    call = _getattr_call(node)
    if call is None or shape.key is None or ev.qualify(call.func) != "builtins.getattr":
        return None
    obj_type = ev.type_of(call.args[0])
    if isinstance(obj_type, RepoClass):
        as_self = ast.Call(func=call.func, args=[ast.Name("self", ast.Load()), *call.args[1:]], keywords=[])
        ast.copy_location(as_self, call)
        as_self.end_lineno, as_self.end_col_offset = call.end_lineno, call.end_col_offset
        rebuilt = _with_call(node, call, as_self)
        found = ev.engine.dispatch(rebuilt, ev.frame.file, ev.line, (obj_type.file, obj_type.qualname))
        found = replace(found, via=expression_text(node)) if found is not None else None
    else:
        found = Dispatch(via=expression_text(node), kind="getattr", targets=(), open=True, narrowed=shape.pattern.narrowed)
    return Picked(found, ev.eval(shape.key)) if found is not None else None


def _getattr_call(node: ast.expr) -> ast.Call | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node if isinstance(node, ast.Call) else None


def _with_call(node: ast.expr, old: ast.Call, new: ast.Call) -> ast.expr:
    """*node* with its innermost ``getattr(...)`` call replaced (``getattr(o, n).run`` → ``getattr(self, n).run``)."""
    if node is old:
        return new
    assert isinstance(node, ast.Attribute)
    rebuilt = ast.Attribute(value=_with_call(node.value, old, new), attr=node.attr, ctx=ast.Load())
    return ast.copy_location(rebuilt, node)


def record_open_dispatch(ev: Evaluator, node: ast.Call, picked: Picked) -> None:
    """A callable picked from an open namespace by request data: RCE, CWE 94.

    Not for a key with fixed text around it (``"do_" + verb`` reaches only ``do_*``),
    nor for ``import_module``, whose argument is a code sink of the sink table already.
    """
    found = picked.dispatch
    if not found.open or found.narrowed or found.kind == "import":
        return
    chosen = [t for t in picked.key if VulnType.RCE in t.kinds and t.whole]
    if chosen:
        sink = Sink.at(ev.frame.file, node, VulnType.RCE, 94, OPEN_DISPATCH_LABEL, OPEN_DISPATCH_CONFIDENCE)
        ev.record(sink, chosen)


def callees(ev: Evaluator, picked: Picked) -> list[Callee]:
    """Each candidate as the call site would call it (bound methods get ``self`` implicitly).

    Entry points among them are analysed on their own: what they read from the request
    themselves is reported there, not again for every handler that can dispatch to them.
    """
    entries = ev.engine.entries
    targets = [
        t for t in picked.dispatch.targets
        if t.symbol is None or (t.symbol.file, t.symbol.qualname) not in entries
    ]
    return [c for c in (_callee(ev, t, picked.on_self) for t in targets) if c is not None]


def _callee(ev: Evaluator, target: Target, on_self: bool) -> Callee | None:
    symbol = target.symbol
    if symbol is None:
        return Callee(qualified=target.external, namespace=True)
    if symbol.kind == "class":
        return Callee(cls=RepoClass(symbol.file, symbol.qualname))
    if symbol.kind == "function":
        return Callee(function=FunctionRef(symbol.file, symbol.qualname, None, False))
    if symbol.kind != "method":
        return None
    owner = RepoClass(symbol.file, symbol.qualname.rsplit(".", 1)[0])
    node = ev.engine.function_node(symbol.file, symbol.qualname)
    decorators = {dotted(d) for d in getattr(node, "decorator_list", [])}
    if "staticmethod" in decorators:
        return Callee(function=FunctionRef(symbol.file, symbol.qualname, owner, False))
    implicit = target.bound or "classmethod" in decorators
    receiver = ev.frame.receiver if on_self and ev.frame.receiver is not None else owner
    return Callee(function=FunctionRef(symbol.file, symbol.qualname, receiver, implicit))


def via_text(picked: Picked) -> str:
    """How a path step names the lookup ("dispatched by ACTIONS[...]")."""
    return picked.dispatch.via if len(picked.dispatch.via) <= 60 else picked.dispatch.via[:57] + "..."

