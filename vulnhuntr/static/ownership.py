"""Is a fetched record checked against the current user? Owner fields, ownership comparisons, id gates.

The third IDOR signal (see ``idor``): a function that compares an owner field with who is asking,
or asks a permission API, is no IDOR; nor is a fetch by an id that an earlier lookup already checked.
"""

from __future__ import annotations

import ast
import re
from typing import Callable, TypeVar

from .sanitizers import OWNER
from .walked import walked

T = TypeVar("T")

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
