"""Following a name through imports, module members, class members, bases and instances.

The part of the resolver that turns ``helpers.load`` or ``self.store.read`` into a target,
memoised per (name, file, scope); lookups by key (``keyed``) and the public API build on it.
"""

from __future__ import annotations

from dataclasses import replace

from .index import MODULE_SCOPE, Definition, ImportRecord, ModuleIndex, RepoIndex
from .symbols import (
    _BUILTINS,
    _MAX_DEPTH,
    Resolution,
    Symbol,
    _clean,
    _Def,
    _External,
    _has_star,
    _Instance,
    _Module,
    _module_symbol,
    _qualified,
    _scopes_outward,
    _symbol,
    _Target,
    enclosing_class,
    scope_at,
)


class NameResolver:
    """Resolves dotted names against one :class:`RepoIndex` by following the bindings, memoised."""

    def __init__(self, index: RepoIndex) -> None:
        self.index = index
        self._qualified: dict[tuple[str, str, str], str | None] = {}
        self._by_last_name: dict[str, list[_Def]] | None = None  # see _named
        self._searched: dict[str, Resolution] = {}
        self._targets: dict[tuple[str, str, str], _Target | None] = {}  # see _target
        self._symbols: dict[tuple[str, Definition], Symbol] = {}  # see _def_symbol

    def qualify(self, name: str, file: str, line: int | None = None) -> str | None:
        """The fully qualified name *name* stands for in *file* ("flask.Flask", "pkg.views.app"), memoised."""
        where = self._where(file, line)
        if where is None:
            return None
        key = (name, file, where[1])
        if key not in self._qualified:
            target = self._target(_clean(name), *where, line)
            self._qualified[key] = _qualified(target) if target is not None else None
        return self._qualified[key]

    def instance_type(self, name: str, file: str, line: int | None = None) -> str | None:
        """For a variable assigned from a call (``app = Flask(...)``), the qualified callee."""
        where = self._where(file, line)
        target = self._target(_clean(name), *where, line) if where is not None else None
        instance = self._as_instance(target, 0) if target is not None else None
        return _qualified(instance.cls) if instance is not None else None

    def _target(self, name: str, module: ModuleIndex, scope: str, line: int | None) -> _Target | None:
        """What the dotted *name* (already cleaned) stands for in *scope* of *module*, memoised.

        The scope fixes the answer: lines in one innermost scope have the same enclosing class
        (what ``self`` means). Asked by ``qualify`` and then ``resolve`` for the same call sites.
        """
        key = (name, module.path, scope)
        if key not in self._targets:
            self._targets[key] = self._chain(name.split("."), module, scope, line)
        return self._targets[key]

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
            target = self._target(name, module, scope, line)
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
        if name not in self._searched:  # depends on the name alone, unlike the (name, file, scope) memo
            self._searched[name] = self._search_once(name)
        return self._searched[name]

    def _search_once(self, name: str) -> Resolution:
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
            t
            for t in self._named(parts[-1])
            if t.definition.qualname == name or t.definition.qualname.endswith("." + name)
        ]
        if not matches:
            return Resolution(name)
        exact = [t for t in matches if t.definition.qualname == name]
        best = min(exact or matches, key=lambda t: (t.definition.kind == "variable", t.module.path, t.definition.line))
        return Resolution(name, symbol=_symbol(best), approximate=len(exact or matches) > 1 or not exact)

    def _named(self, last: str) -> list[_Def]:
        """Every definition whose qualified name's last part is *last*, in index order.

        A qualified name that equals *name* or ends with ``"." + name`` has *name*'s last part as
        its own, so :meth:`_search` filters this list instead of every definition of the repository.
        """
        if self._by_last_name is None:
            self._by_last_name = {}
            for m in self.index.modules.values():
                for d in m.definitions:
                    self._by_last_name.setdefault(d.qualname.rsplit(".", 1)[-1], []).append(_Def(m, d))
        return self._by_last_name.get(last, [])

    def _def_of(self, symbol: Symbol) -> _Def | None:
        module = self.index.modules.get(symbol.file)
        definition = module.definitions_by_name.get(symbol.qualname) if module is not None else None
        return _Def(module, definition) if module is not None and definition is not None else None

    def _answer(self, name: str, target: _Target) -> Resolution:
        if isinstance(target, _Def):
            return Resolution(name, symbol=self._def_symbol(target))
        if isinstance(target, _Module):
            return Resolution(name, symbol=_module_symbol(target.module))
        if isinstance(target, _Instance):
            return self._answer(name, target.cls)
        return Resolution(name, external=target.name)

    def _def_symbol(self, target: _Def) -> Symbol:
        """The symbol of a definition, made once: it carries the definition's source text."""
        key = (target.module.path, target.definition)
        if key not in self._symbols:
            self._symbols[key] = _symbol(target)
        return self._symbols[key]

    def _lookup(self, module: ModuleIndex, name: str, scope: str, depth: int) -> _Target | None:
        """What a bare *name* means inside *scope* of *module* (local, import, star, builtin)."""
        if depth > _MAX_DEPTH:
            return None
        for enclosing in _scopes_outward(scope):
            qualname = name if enclosing == MODULE_SCOPE else f"{enclosing}.{name}"
            definition = module.definitions_by_name.get(qualname)
            if definition is not None:
                return _Def(module, definition)
            record = module.imports_by_alias.get((enclosing, name))
            if record is not None:
                return self._import_target(record, depth + 1, module.module)
        for record in module.star_imports:
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
        record = module.imports_by_alias.get((MODULE_SCOPE, attribute))
        if record is not None:
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
