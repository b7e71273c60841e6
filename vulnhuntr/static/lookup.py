"""Resolver-backed questions the static pass asks, memoised for the run.

What a call site calls (a repository function with its ``self`` class, a
repository class, or outside code by qualified name), what type an annotation
or instance attribute names, whether a model has an owner field, the text of a
module constant. Only answers the resolver reaches by following imports and
members are used: its repo-wide name search may guess, and it scans every
definition, which a pass over thousands of call sites cannot afford.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import replace
from typing import Any, Callable, TypeVar

from ..repo.frameworks.syntax import FunctionNode
from ..repo.dispatch import Dispatch
from ..repo.index import MODULE_SCOPE, ModuleIndex, RepoIndex, annotation_type, dotted
from ..repo.records import Definition
from ..repo.resolve import Resolution, Resolver, Symbol, scope_at
from . import segments
from .callee import Callee, FunctionRef
from .env import External, ObjType, RepoClass, RequestObject
from .idor import owned_tables
from .listings import unscoped_listings
from .ownership import has_owner_field
from .sources import BOUNDED_FIELDS, FORM_BASES, declared_request, global_request

T = TypeVar("T")
_MISSING = object()  # not memoised yet (None is an answer)


class Lookup:
    """Names, types and callees for one repository index."""

    def __init__(self, index: RepoIndex, resolver: Resolver) -> None:
        self.index = index
        self.resolver = resolver
        self._nodes: dict[str, dict[str, ast.AST]] = {}  # a module's definitions, from its whole tree
        self._lines: dict[str, list[str]] = {}  # see _source_lines
        self._named: dict[str, dict[str, list[Definition]]] = {}  # see _definitions_named
        self._definition_nodes: dict[tuple[str, str], ast.AST | None] = {}
        self._memo: dict[tuple[Any, ...], Any] = {}

    # syntax -------------------------------------------------------------------------
    def function_node(self, file: str, qualname: str) -> ast.AST | None:
        """The ``def``/``class`` node of *qualname* in *file*, the same node every time it is asked for."""
        key = (file, qualname)
        found = self._definition_nodes.get(key, _MISSING)
        if found is _MISSING:
            found = self._definition_nodes[key] = self._find_node(file, qualname)
        return found  # type: ignore[return-value]  # an AST node or None, never _MISSING

    def _find_node(self, file: str, qualname: str) -> ast.AST | None:
        module = self.index.modules.get(file)
        if module is None:
            return None
        if file not in self._nodes and not segments.tree_held(module) and segments.segmentable(module):
            named = self._definitions_named(module, qualname)
            if not named:
                return None  # the index records every ``def`` and ``class``: there is none of that name
            if len(named) == 1:  # parsed from its own lines, cheaper than the whole module (see .segments)
                node = segments.parse_definition(module, self._source_lines(module), named[0])
                if node is not None:
                    return node
        if file not in self._nodes:  # a repeated name, or lines that do not parse back to it: the whole tree
            self._nodes[file] = _definitions(module.tree)
        return self._nodes[file].get(qualname)

    def _source_lines(self, module: ModuleIndex) -> list[str]:
        """The module's source split at ``\\n`` (the parser's line ends, unlike ``str.splitlines``)."""
        if module.path not in self._lines:
            self._lines[module.path] = module.source.split("\n")
        return self._lines[module.path]

    def _definitions_named(self, module: ModuleIndex, qualname: str) -> list[Definition]:
        """The index's ``def``/``class`` records of *qualname* in *module* (several when it is defined again)."""
        if module.path not in self._named:
            self._named[module.path] = segments.definitions_by_name(module)
        return self._named[module.path].get(qualname, [])

    def class_fields(self, file: str, qualname: str) -> ast.AST | None:
        """``function_node`` for rules that read only a class's header and its field statements.

        When the module's tree was dropped, the class is parsed without its methods' lines
        (most of a model or view class); its other statements are the same nodes.
        """
        return self._cached(("class-fields", file, qualname), lambda: self._class_fields(file, qualname))

    def _class_fields(self, file: str, qualname: str) -> ast.AST | None:
        module = self.index.modules.get(file)
        if module is None or (file, qualname) in self._definition_nodes or file in self._nodes:
            return self.function_node(file, qualname)  # parsed already: nothing to save
        if segments.tree_held(module) or not segments.segmentable(module):
            return self.function_node(file, qualname)
        named = self._definitions_named(module, qualname)
        if len(named) != 1 or named[0].kind != "class":
            return self.function_node(file, qualname)
        prefix = qualname + "."
        members = [
            d for d in module.definitions
            if d.kind != "variable" and d.qualname.startswith(prefix) and "." not in d.qualname[len(prefix) :]
        ]
        found = segments.parse_fields(module, self._source_lines(module), named[0], members)
        return found if found is not None else self.function_node(file, qualname)

    def function_def(self, file: str, qualname: str) -> FunctionNode | None:
        """The ``def`` of *qualname* in *file*; None for a class or when there is none."""
        node = self.function_node(file, qualname)
        return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None

    # names and types ----------------------------------------------------------------
    def qualify(self, name: str, file: str, line: int | None) -> str | None:
        module = self.index.modules.get(file)
        scope = scope_at(module, line) if module is not None and line is not None else MODULE_SCOPE
        found = self._memo.get(key := ("qualify", name, file, scope), _MISSING)  # asked most: no closure
        if found is _MISSING:
            found = self._memo[key] = self.resolver.qualify(name, file, line)
        return found

    def global_type(self, name: str, file: str, line: int) -> ObjType | None:
        """Module-level request proxies (``flask.request``) by what the name is imported from."""
        framework = global_request(self.qualify(name, file, line))
        return RequestObject(framework) if framework else None

    def class_ref(self, qualified: str | None) -> RepoClass | None:
        """The repository class a qualified name stands for."""
        if not qualified:
            return None

        def find() -> RepoClass | None:
            symbol = self._symbol(self._resolve(qualified))
            return RepoClass(symbol.file, symbol.qualname) if symbol is not None and symbol.kind == "class" else None

        return self._cached(("class", qualified), find)

    def attribute_type(self, owner: RepoClass, attribute: str) -> ObjType | None:
        """The type of ``instance.attribute`` from ``self.attribute = Cls(...)`` in the class."""

        def find() -> ObjType | None:
            qualified = self.resolver.instance_type(f"{owner.qualname}.{attribute}", owner.file)
            framework = declared_request(qualified)
            if framework is not None:  # ``self.request = request`` kept by a wrapper class
                return RequestObject(framework)
            return self.class_ref(qualified) or (External(qualified) if qualified else None)

        return self._cached(("attr", owner, attribute), find)

    def return_type(self, file: str, node: FunctionNode) -> ObjType | None:
        """The declared return class (``-> sqlite3.Connection``, ``-> Path``), when there is one."""
        return self.declared_type(node.returns, file, node.lineno) if node.returns is not None else None

    def declared_type(self, annotation: ast.expr, file: str, line: int) -> ObjType | None:
        """The class an annotation names, in the repository or outside (builtins are not useful).

        Memoised by the annotation's node: a function summarised for several callers has its
        parameters' annotations read again each time, and rendering one (``dict[str, Any]``) costs.
        """
        return self._cached(("declared", annotation, file, line), lambda: self._declared_type(annotation, file, line))

    def _declared_type(self, annotation: ast.expr, file: str, line: int) -> ObjType | None:
        qualified = self.qualify(annotation_type(annotation), file, line)
        if qualified is None or qualified.startswith(("builtins.", "typing.")):
            return None
        framework = declared_request(qualified)
        if framework is not None:
            return RequestObject(framework)
        return self.class_ref(qualified) or External(qualified)

    def bases(self, cls: RepoClass) -> tuple[str, ...]:
        """Qualified names of every base class of a repository class, transitively."""

        def find() -> tuple[str, ...]:
            module = self.index.modules.get(cls.file)
            definition = module.definitions_by_name.get(cls.qualname) if module is not None else None
            if module is None or definition is None:
                return ()
            return tuple(self.resolver.class_bases(module, definition))

        return self._cached(("bases", cls), find)

    def form_kind(self, cls: RepoClass) -> str | None:
        """The form library a repository class derives from (WTForms, Django forms, DRF, marshmallow)."""
        return next((FORM_BASES[b] for b in self.bases(cls) if b in FORM_BASES), None)

    def bounded_field(self, cls: RepoClass, name: str) -> bool:
        """Is field *name* of WTForms class *cls* a choice, number, flag or date field (its data no free text)?

        A choice field with ``validate_choice=False`` accepts any value, so it is not bounded.
        """

        def find() -> bool:
            node = self.class_fields(cls.file, cls.qualname)
            if not isinstance(node, ast.ClassDef):
                return False
            for statement in node.body:
                if not (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)):
                    continue
                if not any(isinstance(t, ast.Name) and t.id == name for t in statement.targets):
                    continue
                call = statement.value
                text = dotted(call.func)
                qualified = self.qualify(text, cls.file, call.lineno) if text is not None else None
                if qualified is None or not qualified.startswith("wtforms."):
                    return False
                free = any(k.arg == "validate_choice" and not _true(k.value) for k in call.keywords)
                return qualified.rsplit(".", 1)[-1] in BOUNDED_FIELDS and not free
            return False

        return self._cached(("bounded", cls, name), find)

    def declared_fields(self, cls: RepoClass) -> tuple[str, ...]:
        """Fields a class declares with annotations, in order (dataclasses, pydantic models, NamedTuples)."""

        def find() -> tuple[str, ...]:
            node = self.class_fields(cls.file, cls.qualname)
            if not isinstance(node, ast.ClassDef):
                return ()
            return tuple(
                s.target.id
                for s in node.body
                if isinstance(s, ast.AnnAssign)
                and isinstance(s.target, ast.Name)
                and "ClassVar" not in ast.unparse(s.annotation)
            )

        return self._cached(("fields", cls), find)

    def owned_model(self, expr: ast.expr, file: str) -> bool:
        """Is *expr* a repository model class with an owner/user field?"""
        name = dotted(expr)
        if name is None:
            return False

        def find() -> bool:
            symbol = self._symbol(self._resolve(name, file))
            node = self.class_fields(symbol.file, symbol.qualname) if symbol is not None else None
            return isinstance(node, ast.ClassDef) and has_owner_field(node)

        return self._cached(("owned", name, file), find)

    def public_model(self, expr: ast.expr, file: str, entries: frozenset[tuple[str, str]]) -> bool:
        """Is *expr* a repository model that an entry point (of *entries*) lists to anyone, unfiltered?

        See ``listings.unscoped_listings``; a listing in a script or a management command does not count.
        """
        name = dotted(expr)
        if name is None:
            return False

        def find() -> bool:
            symbol = self._symbol(self._resolve(name, file))
            if symbol is None:
                return False
            return symbol in self._cached(("listings",), lambda: self._listings(entries))

        return self._cached(("public", name, file), find)

    def _listings(self, entries: frozenset[tuple[str, str]]) -> frozenset[Symbol]:
        """The models some request handler lists unfiltered (one pass over the handlers' modules)."""
        handlers: dict[str, set[str]] = {}
        for path, qualname in entries:
            handlers.setdefault(path, set()).add(qualname.rsplit(".", 1)[-1])
        found: set[Symbol] = set()
        for path, names in handlers.items():
            module = self.index.modules.get(path)
            if module is None or (".objects" not in module.source and ".query" not in module.source):
                continue
            for model in {m for m, _ in unscoped_listings(module.tree, frozenset(names))}:
                symbol = self._symbol(self._resolve(model, path))
                if symbol is not None:
                    found.add(symbol)
        return frozenset(found)

    def owned_table(self, table: str) -> bool:
        """Does some ``CREATE TABLE`` in the repository give *table* an owner/user column?"""
        tables = self._cached(("owned-tables",), lambda: owned_tables(m.source for m in self.index.modules.values()))
        return table.lower() in tables

    def constant_text(self, name: str, file: str, line: int) -> str | None:
        """The value of a module-level string constant (``API_BASE = "https://api.example.com"``)."""

        def find() -> str | None:
            symbol = self._symbol(self._resolve(name, file, line))
            module = self.index.modules.get(symbol.file) if symbol is not None and symbol.kind == "variable" else None
            if module is None or symbol is None:
                return None
            for statement in module.tree.body:
                if getattr(statement, "lineno", None) == symbol.start_line and isinstance(
                    statement, (ast.Assign, ast.AnnAssign)
                ):
                    value = statement.value
                    return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
            return None

        return self._cached(("constant", name, file), find)

    # callees ------------------------------------------------------------------------
    def callee_by_name(self, name: str, file: str, line: int, scope: str, receiver: str | None = None) -> Callee:
        """The callee of a dotted name as written in *file* (``store.read``, ``subprocess.run``)."""
        found = self._memo.get(key := ("callee", name, file, scope), _MISSING)
        if found is _MISSING:
            found = self._memo[key] = self._callee(name, file, line, receiver)
        return found

    def _callee(self, name: str, file: str, line: int, receiver: str | None) -> Callee:
        resolution = self._resolve(name, file, line)
        method = name.rsplit(".", 1)[-1] if receiver is not None else None
        symbol = self._symbol(resolution)
        if symbol is not None:
            return self._repo_callee(symbol, file, line, receiver, method)
        namespace = receiver is not None and self._is_namespace(receiver, file, line)
        return Callee(qualified=resolution.external, method=method, namespace=namespace)

    def _repo_callee(self, symbol: Symbol, file: str, line: int, receiver: str | None, method: str | None) -> Callee:
        if symbol.kind == "class":
            return Callee(cls=RepoClass(symbol.file, symbol.qualname))
        if symbol.kind not in ("function", "method"):
            return Callee(method=method)
        if symbol.kind == "function":
            return Callee(function=FunctionRef(symbol.file, symbol.qualname, None, False))
        owner = RepoClass(symbol.file, symbol.qualname.rsplit(".", 1)[0])
        instance = self.class_ref(self.resolver.instance_type(receiver, file, line)) if receiver else None
        kind = self._method_kind(symbol)
        implicit = kind == "classmethod" or (instance is not None and kind == "method")
        return Callee(function=FunctionRef(symbol.file, symbol.qualname, instance or owner, implicit))

    def member_call(self, cls: RepoClass, rest: str, attribute: str) -> Callee:
        """``self<rest>.attribute(...)`` where ``self`` is an instance of *cls* at run time."""
        return self._cached(("member", cls, rest, attribute), lambda: self._member(cls, rest, attribute))

    def _member(self, cls: RepoClass, rest: str, attribute: str) -> Callee:
        resolution = self._resolve(f"{cls.qualname}{rest}.{attribute}", cls.file)
        symbol = self._symbol(resolution)
        if symbol is None:
            return Callee(qualified=resolution.external, method=attribute)
        if symbol.kind == "class":
            return Callee(cls=RepoClass(symbol.file, symbol.qualname))
        if symbol.kind != "method":
            return Callee(method=attribute)
        instance = cls if not rest else self.class_ref(self.resolver.instance_type(f"{cls.qualname}{rest}", cls.file))
        kind = self._method_kind(symbol)
        implicit = kind != "staticmethod" and (instance is not None or kind == "classmethod")
        owner = RepoClass(symbol.file, symbol.qualname.rsplit(".", 1)[0])
        return Callee(function=FunctionRef(symbol.file, symbol.qualname, instance or owner, implicit))

    def dispatch(
        self, node: ast.expr, file: str, line: int, receiver: tuple[str, str] | None
    ) -> Dispatch | None:
        """Every candidate of a lookup by key (``ACTIONS[name]``, ``getattr(self, "do_" + verb)``), memoised."""
        where = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
        return self._cached(("dispatch", file, where, receiver), lambda: self.resolver.dispatch(node, file, line, receiver))

    def fills_container(self, base: str | None) -> bool:
        """Is anything put into a container whose last name is that of *base* (``HANDLERS``, ``self.routes``)?

        The resolver finds no candidate for a lookup into any other container, so the pass
        asks it nothing for the many ``d[k]`` and ``d.get(k)`` of plain data.
        """
        names = self._cached(("filled",), lambda: frozenset(
            r.container.rsplit(".", 1)[-1] for m in self.index.modules.values() for r in m.registrations
        ))
        return (base or "").rsplit(".", 1)[-1] in names

    def super_call(self, file: str, defining: str, receiver: RepoClass, attribute: str) -> Callee:
        """``super().attribute(...)`` in a method of class *defining*: the first base that has it."""
        module = self.index.modules.get(file)
        definition = module.definitions_by_name.get(defining) if module is not None else None
        if definition is None:
            return Callee(method=attribute)
        for base in definition.bases:
            base_class = self.class_ref(self.qualify(base, file, definition.line))
            callee = self.member_call(base_class, "", attribute) if base_class is not None else Callee()
            if callee.function is not None:
                return replace(callee, function=replace(callee.function, receiver=receiver, implicit_first=True))
        return Callee(method=attribute)

    def _method_kind(self, symbol: Symbol) -> str:
        decorators = self._decorators(symbol.file, symbol.qualname)
        for kind in ("staticmethod", "classmethod"):
            if kind in decorators:
                return kind
        return "method"

    def _decorators(self, file: str, qualname: str) -> set[str | None]:
        """A definition's decorators as dotted names: from the index when it is defined once (no parse),
        whose texts are the dotted names where there are any (``Definition.decorators``)."""
        module = self.index.modules.get(file)
        named = self._definitions_named(module, qualname) if module is not None else []
        if len(named) == 1:
            return set(named[0].decorators)
        node = self.function_node(file, qualname)
        return {dotted(d) for d in getattr(node, "decorator_list", [])}

    def _is_namespace(self, receiver: str, file: str, line: int) -> bool:
        """``os.path``, ``yaml``, ``Path``, a repo module or class: not an object like ``g.db`` or ``Model.objects``."""
        symbol = self._symbol(self._resolve(receiver, file, line))
        if symbol is not None:
            return symbol.kind in ("module", "class")
        module = self.index.modules.get(file)
        root = receiver.split(".", 1)[0]
        record = next((r for r in module.imports if r.alias == root), None) if module is not None else None
        if record is None:
            return False
        if record.name is None:
            return True  # ``import os`` then ``os.path.join``: a chain of modules
        return receiver == root and root[:1].isupper()  # ``from pathlib import Path`` then ``Path.home()``

    def _resolve(self, name: str, file: str | None = None, line: int | None = None) -> Resolution:
        """The resolver's answer when imports and members lead to it; never its repo-wide name search.

        That search scans every definition of the repository and may guess; a call the
        chain of imports cannot explain is outside code (or a dynamic value) for this pass.
        """
        if file is not None:
            found = self.qualify(name, file, line) is not None
        else:
            parts = name.split(".")
            found = any(self.index.find_module(".".join(parts[:n])) for n in range(len(parts) - 1, 0, -1))
        return self.resolver.resolve(name, file, line) if found else Resolution(name)

    def _symbol(self, resolution: Any) -> Symbol | None:
        return resolution.symbol if resolution.symbol is not None and not resolution.approximate else None

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        found = self._memo.get(key, _MISSING)
        if found is _MISSING:
            found = self._memo[key] = compute()
        return found


_BLOCKS = ("body", "handlers", "orelse", "finalbody", "cases")  # the fields that hold statements
_DEFINITION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@functools.cache
def _blocks(node_type: type[ast.AST]) -> tuple[str, ...]:
    """The statement blocks of a node type, in the order ``ast`` lists its fields (none for a plain statement)."""
    return tuple(f for f in node_type._fields if f in _BLOCKS)


def _definitions(tree: ast.Module) -> dict[str, ast.AST]:
    """Every function and class of a module by qualified name ("Store.read", "create_app.index").

    Only statement blocks are walked (a ``def`` or ``class`` is a statement), which visits
    the blocks in the order a walk of every child would, so a repeated name keeps the same node;
    statements without blocks (most of them) are not stacked at all.
    """
    found: dict[str, ast.AST] = {}
    stack: list[tuple[str, ast.AST]] = [("", tree)]
    while stack:
        prefix, node = stack.pop()
        for block in _blocks(type(node)):  # type: ignore[arg-type]  # a class is hashable: mypy checks its instances' hash
            for child in getattr(node, block):
                if isinstance(child, _DEFINITION_NODES):
                    qualname = f"{prefix}{child.name}"
                    found.setdefault(qualname, child)
                    stack.append((qualname + ".", child))
                elif _blocks(type(child)):  # type: ignore[arg-type]  # a class is hashable: mypy checks its instances' hash
                    stack.append((prefix, child))
    return found


def _true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True
