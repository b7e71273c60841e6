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
from typing import Callable, Iterable, Iterator, TypeVar

from ..repo.index import dotted
from .sanitizers import OWNER
from .sinks import CallFacts
from .taint import CLEAN, Value, union
from .walked import walked

T = TypeVar("T")

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
PERMISSION_CALLS = re.compile(
    r"has_perm|has_object_permission|check_object_permissions|can_(view|access|edit|read)|is_owner|authori[sz]e"
)
CURRENT_USER = re.compile(
    r"\b\w*(current_user|logged_in_user|authenticated_user|current_identity|jwt_identity)\w*\b"
    r"|\b(get_jwt|get_raw_jwt|get_identity)\b"
    r"|\b(request|g|self\.request|info\.context|request\.state|ctx)\.(user|current_user|auth|identity)\b"
    r"|(?<![\w.])session\s*(\[|\.get\()|\brequest\.session\b|\bflask_login\b|\bauth\.(current_user|user)\b"
)
"""Who is asking: the session, the logged-in user, the JWT identity (never a value the request sends)."""
REQUEST_READ = re.compile(
    r"\b(request|self\.request|req)\.(args|form|values|json|get_json|data|GET|POST|query_params|path_params|"
    r"headers|cookies|COOKIES|META|body|match_info|query|params|matchdict|get_argument|get_param|media)\b"
)
"""Data the client sends: never the current user, whatever it is called."""
INJECTORS = frozenset({"Depends", "Security"})
"""FastAPI parameters filled by a dependency (``user: User = Depends(get_current_user)``)."""
_ID_KEY = re.compile(r"^(id|pk|uuid|\w+_id|\w+_pk)$")
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
    """Does *function* compare the record (or its owner) with the current user, or ask a permission API?

    A comparison with another value from the request (``note.owner_id != request.args["uid"]``)
    is no check: the client sends whatever id it likes. Memoised per node: every frame of one
    function (one per receiver and call context) asks the same question of the same tree.
    """
    return _per_node(_owner_memo, function, _ownership_checked)


def _per_node(memo: dict[int, tuple[ast.AST, T]], node: ast.AST, compute: Callable[[ast.AST], T]) -> T:
    """*compute(node)*, memoised by the node's identity (the node is kept, so its id is not reused)."""
    cached = memo.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    if len(memo) > 4096:
        memo.clear()
    value = compute(node)
    memo[id(node)] = (node, value)
    return value


_owner_memo: dict[int, tuple[ast.AST, bool]] = {}
_gates_memo: dict[int, tuple[ast.AST, dict[str, int]]] = {}


def _ownership_checked(function: ast.AST) -> bool:
    compares: list[ast.Compare] = []
    for sub in walked(function):
        if isinstance(sub, ast.Compare):
            compares.append(sub)
        elif isinstance(sub, ast.Call) and PERMISSION_CALLS.search(dotted_tail(sub.func) or ""):
            return True
    if not compares:
        return False
    users = _current_user_names(function)
    return any(_compares_with_user(c, users) for c in compares)


def _current_user_names(function: ast.AST) -> frozenset[str]:
    """Locals that hold the current user: injected parameters and ``uid = session["user_id"]``."""
    names: set[str] = set()
    args = getattr(function, "args", None)
    if isinstance(args, ast.arguments):
        positional = [*args.posonlyargs, *args.args]
        pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults))
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
        names |= {a.arg for a, d in pairs if isinstance(d, ast.Call) and dotted_tail(d.func) in INJECTORS}
    for sub in walked(function):
        if (
            isinstance(sub, ast.Assign)
            and _mentions_identity(sub.value)
            and CURRENT_USER.search(ast.unparse(sub.value))
        ):
            names |= {t.id for t in sub.targets if isinstance(t, ast.Name)}
    return frozenset(names)


def _compares_with_user(node: ast.Compare, users: frozenset[str]) -> bool:
    """``note.owner_id != current_user.id``, ``note not in g.user.notes``; not ``note.title == current_user.name``."""
    sides = [node.left, *node.comparators]
    mine = [s for s in sides if _is_current_user(s, users)]
    others = [s for s in sides if not _is_current_user(s, users) and not isinstance(s, ast.Constant)]
    membership = any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
    return bool(mine) and any(membership or OWNER.search(ast.unparse(s)) for s in others)


def _is_current_user_text(text: str) -> bool:
    """``request.args["current_user_id"]`` is what the client says it is, not who it is."""
    return not REQUEST_READ.search(text) and bool(CURRENT_USER.search(text))


def _mentions_identity(node: ast.expr) -> bool:
    """A cheap test before the text one: some name in *node* speaks of a user, a session or a token."""
    for sub in ast.walk(node):
        word = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else None
        if word is not None and _IDENTITY_WORDS.search(word):
            return True
    return False


_IDENTITY_WORDS = re.compile(r"user|identity|session|jwt|auth|login", re.IGNORECASE)


def _is_current_user(node: ast.expr, users: frozenset[str]) -> bool:
    if not _mentions_identity(node) and not any(isinstance(n, ast.Name) and n.id in users for n in ast.walk(node)):
        return False
    if _is_current_user_text(ast.unparse(node)):
        return True
    return any(isinstance(n, ast.Name) and n.id in users for n in ast.walk(node))


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


_STOPS = (ast.Return, ast.Raise)


def gated_ids(function: ast.AST) -> dict[str, int]:
    """Names of ids a lookup checks first, with the line of the check: ``if get(ws, tid) is None: abort(404)``.

    A record fetched by such an id later in the function is behind that check: either the check
    scopes the id well enough, or the IDOR is the first lookup's, reported there, not again.
    Memoised per node; the table is shared, so callers only read it.
    """
    return _per_node(_gates_memo, function, _gated_ids)


def _gated_ids(function: ast.AST) -> dict[str, int]:
    gates: dict[str, int] = {}
    results: dict[str, tuple[ast.Call, int]] = {}
    for statement in walked(function):
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    results[target.id] = (statement.value, statement.lineno)
        if not isinstance(statement, ast.If) or not _stops(statement.body):
            continue
        tested = _missing_test(statement.test)
        if isinstance(tested, ast.Call):
            call = tested
        elif isinstance(tested, ast.Name) and tested.id in results:
            call = results[tested.id][0]
        else:
            continue
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Name) and _ID_KEY.match(arg.id):
                gates.setdefault(arg.id, statement.lineno)
    return gates


def _missing_test(test: ast.expr) -> ast.expr | None:
    """``x is None``, ``not x``: what is tested for being absent."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        return test.left
    return None


def _stops(body: list[ast.stmt]) -> bool:
    """The branch ends the request: ``return``, ``raise`` or an ``abort(...)`` call."""
    last = body[-1] if body else None
    if isinstance(last, _STOPS):
        return True
    return isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and dotted_tail(last.value.func) in (
        "abort", "exit", "redirect", "not_found",
    )


def behind_gate(call: ast.Call, gates: dict[str, int]) -> bool:
    """Is an id passed to *call* one that a lookup checked on an earlier line?"""
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        if isinstance(arg, ast.Name) and arg.id in gates and gates[arg.id] < call.lineno:
            return True
    return False
