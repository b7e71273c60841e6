"""The IDOR heuristic: a record fetched by a request-supplied id, with no ownership check.

Three signals, all cheap: the call fetches one record by id (ORM ``get(pk=...)``,
``get_object_or_404``, ``Model.query.get(id)``, ``SELECT ... WHERE id = ?``);
the record belongs to someone (the model has an owner/user/customer field, or
the query names an owner column) and the fetch is not already scoped to the
owner; and no function on the way compares an owner field with the current
user. Without the second signal the hit is only a seed for the LLM.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable, Iterable

from ..repo.index import dotted
from .sanitizers import OWNER
from .sinks import CallFacts
from .taint import CLEAN, Value, union
from .ownership import _ID_KEY, CURRENT_USER, INJECTORS, PERMISSION_CALLS, REQUEST_READ, dotted_tail
from .ownership import _IDENTITY_WORDS, _is_current_user, _is_current_user_text, behind_gate, gated_ids
from .ownership import has_owner_field, ownership_checked
from .walked import walked

ORM_FETCHES = frozenset(
    {"get", "filter", "filter_by", "where", "get_or_404", "first_or_404", "one_or_404", "get_or_none", "get_one"}
)
SHORTCUTS = frozenset(
    {
        "django.shortcuts.get_object_or_404",
        "django.shortcuts.get_list_or_404",
        "django.shortcuts.aget_object_or_404",
        "django.shortcuts.aget_list_or_404",
        "rest_framework.generics.get_object_or_404",
    }
)
SQL_METHODS = frozenset({"execute", "executemany"})
_WHERE_ID = re.compile(r"\bwhere\b.*\b(\w*id|pk)\s*=\s*(\?|%s|:\w+|%\(\w+\)s|\$\d+)", re.IGNORECASE | re.DOTALL)
_WHERE = re.compile(r"\bwhere\b(.*)", re.IGNORECASE | re.DOTALL)
_PLACEHOLDER = re.compile(r"(\w+)\s*=\s*(\?|%s|\$\d+)|(\w+)\s*=\s*(?::(\w+)|%\((\w+)\)s)")
_CLASS_NAME = re.compile(r"^[A-Z]\w*$")

OwnedModel = Callable[[ast.expr], bool]
"""Does this expression name a repository model with an owner field?"""
OwnedTable = Callable[[str], bool]
"""Does the repository create this SQL table with an owner column?"""
_FROM = re.compile(r"\b(?:from|update|into)\s+[`\"\[]?(\w+)", re.IGNORECASE)
_CREATE_TABLE = re.compile(
    r"create\s+table\s+(?:if\s+not\s+exists\s+)?[`\"\[]?(\w+)[`\"\]]?\s*\(([^;]*?)\)\s*(?:;|[\"']|$)",
    re.IGNORECASE | re.MULTILINE,
)
_COLUMN = re.compile(r"(?:^|,)\s*[`\"\[]?(\w+)", re.MULTILINE)


def owned_tables(sources: Iterable[str]) -> frozenset[str]:
    """Tables whose ``CREATE TABLE`` (in the repository's code) has an owner/user column, lower-cased."""
    found: set[str] = set()
    for text in sources:
        if "create" not in text.lower():
            continue
        for match in _CREATE_TABLE.finditer(text):
            columns = [c for c in _COLUMN.findall(match.group(2))]
            if any(OWNER.search(c) for c in columns):
                found.add(match.group(1).lower())
    return frozenset(found)


@dataclass(frozen=True)
class Fetch:
    """A record looked up by *id_value*, and what tells whether it belongs to a user (see :meth:`owned`)."""

    id_value: Value
    label: str
    model: ast.expr | None = None  # ORM: the model class as written
    table: str | None = None  # SQL: the table selected from
    names_owner: bool = False  # SQL: the query itself names an owner column

    def owned(self, owned_model: OwnedModel, owned_table: OwnedTable) -> bool:
        """Is the record known to belong to a user? Asked only of a fetch that is reported: the
        answer may need a repository-wide look (every listing, every ``CREATE TABLE``)."""
        if self.names_owner:
            return True
        if self.model is not None:
            return owned_model(self.model)
        return self.table is not None and owned_table(self.table)


def fetch_by_id(node: ast.Call, method: str | None, qualified: str | None, facts: CallFacts) -> Fetch | None:
    """The fetch *node* performs, if it is an unscoped lookup by id."""
    if qualified in SHORTCUTS and node.args:
        return _keyword_fetch(node, facts, node.args[0])
    if method in SQL_METHODS:
        return _sql_fetch(node, facts)
    if method not in ORM_FETCHES or not isinstance(node.func, ast.Attribute):
        return None
    receiver = node.func.value
    if _scoped(receiver, facts):
        return None
    if node.keywords:
        fetch = _keyword_fetch(node, facts, receiver)
    elif any(isinstance(a, (ast.Compare, ast.Call)) for a in node.args):
        fetch = _expression_fetch(node, facts)
    else:
        fetch = _positional_fetch(node, facts, receiver)
    if fetch is None or not fetch.id_value or _through_user(receiver) or id(node) in _scoped_later(facts.scope):
        return None
    return fetch


def _keyword_fetch(node: ast.Call, facts: CallFacts, model: ast.expr) -> Fetch | None:
    keys = [k.arg for k in node.keywords if k.arg]
    if any(OWNER.search(k) and not _tainted_keyword(facts, node, k) for k in keys) or _scoped(model, facts):
        return None  # filtered by an owner the request does not choose
    ids = [facts.keywords[k] for k in keys if _ID_KEY.match(k.split("__", 1)[0]) and k in facts.keywords]
    if not ids:
        return None
    return Fetch(union(*ids), "record fetched by id", model=_model_name(model))


def _tainted_keyword(facts: CallFacts, call: ast.Call, key: str) -> bool:
    if call is facts.node:
        return from_request(facts.keywords.get(key, CLEAN))
    return any(k.arg == key and from_request(facts.evaluate(k.value)) for k in call.keywords)


def from_request(val: Value) -> bool:
    """Taint read from this request. A helper's parameter (symbolic taint) is not: its caller decides,
    and an owner filter written with one is taken as the scoping it looks like."""
    return any(t.source is not None for t in val)


def _positional_fetch(node: ast.Call, facts: CallFacts, receiver: ast.expr) -> Fetch | None:
    """``Model.query.get(id)``, ``session.get(Model, id)``, ``db.get_or_404(Model, id)``."""
    text = ast.unparse(receiver)
    if text.endswith(".query") and node.args:
        return Fetch(facts.args[0], "record fetched by id", model=_model_name(receiver))
    if len(node.args) == 2 and (text.endswith("session") or _names_class(node.args[0])):
        return Fetch(facts.args[1], "record fetched by id", model=node.args[0])
    if isinstance(receiver, ast.Call) and dotted_tail(receiver.func) == "query" and receiver.args and node.args:
        return Fetch(facts.args[0], "record fetched by id", model=receiver.args[0])
    return None


def _names_class(node: ast.expr) -> bool:
    tail = dotted_tail(node)
    return tail is not None and bool(_CLASS_NAME.match(tail))


def _expression_fetch(node: ast.Call, facts: CallFacts) -> Fetch | None:
    """``filter(Note.id == nid)``, ``select(Note).where(Note.id == nid)``; ``and_(...)`` is looked into."""
    ids: list[Value] = []
    model: ast.expr | None = None
    for compare in _compares(node.args):
        for column, other in _column_sides(compare):
            if OWNER.search(column.attr) and not from_request(facts.evaluate(other)):
                return None  # ``Note.owner_id == current_user.id``: scoped to the owner
            if _ID_KEY.match(column.attr):
                found = facts.evaluate(other)
                if found:
                    ids.append(found)
                    model = model or column.value
    if not ids:
        return None
    return Fetch(union(*ids), "record fetched by id", model=_model_name(model) if model is not None else None)


def _compares(args: list[ast.expr]) -> list[ast.Compare]:
    found: list[ast.Compare] = []
    for arg in args:
        if isinstance(arg, ast.Compare):
            found.append(arg)
        elif isinstance(arg, ast.Call) and dotted_tail(arg.func) in ("and_", "and"):
            found += _compares(arg.args)
    return found


def _column_sides(compare: ast.Compare) -> list[tuple[ast.Attribute, ast.expr]]:
    if len(compare.ops) != 1 or not isinstance(compare.ops[0], (ast.Eq, ast.Is)):
        return []
    left, right = compare.left, compare.comparators[0]
    return [(side, other) for side, other in ((left, right), (right, left)) if isinstance(side, ast.Attribute)]


def _sql_fetch(node: ast.Call, facts: CallFacts) -> Fetch | None:
    """``execute("SELECT ... WHERE id = ?", (id,))``: parameterised, so not SQLI, but maybe IDOR."""
    if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
        return None
    query = node.args[0].value
    if not _WHERE_ID.search(query):
        return None
    where = _WHERE.search(query)
    if where is not None and OWNER.search(where.group(1)) and not _owner_parameter_tainted(where.group(1), node, facts):
        return None  # scoped to the owner in the query itself
    params = union(*facts.args[1:], *facts.keywords.values()) if len(facts.args) > 1 or facts.keywords else CLEAN
    table = _FROM.search(query)
    named = table.group(1) if table is not None else None
    return Fetch(params, "row selected by id", table=named, names_owner=bool(OWNER.search(query))) if params else None


def _owner_parameter_tainted(where: str, node: ast.Call, facts: CallFacts) -> bool:
    """``... AND owner_id = ?`` bound to a value from the request: the owner is chosen by the client."""
    params = node.args[1] if len(node.args) > 1 else None
    position = 0
    for match in _PLACEHOLDER.finditer(where):
        column = match.group(1) or match.group(3)
        name = match.group(4) or match.group(5)
        if OWNER.search(column):
            if isinstance(params, (ast.Tuple, ast.List)) and name is None and position < len(params.elts):
                return from_request(facts.evaluate(params.elts[position]))
            if isinstance(params, ast.Dict) and name is not None:
                item = next(
                    (v for k, v in zip(params.keys, params.values) if isinstance(k, ast.Constant) and k.value == name),
                    None,
                )
                return item is not None and from_request(facts.evaluate(item))
            return False
        position += 1 if name is None else 0
    return False


def _through_user(receiver: ast.expr) -> bool:
    """``current_user.notes.filter_by(id=x)``, ``request.user.orders.get(pk=x)``: only the user's own records."""
    root = receiver
    while not (isinstance(root, (ast.Name, ast.Attribute)) and dotted(root) is not None):
        if isinstance(root, ast.Call):
            root = root.func
        elif isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        else:
            return False
    text = dotted(root) or ""
    return bool(_IDENTITY_WORDS.search(text)) and _is_current_user_text(text)


def _scoped_later(scope: ast.AST | None) -> frozenset[int]:
    """Calls inside a query chain that a later link scopes to the current user.

    ``Note.query.filter_by(id=x).filter_by(owner=current_user)``: the inner ``filter_by`` is
    evaluated first, before the walk sees the owner filter that wraps it.
    """
    if scope is None:
        return frozenset()
    cached = _later.get(id(scope))
    if cached is not None and cached[0] is scope:
        return cached[1]
    found: set[int] = set()
    for sub in walked(scope):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and _user_filter(sub):
            found |= {id(inner) for inner in ast.walk(sub.func.value) if isinstance(inner, ast.Call)}
    if len(_later) > 2048:
        _later.clear()
    _later[id(scope)] = (scope, frozenset(found))
    return frozenset(found)


_later: dict[int, tuple[ast.AST, frozenset[int]]] = {}


def _user_filter(call: ast.Call) -> bool:
    """``.filter_by(owner=current_user)``, ``.filter(Note.owner_id == g.user.id)``."""
    for keyword in call.keywords:
        if keyword.arg and OWNER.search(keyword.arg) and _is_current_user(keyword.value, frozenset()):
            return True
    for compare in _compares(call.args):
        if any(OWNER.search(c.attr) and _is_current_user(o, frozenset()) for c, o in _column_sides(compare)):
            return True
    return False


def _scoped(receiver: ast.expr, facts: CallFacts) -> bool:
    """``Order.objects.filter(customer=request.user)...``: the query already limits to the owner."""
    for sub in ast.walk(receiver):
        if not isinstance(sub, ast.Call):
            continue
        if any(k.arg and OWNER.search(k.arg) and not from_request(facts.evaluate(k.value)) for k in sub.keywords):
            return True
        for compare in _compares(sub.args):
            if any(OWNER.search(c.attr) and not from_request(facts.evaluate(o)) for c, o in _column_sides(compare)):
                return True
    return False


def _model_name(node: ast.expr) -> ast.expr:
    """The root of ``Order.objects.select_related(...)``: the model class expression."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return node


__all__ = [  # re-exported: the ownership checks were defined here
    "CURRENT_USER", "INJECTORS", "PERMISSION_CALLS", "REQUEST_READ",
    "behind_gate", "dotted_tail", "gated_ids", "has_owner_field", "ownership_checked",
]
