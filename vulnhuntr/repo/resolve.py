"""From a name as written at a call site to the code that defines it.

The LLM asks for context by name (``helpers.load``, ``self.store.read``,
``DocumentStore.read_document``); the resolver answers from the index built
once per run, following imports (aliases, relative imports, ``__init__``
re-exports, star imports), class methods and base classes, and instance
attributes typed by their constructor. Like pyflakes' deferred pass, every name
is bound first (the index), then resolved on demand; each answer is memoised so
a symbol is resolved once per run and shared by every file and vulnerability type.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, replace
from typing import Union

from .index import MODULE_SCOPE, Definition, ImportRecord, ModuleIndex, RepoIndex

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

    @property
    def found(self) -> bool:
        return self.symbol is not None

    @property
    def reason(self) -> str:
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


class Resolver:
    """Resolves names against one :class:`RepoIndex`; cheap to query, memoised."""

    def __init__(self, index: RepoIndex) -> None:
        self.index = index
        self._memo: dict[tuple[str, str | None, str], Resolution] = {}
        self._qualified: dict[tuple[str, str, str], str | None] = {}

    # public API ------------------------------------------------------------
    def resolve(self, name: str, file: str | None = None, line: int | None = None) -> Resolution:
        """Find what *name* refers to, as seen from *file* at *line* (both optional)."""
        name = _clean(name)
        module = self.index.modules.get(file) if file else None
        scope = scope_at(module, line) if module is not None and line is not None else MODULE_SCOPE
        key = (name, file, scope)
        if key not in self._memo:
            self._memo[key] = self._resolve(name, module, scope, line)
        return self._memo[key]

    def qualify(self, name: str, file: str, line: int | None = None) -> str | None:
        """The fully qualified name *name* stands for in *file* ("flask.Flask", "pkg.views.app"), memoised."""
        where = self._where(file, line)
        if where is None:
            return None
        key = (name, file, where[1])
        if key not in self._qualified:
            target = self._chain(_clean(name).split("."), *where, line)
            self._qualified[key] = _qualified(target) if target is not None else None
        return self._qualified[key]

    def instance_type(self, name: str, file: str, line: int | None = None) -> str | None:
        """For a variable assigned from a call (``app = Flask(...)``), the qualified callee."""
        where = self._where(file, line)
        target = self._chain(_clean(name).split("."), *where, line) if where is not None else None
        instance = self._as_instance(target, 0) if target is not None else None
        return _qualified(instance.cls) if instance is not None else None

    def _where(self, file: str, line: int | None) -> tuple[ModuleIndex, str] | None:
        """The module of *file* and the scope at *line* (the module scope without a line)."""
        module = self.index.modules.get(file)
        if module is None:
            return None
        return module, scope_at(module, line) if line is not None else MODULE_SCOPE

    def class_bases(self, module: ModuleIndex, definition: Definition, depth: int = 0) -> list[str]:
        """Qualified names of every base class, transitively (repo and outside)."""
        found: list[str] = []
        for base in definition.bases:
            target = self._chain(base.split("."), module, MODULE_SCOPE, definition.line, depth + 1)
            if target is None:
                found.append(base)
                continue
            found.append(_qualified(target))
            if isinstance(target, _Def) and target.definition.kind == "class" and depth < _MAX_DEPTH:
                found.extend(self.class_bases(target.module, target.definition, depth + 1))
        return found

    # resolution ----------------------------------------------------------------
    def _resolve(self, name: str, module: ModuleIndex | None, scope: str, line: int | None) -> Resolution:
        parts = name.split(".")
        if module is not None:
            target = self._chain(parts, module, scope, line)
            if target is not None:
                return self._answer(name, target)
        target = self._from_module_path(parts, module.module if module is not None else None)
        if target is not None:
            return self._answer(name, target)
        return self._search(name)

    def _chain(
        self, parts: list[str], module: ModuleIndex, scope: str, line: int | None, depth: int = 0
    ) -> _Target | None:
        if parts[0] in ("self", "cls") and line is not None:
            owner = enclosing_class(module, line)
            target: _Target | None = _Instance(_Def(module, owner)) if owner else None
        else:
            target = self._lookup(module, parts[0], scope, depth)
        for attribute in parts[1:]:
            if target is None:
                return None
            target = self._member(target, attribute, depth + 1)
        return target

    def _from_module_path(self, parts: list[str], near: str | None = None) -> _Target | None:
        """``pkg.helpers.load`` or ``helpers.load`` named without an import: find the module by name."""
        for split in range(len(parts) - 1, 0, -1):
            module = self.index.find_module(".".join(parts[:split]), near)
            if module is None:
                continue
            target: _Target | None = _Module(module)
            for attribute in parts[split:]:
                target = self._member(target, attribute, 1) if target is not None else None
            if target is not None:
                return target
        return None

    def _search(self, name: str) -> Resolution:
        """Last resort: a definition whose qualified name ends with *name* (``Store.read``)."""
        parts = name.split(".")
        if len(parts) > 1:  # ``Store.read`` where ``read`` is inherited: find the class, then the member
            head = self._search(parts[0])
            owner = self._def_of(head.symbol) if head.symbol is not None else None
            target: _Target | None = owner
            for attribute in parts[1:]:
                target = self._member(target, attribute, 1) if target is not None else None
            if isinstance(target, (_Def, _Module, _Instance)):
                return replace(self._answer(name, target), approximate=head.approximate)
        matches = [
            _Def(m, d)
            for m in self.index.modules.values()
            for d in m.definitions
            if d.qualname == name or d.qualname.endswith("." + name)
        ]
        if not matches:
            return Resolution(name)
        exact = [t for t in matches if t.definition.qualname == name]
        best = min(exact or matches, key=lambda t: (t.definition.kind == "variable", t.module.path, t.definition.line))
        return Resolution(name, symbol=_symbol(best), approximate=len(exact or matches) > 1 or not exact)

    def _def_of(self, symbol: Symbol) -> _Def | None:
        module = self.index.modules.get(symbol.file)
        definition = module.definitions_by_name.get(symbol.qualname) if module is not None else None
        return _Def(module, definition) if module is not None and definition is not None else None

    def _answer(self, name: str, target: _Target) -> Resolution:
        if isinstance(target, _Def):
            return Resolution(name, symbol=_symbol(target))
        if isinstance(target, _Module):
            return Resolution(name, symbol=_module_symbol(target.module))
        if isinstance(target, _Instance):
            return self._answer(name, target.cls)
        return Resolution(name, external=target.name)

    def _lookup(self, module: ModuleIndex, name: str, scope: str, depth: int) -> _Target | None:
        """What a bare *name* means inside *scope* of *module* (local, import, star, builtin)."""
        if depth > _MAX_DEPTH:
            return None
        for enclosing in _scopes_outward(scope):
            qualname = name if enclosing == MODULE_SCOPE else f"{enclosing}.{name}"
            definition = module.definitions_by_name.get(qualname)
            if definition is not None:
                return _Def(module, definition)
            for record in module.imports:
                if record.scope == enclosing and record.alias == name and record.name != "*":
                    return self._import_target(record, depth + 1, module.module)
        for record in module.imports:
            if record.name == "*" and record.scope == MODULE_SCOPE:
                source = self.index.find_module(record.module, module.module)
                found = self._lookup(source, name, MODULE_SCOPE, depth + 1) if source is not None else None
                if found is not None:
                    return found
        if name in _BUILTINS:
            return _External(f"builtins.{name}")
        return None

    def _import_target(self, record: ImportRecord, depth: int, importer: str | None = None) -> _Target:
        if record.name is None:
            module = self.index.find_module(record.target, importer)
            return _Module(module) if module is not None else _External(record.target)
        submodule = self.index.find_module(f"{record.module}.{record.name}" if record.module else record.name, importer)
        source = self.index.find_module(record.module, importer)
        if source is not None:
            member = self._member(_Module(source), record.name, depth)
            if member is not None:
                return member
        if submodule is not None:
            return _Module(submodule)
        return _External(record.target)

    def _member(self, target: _Target, attribute: str, depth: int) -> _Target | None:
        """``target.attribute``: a module member, a class member (bases too) or an instance attribute."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(target, _External):
            submodule = self.index.by_module.get(f"{target.name}.{attribute}")  # a namespace package's module
            return _Module(submodule) if submodule is not None else _External(f"{target.name}.{attribute}")
        if isinstance(target, _Module):
            return self._module_member(target.module, attribute, depth)
        if isinstance(target, _Def) and target.definition.kind == "class":
            return self._class_member(target, attribute, depth)
        instance = self._as_instance(target, depth)
        return self._member(instance.cls, attribute, depth + 1) if instance is not None else None

    def _module_member(self, module: ModuleIndex, attribute: str, depth: int) -> _Target | None:
        definition = module.definitions_by_name.get(attribute)
        if definition is not None:
            return _Def(module, definition)
        submodule = self.index.by_module.get(f"{module.module}.{attribute}" if module.module else attribute)
        for record in module.imports:
            if record.scope == MODULE_SCOPE and record.alias == attribute and record.name != "*":
                return self._import_target(record, depth + 1, module.module)
        if submodule is not None:
            return _Module(submodule)
        return self._lookup(module, attribute, MODULE_SCOPE, depth + 1) if _has_star(module) else None

    def _class_member(self, cls: _Def, attribute: str, depth: int) -> _Target | None:
        qualname = f"{cls.definition.qualname}.{attribute}"
        definition = cls.module.definitions_by_name.get(qualname)
        if definition is not None:
            return _Def(cls.module, definition)
        for assignment in cls.module.attributes:
            if assignment.class_name == cls.definition.qualname and assignment.attribute == attribute:
                typed = self._chain(assignment.value.split("."), cls.module, MODULE_SCOPE, None, depth + 1)
                if typed is not None and not (isinstance(typed, _External) and typed.name.startswith("builtins.")):
                    return _Instance(typed) if isinstance(typed, (_Def, _External)) else typed
        for base in cls.definition.bases:
            base_target = self._chain(base.split("."), cls.module, MODULE_SCOPE, None, depth + 1)
            if base_target is None:
                continue
            found = self._member(base_target, attribute, depth + 1)
            if found is not None and not isinstance(found, _External):
                return found
        return None

    def _as_instance(self, target: _Target, depth: int) -> _Instance | None:
        """A variable assigned from ``Cls(...)`` behaves as an instance of ``Cls``."""
        if isinstance(target, _Instance):
            return target
        if isinstance(target, _Def) and target.definition.kind == "variable" and target.definition.value:
            callee = self._chain(target.definition.value.split("."), target.module, MODULE_SCOPE, None, depth + 1)
            if isinstance(callee, (_Def, _External)):
                return _Instance(callee)
        return None


def scope_at(module: ModuleIndex, line: int) -> str:
    """Qualified name of the innermost function or class containing *line*."""
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
