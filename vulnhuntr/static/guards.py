"""Checks that sanitise on the branch where they hold: allow-lists and path containment.

``if host not in ALLOWED: abort(400)`` makes ``host`` safe after the ``if``;
``if os.path.commonpath([root, path]) != root: raise ...`` makes ``path`` safe
for file access, but only when ``path`` was canonicalised first (``realpath``,
``abspath``, ``Path.resolve()``), because a prefix check on ``a/../../etc`` is
no check. The walker asks :func:`assume` to apply what a test means on each
branch to that branch's state.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable

from ..findings import VulnType
from ..repo.index import dotted
from .env import Env
from .sanitizers import CONTAINMENT_CALLS, CONTAINMENT_METHODS, NORMALIZER_METHODS, NORMALIZERS, VALIDATOR_METHODS
from .taint import ALL_KINDS, LITERAL, NO_DOTDOT, checked

QUOTES = frozenset({"'", '"'})

PATH_KINDS = frozenset({VulnType.LFI, VulnType.AFO})
HOST_ATTRIBUTES = frozenset({"hostname", "netloc", "host"})

Qualify = Callable[[ast.expr], "str | None"]


@dataclass(frozen=True)
class Fact:
    """On this branch, *expr* is allow-listed ("allowed") or a path inside a base ("contained")."""

    kind: str
    expr: ast.expr


def assume(test: ast.expr, truth: bool, env: Env, qualify: Qualify) -> None:
    """Make *env* the state on the branch where *test* is *truth*: what the test vouches for is clean."""
    apply(facts(test, truth, qualify), env, qualify)


def facts(test: ast.expr, truth: bool, qualify: Qualify) -> list[Fact]:
    """What *test* being *truth* tells us about the values it mentions."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return facts(test.operand, not truth, qualify)
    if isinstance(test, ast.BoolOp):
        every = isinstance(test.op, ast.And) == truth  # (a and b) true / (a or b) false: each part holds
        if every:
            return [f for value in test.values for f in facts(value, truth, qualify)]
        return _common([facts(value, truth, qualify) for value in test.values])  # one part holds: what all say
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        return _compare(test.left, test.ops[0], test.comparators[0], truth, qualify)
    if isinstance(test, ast.Call) and truth:
        return _call(test, qualify)
    return []


def _common(alternatives: list[list[Fact]]) -> list[Fact]:
    """The facts every alternative vouches for (``c.isalnum() or c in SAFE``: ``c`` is allow-listed)."""
    if not alternatives:
        return []
    keys = [{(f.kind, ast.dump(f.expr)) for f in found} for found in alternatives]
    shared = set.intersection(*keys)
    return [f for f in alternatives[0] if (f.kind, ast.dump(f.expr)) in shared]


def _compare(left: ast.expr, op: ast.cmpop, right: ast.expr, truth: bool, qualify: Qualify) -> list[Fact]:
    positive = truth if isinstance(op, (ast.In, ast.Eq, ast.Is)) else not truth
    if isinstance(op, (ast.In, ast.NotIn)) and not positive:
        return _absent(left, right)
    if not positive:
        return []
    if isinstance(op, (ast.In, ast.NotIn)):
        return [Fact("allowed", left)] if _fixed_collection(right) else []
    if isinstance(op, (ast.Eq, ast.NotEq)):
        for side, other in ((left, right), (right, left)):
            if isinstance(side, ast.Call) and qualify(side.func) in CONTAINMENT_CALLS:
                return [Fact("contained", arg) for arg in _call_args(side)]
            if isinstance(other, ast.Constant) and other.value is not None and isinstance(side, ast.Name):
                return [Fact("allowed", side)]
    return []


def _absent(needle: ast.expr, haystack: ast.expr) -> list[Fact]:
    """``".." not in name`` (or ``"'" not in s[1:-1]``) holds: what the text is known not to contain."""
    if not (isinstance(needle, ast.Constant) and isinstance(needle.value, str)):
        return []
    if ".." in needle.value and needle.value.strip("./\\") == "":
        return [Fact("no-dotdot", haystack)]
    inner = _inner(haystack)
    if needle.value in QUOTES and inner is not None:
        return [Fact("inner-free" + needle.value, inner)]
    return []


def _inner(node: ast.expr) -> ast.expr | None:
    """``s`` of ``s[1:-1]``: the text between its first and last character."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)):
        return None
    lower, upper = node.slice.lower, node.slice.upper
    if isinstance(lower, ast.Constant) and lower.value == 1 and isinstance(upper, ast.UnaryOp):
        if isinstance(upper.op, ast.USub) and isinstance(upper.operand, ast.Constant) and upper.operand.value == 1:
            return node.value
    return None


def _call(test: ast.Call, qualify: Qualify) -> list[Fact]:
    func = test.func
    if isinstance(func, ast.Attribute) and func.attr in ("startswith", "endswith") and len(test.args) == 1:
        arg = test.args[0]
        if isinstance(arg, ast.Constant) and arg.value in QUOTES:
            return [Fact(f"{func.attr}{arg.value}", func.value), Fact("contained", func.value)]
    if isinstance(func, ast.Attribute) and func.attr in CONTAINMENT_METHODS:
        return [Fact("contained", func.value)]
    if isinstance(func, ast.Attribute) and func.attr in VALIDATOR_METHODS:
        target = test.args[0] if func.attr == "fullmatch" and test.args else func.value
        return [Fact("allowed", target)]
    if qualify(func) == "re.fullmatch" and len(test.args) > 1:
        return [Fact("allowed", test.args[1])]
    return []


def _fixed_collection(node: ast.expr) -> bool:
    """A literal collection or a named constant: not something the request could fill."""
    if isinstance(node, (ast.Set, ast.List, ast.Tuple, ast.Dict)):
        return all(isinstance(e, ast.Constant) for e in getattr(node, "elts", getattr(node, "keys", [])) if e)
    return isinstance(node, (ast.Name, ast.Attribute))


def _call_args(call: ast.Call) -> list[ast.expr]:
    found: list[ast.expr] = []
    for arg in call.args:
        found += list(arg.elts) if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
    return found


def apply(found: list[Fact], env: Env, qualify: Qualify) -> None:
    """Make the values the facts vouch for clean on this branch."""
    _shape_checks(found, env)
    for fact in found:
        if fact.kind not in ("allowed", "contained"):
            continue
        if fact.kind == "allowed":
            name = _vouched(fact.expr)
            if name is not None:
                env.clean(name, ALL_KINDS, follow=True)
            continue
        for name in _canonical_names(fact.expr, env, qualify):
            env.clean(name, PATH_KINDS)


def _shape_checks(found: list[Fact], env: Env) -> None:
    """Checks on what the text looks like: no ``..`` in it; quoted as a plain string literal."""
    by_name: dict[str, set[str]] = {}
    for fact in found:
        name = dotted(fact.expr)
        if name is not None and env.is_local(name.split(".", 1)[0]):
            by_name.setdefault(name, set()).add(fact.kind)
    for name, kinds in by_name.items():
        if "no-dotdot" in kinds:
            env.values[name] = checked(env.get(name), NO_DOTDOT)
        if any({f"startswith{q}", f"endswith{q}", f"inner-free{q}"} <= kinds for q in QUOTES):
            env.values[name] = checked(env.get(name), LITERAL)


def _vouched(node: ast.expr) -> str | None:
    """The local an allow-list check vouches for: ``host``, ``x`` of ``x.lower()``, ``u`` of ``u.hostname``.

    ``parsed.scheme in ("http", "https")`` vouches for nothing: the host is still free.
    """
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return _vouched(node.func.value)
    if isinstance(node, ast.Attribute):
        text = dotted(node)
        if text is not None and text.split(".")[0] in ("self", "cls") and text.count(".") == 1:
            return text
        return dotted(node.value) if node.attr in HOST_ATTRIBUTES else None
    return None


def _canonical_names(node: ast.expr, env: Env, qualify: Qualify) -> list[str]:
    """Locals in *node* that hold a canonical path, or are canonicalised inline (``realpath(p)``)."""
    if isinstance(node, ast.Call):
        inline = qualify(node.func) in NORMALIZERS or (
            isinstance(node.func, ast.Attribute) and node.func.attr in NORMALIZER_METHODS
        )
        inner = [*node.args, node.func.value] if isinstance(node.func, ast.Attribute) else list(node.args)
        names = [n for arg in inner for n in _names(arg)]
        return names if inline else [n for n in names if n in env.normalized]
    return [n for n in _names(node) if n in env.normalized]


def _names(node: ast.expr) -> list[str]:
    text = dotted(node)
    if text is not None:
        return [text]
    if isinstance(node, ast.Call):
        return [n for arg in node.args for n in _names(arg)]
    return []
