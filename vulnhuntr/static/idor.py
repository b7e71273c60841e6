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
from typing import Callable

from .sanitizers import OWNER
from .sinks import CallFacts
from .taint import CLEAN, Value, union

ORM_FETCHES = frozenset({"get", "filter", "get_or_404", "first_or_404", "get_or_none"})
SHORTCUTS = frozenset({"django.shortcuts.get_object_or_404", "django.shortcuts.get_list_or_404"})
SQL_METHODS = frozenset({"execute", "executemany"})
PERMISSION_CALLS = re.compile(
    r"has_perm|has_object_permission|check_object_permissions|can_(view|access|edit|read)|is_owner|authori[sz]e"
)
_ID_KEY = re.compile(r"^(id|pk|uuid|\w+_id|\w+_pk)$")
_WHERE_ID = re.compile(r"\bwhere\b.*\b(\w*id|pk)\s*=\s*(\?|%s|:\w+|%\(\w+\)s)", re.IGNORECASE | re.DOTALL)
_WHERE = re.compile(r"\bwhere\b(.*)", re.IGNORECASE | re.DOTALL)

OwnedModel = Callable[[ast.expr], bool]
"""Does this expression name a repository model with an owner field?"""


@dataclass(frozen=True)
class Fetch:
    """A record looked up by *id_value*; *owned* when the record is known to belong to a user."""

    id_value: Value
    owned: bool
    label: str


def fetch_by_id(
    node: ast.Call, method: str | None, qualified: str | None, facts: CallFacts, owned_model: OwnedModel
) -> Fetch | None:
    """The fetch *node* performs, if it is an unscoped lookup by id."""
    if qualified in SHORTCUTS and node.args:
        return _keyword_fetch(node, facts, node.args[0], owned_model)
    if method in SQL_METHODS:
        return _sql_fetch(node, facts)
    if method not in ORM_FETCHES or not isinstance(node.func, ast.Attribute):
        return None
    receiver = node.func.value
    if _scoped(receiver):
        return None
    if node.keywords:
        return _keyword_fetch(node, facts, receiver, owned_model)
    return _positional_fetch(node, facts, receiver, owned_model)


def _keyword_fetch(node: ast.Call, facts: CallFacts, model: ast.expr, owned_model: OwnedModel) -> Fetch | None:
    keys = [k.arg for k in node.keywords if k.arg]
    if any(OWNER.search(k) for k in keys) or _scoped(model):
        return None
    ids = [facts.keywords[k] for k in keys if _ID_KEY.match(k.split("__", 1)[0])]
    if not ids:
        return None
    return Fetch(union(*ids), owned_model(_model_name(model)), "record fetched by id")


def _positional_fetch(node: ast.Call, facts: CallFacts, receiver: ast.expr, owned_model: OwnedModel) -> Fetch | None:
    """``Model.query.get(id)`` and ``session.get(Model, id)``."""
    text = ast.unparse(receiver)
    if text.endswith(".query") and node.args:
        return Fetch(facts.args[0], owned_model(_model_name(receiver)), "record fetched by id")
    if text.endswith("session") and len(node.args) == 2:
        return Fetch(facts.args[1], owned_model(node.args[0]), "record fetched by id")
    if isinstance(receiver, ast.Call) and dotted_tail(receiver.func) == "query" and receiver.args and node.args:
        return Fetch(facts.args[0], owned_model(receiver.args[0]), "record fetched by id")
    return None


def _sql_fetch(node: ast.Call, facts: CallFacts) -> Fetch | None:
    """``execute("SELECT ... WHERE id = ?", (id,))``: parameterised, so not SQLI, but maybe IDOR."""
    if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
        return None
    query = node.args[0].value
    if not _WHERE_ID.search(query):
        return None
    where = _WHERE.search(query)
    if where is not None and OWNER.search(where.group(1)):
        return None  # scoped to the owner in the query itself
    params = union(*facts.args[1:], *facts.keywords.values()) if len(facts.args) > 1 or facts.keywords else CLEAN
    return Fetch(params, bool(OWNER.search(query)), "row selected by id") if params else None


def _scoped(receiver: ast.expr) -> bool:
    """``Order.objects.filter(customer=request.user)...``: the query already limits to the owner."""
    for sub in ast.walk(receiver):
        if isinstance(sub, ast.Call) and any(k.arg and OWNER.search(k.arg) for k in sub.keywords):
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


def dotted_tail(node: ast.expr) -> str | None:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None


def has_owner_field(cls: ast.ClassDef) -> bool:
    """A class-level field whose name or definition ties the record to a user."""
    for statement in cls.body:
        targets: list[ast.expr] = []
        value: ast.expr | None
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign):
            targets, value = [statement.target], statement.value
        else:
            continue
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if any(OWNER.search(n) for n in names) or (value is not None and _user_reference(value)):
            return True
    return any(OWNER.search(ast.unparse(base)) for base in cls.bases)


def _user_reference(value: ast.expr) -> bool:
    return isinstance(value, ast.Call) and any(OWNER.search(ast.unparse(a)) for a in value.args[:1])


def ownership_checked(function: ast.AST) -> bool:
    """Does *function* compare an owner field with someone, or ask a permission API?"""
    for sub in ast.walk(function):
        if isinstance(sub, ast.Compare) and _compares_owner(sub):
            return True
        if isinstance(sub, ast.Call) and PERMISSION_CALLS.search(dotted_tail(sub.func) or ""):
            return True
    return False


def _compares_owner(node: ast.Compare) -> bool:
    sides = [node.left, *node.comparators]
    if any(isinstance(s, ast.Constant) for s in sides):
        return False
    return bool(OWNER.search(ast.unparse(node)))
