"""What a name resolves to: repository symbols, the resolver's answers and its internal targets.

Shared by the name-following resolver (``names``), the lookups by key (``keyed``) and the
public :class:`~vulnhuntr.repo.resolve.Resolver`; plus the scope helpers every caller uses.
"""

from __future__ import annotations

import ast
import builtins
import functools
from dataclasses import dataclass
from typing import Union

from .dispatch import Dispatch
from .index import MODULE_SCOPE, Definition, ModuleIndex

_BUILTINS = frozenset(dir(builtins))
_MAX_DEPTH = 24  # guards import cycles and pathological re-export chains


@dataclass(frozen=True)
class Symbol:
    """A definition inside the repository, with its source."""

    file: str
    module: str
    qualname: str
    kind: str
    start_line: int
    end_line: int
    source: str

    @property
    def qualified_name(self) -> str:
        return f"{self.module}.{self.qualname}" if self.module else self.qualname


@dataclass(frozen=True)
class Resolution:
    """The answer for one name: a repo definition, an outside module, or nothing."""

    name: str
    symbol: Symbol | None = None
    external: str | None = None  # fully qualified name outside the repo ("requests.get")
    approximate: bool = False  # found by a repo-wide name search rather than by following imports
    dispatch: Dispatch | None = None  # a lookup by key (``ACTIONS[name]``): every definition it can reach

    @property
    def found(self) -> bool:
        return self.symbol is not None

    @property
    def reason(self) -> str:
        if self.dispatch is not None:
            return self.dispatch.describe()
        if self.symbol is not None:
            return f"defined in {self.symbol.file}:{self.symbol.start_line}"
        if self.external is not None:
            return f"not in repo: {self.external.split('.', 1)[0]} ({self.external})"
        return "not found in the repository"


@dataclass(frozen=True)
class _Module:
    module: ModuleIndex


@dataclass(frozen=True)
class _Def:
    module: ModuleIndex
    definition: Definition


@dataclass(frozen=True)
class _Instance:
    cls: _Def | _External


@dataclass(frozen=True)
class _External:
    name: str


_Target = Union[_Module, _Def, _Instance, _External]



def scope_at(module: ModuleIndex, line: int) -> str:
    """Qualified name of the innermost function or class containing *line*."""
    memo = module.scope_memo  # asked for the same lines again and again by the static pass
    if line not in memo:
        memo[line] = _scope_at(module, line)
    return memo[line]


def _scope_at(module: ModuleIndex, line: int) -> str:
    best: Definition | None = None
    for definition in module.definitions:
        if definition.kind == "variable" or not definition.start_line <= line <= definition.end_line:
            continue
        if best is None or definition.start_line >= best.start_line:
            best = definition
    return best.qualname if best is not None else MODULE_SCOPE


def enclosing_class(module: ModuleIndex, line: int) -> Definition | None:
    """The innermost class containing *line* (what ``self`` means there)."""
    classes = [d for d in module.definitions if d.kind == "class" and d.start_line <= line <= d.end_line]
    return max(classes, key=lambda d: d.start_line) if classes else None


def _scopes_outward(scope: str) -> list[str]:
    if scope == MODULE_SCOPE:
        return [MODULE_SCOPE]
    parts = scope.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)] + [MODULE_SCOPE]


def _has_star(module: ModuleIndex) -> bool:
    return any(r.name == "*" for r in module.imports)


@functools.lru_cache(maxsize=8192)  # the static pass cleans the same few thousand names again and again
def _clean(name: str) -> str:
    """Accept what an LLM writes: ``store.read()``, ``module:func``, backticks, spaces."""
    name = name.strip().strip("`'\" ")
    name = name.split("(", 1)[0].replace(":", ".")
    return ".".join(p for p in name.split(".") if p) or name


def _symbol(target: _Def) -> Symbol:
    d = target.definition
    return Symbol(
        file=target.module.path,
        module=target.module.module,
        qualname=d.qualname,
        kind=d.kind,
        start_line=d.start_line,
        end_line=d.end_line,
        source=target.module.snippet(d.start_line, d.end_line),
    )


def _function_node(module: ModuleIndex, definition: Definition) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The ``def`` of *definition* in the module's tree (parsed again only when it came from the cache)."""
    for node in ast.walk(module.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno == definition.line:
            return node
    return None


def _short(target: _Target) -> str:
    if isinstance(target, _Def):
        return target.definition.name
    return _qualified(target).rsplit(".", 1)[-1]


def _module_symbol(module: ModuleIndex) -> Symbol:
    return Symbol(module.path, module.module, "", "module", 1, module.line_count, module.source)


def _qualified(target: _Target) -> str:
    if isinstance(target, _External):
        return target.name
    if isinstance(target, _Module):
        return target.module.module
    if isinstance(target, _Instance):
        return _qualified(target.cls)
    return f"{target.module.module}.{target.definition.qualname}" if target.module.module else target.definition.qualname
