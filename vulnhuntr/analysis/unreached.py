"""Modules with dangerous sinks that no entry point reaches, analysed on their own.

Code reached only dynamically (a plugin loaded by name, a handler picked from a
table the resolver cannot follow, a job fed by a queue the web app fills) is
invisible to a walk from the entry points, yet it is often where the harm is.
Such a module gets its own chain, its functions' parameters treated as possibly
attacker-controlled, ranked after every reached file.

What "reached" means, precisely: a module is **reached** when

* it holds a detected entry point (any, in ``--analyze`` scope or not), or
* the callee walk from the entry points enters one of its functions or methods:
  every call inside an entry point resolved through the project's resolver
  (a class call runs its ``__init__``), then every call inside what that
  reaches, to any depth.

Importing a module does not reach it, nor does a call at module level. A module
that is not reached **holds dangerous sinks** when, inside one of its functions
or methods, a call matches the static pass's sink tables
(:func:`vulnhuntr.static.sink_rules.rules_for`: by qualified name, or by method name
for the rules that need no receiver type) and the argument the rule names is
not a literal. Test code (``tests/``, ``test_*.py``, ``conftest.py``) never
counts: no request reaches it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..findings import VulnType
from ..repo.callgraph import callee_step, reached_files  # the walk; tests import them from here too
from ..repo.entrypoints import EntryPoint
from ..repo.frameworks.testcode import is_test_module
from ..repo.index import MODULE_SCOPE, ModuleIndex, RepoIndex, dotted
from ..repo.parse import ParseFailure
from ..repo.resolve import Resolver
from ..static.sink_rules import Arg, SinkRule, rules_for

_CHECKS_WITHOUT_VALUES = frozenset({"read_mode", "write_mode", "path_read_mode", "path_write_mode"})
"""Rule conditions that only choose between read and write: the call is a sink either way.

The other conditions (an HTML content type, an unsafe YAML loader, a tainted
receiver) need the static pass's evaluated values; without them the call is
left out rather than guessed.
"""


@dataclass(frozen=True)
class SinkSite:
    """One dangerous call in an unreached module."""

    line: int
    function: str  # qualname of the function or method holding the call
    vuln_type: VulnType
    call: str  # the call as the sink table knows it ("subprocess.run", "execute")


@dataclass(frozen=True)
class UnreachedModule:
    """A module no entry point reaches that holds dangerous sinks: one analysis of its own."""

    file: str
    sinks: tuple[SinkSite, ...]

    @property
    def functions(self) -> tuple[str, ...]:
        """The functions holding the sinks, in source order: the chain's pseudo entry points."""
        return tuple(dict.fromkeys(s.function for s in sorted(self.sinks, key=lambda s: s.line)))

    @property
    def types(self) -> tuple[VulnType, ...]:
        return tuple(t for t in VulnType if any(s.vuln_type == t for s in self.sinks))

    def entry_points(self, module: ModuleIndex) -> list[EntryPoint]:
        """The sink-holding functions as entry points of kind ``unreached`` (they are not routes)."""
        lines = {d.qualname: d.line for d in module.definitions}
        return [EntryPoint(self.file, name, lines.get(name, 1), UNREACHED_KIND) for name in self.functions]


UNREACHED_KIND = "unreached"
"""The ``framework`` of an unreached module's pseudo entry points (never a detected entry point)."""


@dataclass(frozen=True)
class UnreachedSelection:
    """The unreached sink modules that get a chain (ranked), and those the cap left out."""

    modules: tuple[UnreachedModule, ...] = ()
    left_out: tuple[str, ...] = ()
    cap: int = 0


def select_unreached(
    index: RepoIndex,
    resolver: Resolver,
    entry_points: Sequence[EntryPoint],
    *,
    cap: int,
    in_scope: Callable[[str], bool] = lambda _file: True,
    exclude: Iterable[str] = (),
) -> UnreachedSelection:
    """Unreached sink modules in scope, most sink sites first, at most *cap* of them.

    *exclude* names files analysed anyway (an ``--analyze`` file without entry points).
    """
    if cap <= 0:
        return UnreachedSelection(cap=cap)
    reached = reached_files(entry_points, callee_step(index, resolver)) | set(exclude)
    found = []
    for path in sorted(index.modules):
        module = index.modules[path]
        if path in reached or not in_scope(path) or is_test_module(module):
            continue
        sinks = sink_sites(module, resolver)
        if sinks:
            found.append(UnreachedModule(path, sinks))
    found.sort(key=lambda m: (-len(m.sinks), m.file))
    return UnreachedSelection(tuple(found[:cap]), tuple(m.file for m in found[cap:]), cap)


def sink_sites(module: ModuleIndex, resolver: Resolver) -> tuple[SinkSite, ...]:
    """The dangerous calls inside the module's functions whose dangerous argument is not a literal."""
    candidates = {
        c.line for c in module.calls if c.scope != MODULE_SCOPE and _rules(c.callee, module.path, c.line, resolver)
    }
    if not candidates:  # most modules: no syntax tree needed
        return ()
    try:
        body = module.tree.body
    except (ParseFailure, RecursionError, ValueError):  # indexed once, so rare: such a module is left out
        return ()
    sites: list[SinkSite] = []
    for scope, call in _calls_in_functions(body, ""):
        if call.lineno not in candidates:
            continue
        name = dotted(call.func)
        if name is None:
            continue
        for rule, label in _rules(name, module.path, call.lineno, resolver):
            if _dynamic(rule, call):
                sites.append(SinkSite(call.lineno, scope, rule.vuln, label))
                break
    return tuple(sites)


def _rules(name: str, file: str, line: int, resolver: Resolver) -> list[tuple[SinkRule, str]]:
    """Sink rules of a call as written, by the name the resolver qualifies it to, else by method name."""
    qualified = resolver.qualify(name, file, line)
    rules, by_name = rules_for(qualified, name.rsplit(".", 1)[-1] if "." in name else None)
    label = name.rsplit(".", 1)[-1] if by_name else (qualified or name)
    usable = [r for r in rules if r.check is None or r.check in _CHECKS_WITHOUT_VALUES]
    if by_name:  # method names alone say nothing about the receiver: only argument-carried sinks
        usable = [r for r in usable if r.check is None and "receiver" not in r.args]
    return [(rule, label) for rule in usable]


def _calls_in_functions(body: Sequence[ast.stmt], scope: str) -> Iterable[tuple[str, ast.Call]]:
    """(qualname of the innermost function, call) for every call inside a function or method."""
    stack: list[tuple[ast.AST, str, bool]] = [(statement, scope, False) for statement in reversed(body)]
    while stack:
        node, where, in_function = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner = f"{where}.{node.name}" if where else node.name
            function = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            stack.extend((child, inner, function) for child in reversed(node.body))
            continue
        if in_function and isinstance(node, ast.Call):
            yield where, node
        stack.extend((child, where, in_function) for child in reversed(list(ast.iter_child_nodes(node))))


def _dynamic(rule: SinkRule, call: ast.Call) -> bool:
    """Whether an argument the rule names is present and not a literal (a constant, or a list of them)."""
    return any(not _literal(node) for spec in rule.args for node in _arguments(spec, call))


def _arguments(spec: Arg, call: ast.Call) -> list[ast.expr]:
    if spec == "*":
        return [*call.args, *(k.value for k in call.keywords)]
    if spec == "**":
        return [k.value for k in call.keywords]
    if spec == "receiver":
        return [call.func.value] if isinstance(call.func, ast.Attribute) else []
    assert isinstance(spec, tuple)
    position, keyword = spec
    by_keyword = [k.value for k in call.keywords if keyword is not None and k.arg == keyword]
    if by_keyword:
        return by_keyword
    if position is not None and position < len(call.args) and not isinstance(call.args[position], ast.Starred):
        return [call.args[position]]
    return []


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(_literal(e) for e in node.elts)
    return False
