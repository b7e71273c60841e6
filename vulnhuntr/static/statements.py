"""Walking a function body in order, with branches copied and merged.

That order is what makes guards work: after ``if x not in ALLOWED: abort(400)``
only the branch that falls through continues, and on it ``x`` is clean. Loops
run their body twice so values built up in one iteration reach the next.
"""

from __future__ import annotations

import ast
from typing import Callable

from ..repo.index import dotted
from . import containers, guards, responses
from .constants import UNKNOWN
from .env import Env
from .expressions import Evaluator
from .ownership import dotted_tail
from .sanitizers import ABORTS
from .taint import Value, prefixed

HTML_VIEWS = responses.HTML_VIEWS
_UNSEEN = object()
_HANDLERS: dict[type, Callable[..., bool] | None | object] = {}
"""Statement class -> the ``Walker`` method for it (None: evaluate its expressions)."""


class Walker:
    """Runs the statements of one function through an :class:`Evaluator`."""

    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev
        self._loops: list[tuple[list[Env], list[Env]]] = []  # per enclosing loop: states at break, at continue

    def block(self, statements: list[ast.stmt]) -> bool:
        """Run *statements*; True when the block always leaves (return, raise, abort)."""
        for statement in statements:
            if self.statement(statement):
                return True
        return False

    def statement(self, node: ast.stmt) -> bool:
        self.ev.line = node.lineno
        kind = type(node)
        handler = _HANDLERS.get(kind, _UNSEEN)
        if handler is _UNSEEN:  # the method for a statement class is looked up once per run of the interpreter
            handler = _HANDLERS[kind] = getattr(Walker, "_" + kind.__name__, None)
        if handler is not None:
            return handler(self, node)  # type: ignore[operator]
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.ev.eval(child)
        return False

    def branch(self, statements: list[ast.stmt], env: Env) -> tuple[Env, bool]:
        saved = self.ev.env
        self.ev.env = env
        try:
            left = self.block(statements)
            return self.ev.env, left
        finally:
            self.ev.env = saved

    def _settle(self, outcomes: list[tuple[Env, bool]]) -> bool:
        """Continue with the merge of the branches that fall through; True if none does."""
        through = [env for env, left in outcomes if not left]
        self.ev.env = Env.merge(through) if through else outcomes[0][0]
        return not through

    # assignments --------------------------------------------------------------------
    def _Assign(self, node: ast.Assign) -> bool:
        literal = containers.built(self.ev, node.value) if not isinstance(node.value, ast.Call) else None
        val = literal[1] if literal is not None else self.ev.eval(node.value)
        if literal is None and isinstance(node.value, ast.Call):
            literal = containers.built(self.ev, node.value)
        obj_type = self.ev.type_of(node.value)
        fields = self.ev.new_fields.pop(id(node.value), {})
        for target in node.targets:
            self.ev.bind(target, val, obj_type, node.value)
            if literal is not None and isinstance(target, ast.Name):
                self.ev.env.shapes[target.id] = literal[0]
            name = dotted(target)
            for field_name, field_value in fields.items():  # ``obj = Cls(x)`` whose __init__ kept x
                if name is not None:
                    self.ev.env.values[f"{name}.{field_name}"] = field_value
        return False

    def _AnnAssign(self, node: ast.AnnAssign) -> bool:
        if node.value is not None:
            self.ev.bind(node.target, self.ev.eval(node.value), self.ev.type_of(node.value), node.value)
        return False

    def _AugAssign(self, node: ast.AugAssign) -> bool:
        val = self.ev.eval(node.value)
        if isinstance(node.target, ast.Name):
            name = node.target.id
            folded = self.ev.constant(ast.BinOp(ast.Name(name, ast.Load()), node.op, node.value))
            appended = isinstance(node.op, ast.Add) and self.ev.env.is_local(name)
            self.ev.env.add(name, prefixed(val, "{}") if appended else val)
            if folded is not UNKNOWN:
                self.ev.env.consts[name] = folded
        else:
            self.ev.bind(node.target, val)
        return False

    # control flow ------------------------------------------------------------------
    def _Expr(self, node: ast.Expr) -> bool:
        self.ev.eval(node.value)
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        return isinstance(value, ast.Call) and dotted_tail(value.func) in ABORTS

    def _Return(self, node: ast.Return) -> bool:
        if node.value is not None:
            val = self.ev.eval(node.value)
            self.ev.returns.append(val)
            self._returned_html(node, node.value, val)
        return True

    def _Raise(self, node: ast.Raise) -> bool:
        if node.exc is not None:
            self.ev.eval(node.exc)
        return True

    def _Continue(self, node: ast.stmt) -> bool:
        if self._loops:
            self._loops[-1][1].append(self.ev.env.copy())
        return True

    def _Break(self, node: ast.stmt) -> bool:
        """Leaves the loop: the state here joins the state after the loop."""
        if self._loops:
            self._loops[-1][0].append(self.ev.env.copy())
        return True

    def _If(self, node: ast.If) -> bool:
        self.ev.eval(node.test)
        fixed = self.ev.constant(node.test)
        if fixed is not UNKNOWN:  # ``if 7 * 42 - num > 200:`` with ``num`` a constant: one branch runs
            return self.block(node.body if fixed else node.orelse)
        outcomes = [
            self.branch(node.body, self._refined(node.test, True)),
            self.branch(node.orelse, self._refined(node.test, False)),
        ]
        return self._settle(outcomes)

    def _refined(self, test: ast.expr, truth: bool) -> Env:
        env = self.ev.env.copy()
        guards.assume(test, truth, env, self.ev.qualify)
        return env

    def _Assert(self, node: ast.Assert) -> bool:
        self.ev.eval(node.test)
        guards.assume(node.test, True, self.ev.env, self.ev.qualify)
        return False

    def _For(self, node: ast.For | ast.AsyncFor) -> bool:
        items = self.ev.eval(node.iter)
        before = self.ev.env
        self._loops.append(([], []))
        for _ in range(2):
            env = self.ev.env.copy()
            self.ev.env = env
            self.ev.bind(node.target, items)
            after, left = self.branch(node.body, env)
            self.ev.env = Env.merge([before, *([] if left else [after]), *self._loops[-1][1]])
            self._loops[-1][1].clear()
        return self._after_loop(node.orelse)

    def _after_loop(self, orelse: list[ast.stmt]) -> bool:
        """``else:`` runs when the loop ends normally; a ``break`` skips it and joins after."""
        breaks = self._loops.pop()[0]
        left = self.block(orelse)
        through = ([] if left else [self.ev.env]) + breaks
        if not through:
            return True
        self.ev.env = Env.merge(through)
        return False

    _AsyncFor = _For

    def _While(self, node: ast.While) -> bool:
        self.ev.eval(node.test)
        if self.ev.constant(node.test) is False:
            return self.block(node.orelse)
        before = self.ev.env
        self._loops.append(([], []))
        for _ in range(2):
            after, left = self.branch(node.body, self.ev.env.copy())
            self.ev.env = Env.merge([before, *([] if left else [after]), *self._loops[-1][1]])
            self._loops[-1][1].clear()
        return self._after_loop(node.orelse)

    def _With(self, node: ast.With | ast.AsyncWith) -> bool:
        for item in node.items:
            val = self.ev.eval(item.context_expr)
            if item.optional_vars is not None:
                self.ev.bind(item.optional_vars, val, self.ev.type_of(item.context_expr), item.context_expr)
        return self.block(node.body)

    _AsyncWith = _With

    def _Try(self, node: ast.Try) -> bool:
        before = self.ev.env.copy()
        left = self.block(node.body)
        outcomes: list[tuple[Env, bool]] = []
        if not left:
            outcomes.append(self.branch(node.orelse, self.ev.env))
        for handler in node.handlers:
            env = Env.merge([before, self.ev.env.copy()])
            if handler.name:
                env.bind(handler.name, frozenset())
            outcomes.append(self.branch(handler.body, env))
        gone = self._settle(outcomes) if outcomes else True
        self.block(node.finalbody)
        return gone

    _TryStar = _Try

    def _Match(self, node: ast.stmt) -> bool:
        self.ev.eval(node.subject)  # type: ignore[attr-defined]
        chosen = self._matched_case(node)
        if chosen is not UNKNOWN:
            return self.block(chosen.body) if isinstance(chosen, ast.match_case) else False
        outcomes = [self.branch(case.body, self.ev.env.copy()) for case in node.cases]  # type: ignore[attr-defined]
        outcomes.append((self.ev.env, False))
        return self._settle(outcomes)

    def _matched_case(self, node: ast.stmt) -> object:
        """The case a constant subject selects (None: no case matches), or UNKNOWN."""
        subject = self.ev.constant(node.subject)  # type: ignore[attr-defined]
        if subject is UNKNOWN:
            return UNKNOWN
        for case in node.cases:  # type: ignore[attr-defined]
            if case.guard is not None:
                return UNKNOWN
            matched = self._pattern_matches(case.pattern, subject)
            if matched is UNKNOWN or matched:
                return case if matched is True else UNKNOWN
        return None

    def _pattern_matches(self, pattern: ast.AST, subject: object) -> object:
        """True/False for literal, ``|`` and wildcard patterns; UNKNOWN for the rest (captures, classes)."""
        if isinstance(pattern, ast.MatchValue):
            value = self.ev.constant(pattern.value)
            return UNKNOWN if value is UNKNOWN else value == subject
        if isinstance(pattern, ast.MatchSingleton):
            return pattern.value is subject
        if isinstance(pattern, ast.MatchOr):
            results = [self._pattern_matches(p, subject) for p in pattern.patterns]
            return True if True in results else UNKNOWN if UNKNOWN in results else False
        if isinstance(pattern, ast.MatchAs) and pattern.pattern is None and pattern.name is None:
            return True  # ``case _:``
        return UNKNOWN

    # definitions inside the function ----------------------------------------------------
    def _FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
        self.ev.env.bind(node.name, frozenset())
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.ev.local_defs[node.name] = node  # walked where it is called (see .callbacks)
        else:
            self.ev.local_defs.pop(node.name, None)
        return False

    _AsyncFunctionDef = _FunctionDef
    _ClassDef = _FunctionDef

    def _Import(self, node: ast.stmt) -> bool:
        return False  # bound in the index with their scope; the resolver answers for them

    _ImportFrom = _Import

    # XSS: a view returning an HTML string ---------------------------------------------
    def _returned_html(self, node: ast.Return, value: ast.expr, val: Value) -> None:
        responses.returned(self.ev, node, val)
