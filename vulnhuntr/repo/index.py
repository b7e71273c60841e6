"""One parse per file: what a module defines, imports and calls.

Everything later (entry points, the resolver, context building) reads this
index instead of re-reading files. A :class:`ModuleIndex` is plain data keyed by
the SHA-256 of the file's bytes, so the cache can store it and skip the parse
when the file has not changed.
"""

from __future__ import annotations

import ast
import hashlib
import io
import operator
import tokenize
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Protocol

from ..heap import settle
from .parse import ParseFailure, parse_source
from .skipped import SkippedFile

MODULE_SCOPE = "<module>"
INDEX_VERSION = 4  # bump when what index_file records changes: cached entries of older versions stop matching
DefinitionKind = Literal["function", "class", "method", "variable"]


@dataclass(frozen=True)
class Definition:
    """A named thing a module defines, with its span (decorators included in ``start_line``)."""

    qualname: str  # "load", "NoteStore", "NoteStore.read", "create_app.index" for nested defs
    kind: DefinitionKind
    line: int  # the ``def``/``class`` line, or the assignment line
    start_line: int
    end_line: int
    bases: tuple[str, ...] = ()  # classes: base expressions as written ("views.View")
    decorators: tuple[str, ...] = ()  # as written, without "@"
    value: str | None = None  # variables: the callee when assigned from a call ("Flask"), else None
    is_async: bool = False

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class ImportRecord:
    """One name bound by an import statement."""

    module: str  # absolute dotted module; relative imports already resolved ("pkg.helpers")
    name: str | None  # ``from m import name``: name ("*" for a star import); ``import m``: None
    alias: str  # the local name bound ("helpers", "load", "np"; ``import a.b`` binds "a")
    line: int
    scope: str = MODULE_SCOPE  # qualname of the function that imports, or "<module>"
    level: int = 0  # leading dots of a relative import, kept for display

    @property
    def target(self) -> str:
        """Fully qualified name the alias stands for ("flask.Flask", "os.path")."""
        if self.name is None:
            return self.alias if self.alias == self.module.split(".", 1)[0] else self.module
        return f"{self.module}.{self.name}" if self.module else self.name


@dataclass(frozen=True)
class CallSite:
    """A call as written in the source ("helpers.load", "self.store.read", "get_db().execute")."""

    callee: str
    line: int
    scope: str  # qualname of the enclosing function or class, or "<module>"


@dataclass(frozen=True)
class AttributeAssignment:
    """``self.<attribute> = <value>`` inside a class: how the resolver types instance attributes."""

    class_name: str
    attribute: str
    value: str  # constructor callee ("NoteStore") or parameter annotation ("storage.NoteStore")
    line: int


@dataclass(frozen=True)
class Registration:
    """A name put into a container, so a lookup in the container can reach it.

    ``ACTIONS = {"run": run}``, ``HANDLERS.append(fn)``, ``REGISTRY["x"] = Cls``: the
    resolver turns ``ACTIONS[name](...)`` into every definition registered this way.
    """

    container: str  # as written ("ACTIONS", "self.handlers", "registry.HANDLERS")
    value: str  # what is stored, as written ("run", "views.Upload", "fn"; "Upload()" for an object built there)
    line: int
    scope: str  # qualname of the enclosing function or class, or "<module>"
    key: str | None = None  # a constant key, when the code gives one


@dataclass
class ModuleIndex:
    """What one Python file defines, imports and calls. Plain data, cacheable by ``sha256``."""

    path: str  # relative POSIX path from the scan root
    module: str  # dotted module name derived from the path ("pkg.helpers", "pkg" for pkg/__init__.py)
    sha256: str
    line_count: int
    parser: str  # "ast" or "tree-sitter"
    definitions: tuple[Definition, ...] = ()
    imports: tuple[ImportRecord, ...] = ()
    calls: tuple[CallSite, ...] = ()
    attributes: tuple[AttributeAssignment, ...] = ()
    registrations: tuple[Registration, ...] = ()
    lookups: tuple[CallSite, ...] = ()  # ``fn = TABLE[name]``, ``getattr(obj, name)``: dynamic lookups bound to a name
    source: str = field(default="", repr=False, compare=False)

    @property
    def is_package(self) -> bool:
        return self.path.endswith("__init__.py")

    @cached_property
    def tree(self) -> ast.Module:
        """The syntax tree, parsed again on demand (it is not stored in the cache)."""
        return parse_source(self.source, self.path).tree

    @cached_property
    def lines(self) -> list[str]:
        return self.source.splitlines()

    @cached_property
    def definitions_by_name(self) -> dict[str, Definition]:
        return {d.qualname: d for d in self.definitions}

    @cached_property
    def imports_by_alias(self) -> dict[tuple[str, str], ImportRecord]:
        """The first non-star import binding each (scope, alias): what a name lookup finds first."""
        found: dict[tuple[str, str], ImportRecord] = {}
        for record in self.imports:
            if record.name != "*":
                found.setdefault((record.scope, record.alias), record)
        return found

    @cached_property
    def star_imports(self) -> tuple[ImportRecord, ...]:
        """Module-level ``from m import *``, in source order."""
        return tuple(r for r in self.imports if r.name == "*" and r.scope == MODULE_SCOPE)

    @cached_property
    def scope_memo(self) -> dict[int, str]:
        """Line → innermost enclosing scope, filled by :func:`vulnhuntr.repo.resolve.scope_at`."""
        return {}

    def snippet(self, start_line: int, end_line: int) -> str:
        return "\n".join(self.lines[start_line - 1 : end_line])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict for the cache (source excluded: it is re-read from disk).

        Records are rows of their fields' values in field order, not dicts: a warm run
        decodes and rebuilds a hundred thousand of them, and rows are half the work.
        """
        data: dict[str, Any] = {name: getattr(self, name) for name in _SCALARS}
        for name, record in _RECORDS.items():
            row = _ROW[record]
            data[name] = [row(r) for r in getattr(self, name)]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> ModuleIndex:
        return cls(
            **{name: data[name] for name in _SCALARS},
            definitions=tuple(_definition(*row) for row in data["definitions"]),
            imports=tuple(ImportRecord(*row) for row in data["imports"]),
            calls=tuple(CallSite(*row) for row in data["calls"]),
            attributes=tuple(AttributeAssignment(*row) for row in data["attributes"]),
            registrations=tuple(Registration(*row) for row in data["registrations"]),
            lookups=tuple(CallSite(*row) for row in data["lookups"]),
            source=source,
        )


_SCALARS = ("path", "module", "sha256", "line_count", "parser")
_RECORDS: dict[str, type] = {
    "definitions": Definition,
    "imports": ImportRecord,
    "calls": CallSite,
    "attributes": AttributeAssignment,
    "registrations": Registration,
    "lookups": CallSite,
}
_ROW: dict[type, Callable[[Any], tuple[Any, ...]]] = {
    record: operator.attrgetter(*(f.name for f in fields(record))) for record in set(_RECORDS.values())
}
"""Record class → its fields' values as a tuple, in field order (the cached row)."""


def _definition(
    qualname: str, kind: DefinitionKind, line: int, start_line: int, end_line: int,
    bases: list[str], decorators: list[str], value: str | None, is_async: bool,
) -> Definition:
    return Definition(qualname, kind, line, start_line, end_line, tuple(bases), tuple(decorators), value, is_async)


def module_name(relpath: str) -> str:
    """``pkg/helpers.py`` → ``pkg.helpers``; ``pkg/__init__.py`` → ``pkg``."""
    parts = relpath[: -len(".py")].split("/") if relpath.endswith(".py") else relpath.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def read_source(path: Path, max_bytes: int) -> tuple[bytes, str] | str:
    """The file's bytes and text, or the reason it cannot be used."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return f"file too large: {size:,} bytes (limit {max_bytes:,}; raise max_file_bytes to include it)"
        data = path.read_bytes()
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    text, reason = _decode(data)
    return (data, text) if reason is None else reason


def _decode(data: bytes) -> tuple[str, str | None]:
    """The text of a Python file as Python reads it (a BOM or a PEP 263 coding line, else UTF-8), or why not."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" not in str(exc):  # unknown encoding, BOM against coding line
            return "", f"bad coding declaration: {exc}"
        encoding = "utf-8"  # no declaration and not UTF-8: say where it breaks
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding.startswith("utf-8") else encoding
        return "", f"not {name}: invalid byte 0x{data[exc.start]:02x} at offset {exc.start}"


class IndexCache(Protocol):
    """Where indexes of unchanged files are kept between runs (the store), keyed by content."""

    def get(self, sha256: str, relpath: str) -> dict[str, Any] | None: ...

    def put(self, sha256: str, relpath: str, data: dict[str, Any]) -> None: ...

    def flush(self) -> None:
        """Write what :meth:`put` kept (``build_index`` calls it once, after the last file)."""


def index_file(
    root: Path, relpath: str, max_bytes: int = 2_000_000, cache: IndexCache | None = None
) -> ModuleIndex | SkippedFile:
    """Parse one file once and record its definitions, imports and calls (or take them from *cache*)."""
    loaded = read_source(root / relpath, max_bytes)
    if isinstance(loaded, str):
        return SkippedFile(relpath, loaded)
    data, text = loaded
    sha256 = hashlib.sha256(data).hexdigest()
    cached = cache.get(sha256, relpath) if cache is not None else None
    if cached is not None:
        try:
            return ModuleIndex.from_dict(cached, text)  # the tree is parsed again only if someone asks for it
        except (TypeError, KeyError, ValueError):  # a damaged entry is a miss: index the file again
            pass
    result = _index_text(relpath, sha256, text)
    if cache is not None and isinstance(result, ModuleIndex):
        cache.put(sha256, relpath, result.to_dict())
    return result


def _index_text(relpath: str, sha256: str, text: str) -> ModuleIndex | SkippedFile:
    try:
        parsed = parse_source(text, relpath)
    except ParseFailure as exc:
        return SkippedFile(relpath, str(exc))
    except (RecursionError, MemoryError) as exc:
        return SkippedFile(relpath, f"too deeply nested to parse: {type(exc).__name__}")
    module = module_name(relpath)
    collector = _Collector(module, is_package=relpath.endswith("__init__.py"))
    try:
        collector.visit(parsed.tree)
    except RecursionError:
        return SkippedFile(relpath, "too deeply nested to index")
    index = ModuleIndex(
        path=relpath,
        module=module,
        sha256=sha256,
        line_count=text.count("\n") + (0 if text.endswith("\n") or not text else 1),
        parser=parsed.parser,
        definitions=tuple(collector.definitions),
        imports=tuple(collector.imports),
        calls=tuple(collector.calls),
        attributes=tuple(collector.attributes),
        registrations=tuple(collector.registrations),
        lookups=tuple(collector.lookups),
        source=text,
    )
    index.__dict__["tree"] = parsed.tree  # already parsed: prime the cached property
    return index


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def expression_text(node: ast.AST, limit: int = 200) -> str:
    """A short, readable rendering of an expression (dotted when possible)."""
    name = dotted(node)
    if name is not None:
        return name
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001 - unparse of odd trees must never stop indexing
        text = type(node).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module of ``from .{level dots}{target} import ...`` inside *module*."""
    if level == 0:
        return target or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        package = package[: len(package) - (level - 1)] if level - 1 <= len(package) else []
    base = ".".join(p for p in package if p)
    if target:
        return f"{base}.{target}" if base else target
    return base


_LEAVES = (ast.Constant, ast.Name, ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop, ast.alias)
"""Nodes holding nothing the collector records: not walked into."""


class _Collector(ast.NodeVisitor):
    """Walks a module once, tracking the enclosing scope by qualified name.

    ``visit`` and ``generic_visit`` are the stdlib's, made cheaper: the method for each
    node class is looked up once, and leaves (names, constants, operators) are not entered.
    """

    _methods: dict[type, Callable[[_Collector, ast.AST], None]] = {}

    def visit(self, node: ast.AST) -> None:
        kind = type(node)
        method = self._methods.get(kind)
        if method is None:
            method = getattr(type(self), "visit_" + kind.__name__, _Collector.generic_visit)
            self._methods[kind] = method
        method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST) and not isinstance(item, _LEAVES):
                        self.visit(item)
            elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
                self.visit(value)

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.scope: list[tuple[str, str]] = []  # (name, "class"|"function")
        self.definitions: list[Definition] = []
        self.imports: list[ImportRecord] = []
        self.calls: list[CallSite] = []
        self.attributes: list[AttributeAssignment] = []
        self.registrations: list[Registration] = []
        self.lookups: list[CallSite] = []
        self._annotations: list[dict[str, str]] = []  # per function: parameter -> annotation

    # scope helpers -------------------------------------------------------
    def _qualname(self, name: str) -> str:
        return ".".join([s for s, _ in self.scope] + [name])

    def _current(self) -> str:
        return ".".join(s for s, _ in self.scope) or MODULE_SCOPE

    def _enclosing_class(self) -> str | None:
        """The class whose method we are directly in (for ``self.x = ...``)."""
        if len(self.scope) >= 2 and self.scope[-1][1] == "function" and self.scope[-2][1] == "class":
            return ".".join(s for s, _ in self.scope[:-1])
        return None

    # definitions ---------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        in_class = bool(self.scope) and self.scope[-1][1] == "class"
        self.definitions.append(
            Definition(
                qualname=self._qualname(node.name),
                kind="method" if in_class else "function",
                line=node.lineno,
                start_line=min([node.lineno] + [d.lineno for d in node.decorator_list]),
                end_line=node.end_lineno or node.lineno,
                decorators=tuple(expression_text(d) for d in node.decorator_list),
                is_async=isinstance(node, ast.AsyncFunctionDef),
            )
        )
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._visit_arguments_defaults(node.args)
        self.scope.append((node.name, "function"))
        self._annotations.append(_parameter_annotations(node.args))
        for statement in node.body:
            self.visit(statement)
        self._annotations.pop()
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def _visit_arguments_defaults(self, args: ast.arguments) -> None:
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(default)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.definitions.append(
            Definition(
                qualname=self._qualname(node.name),
                kind="class",
                line=node.lineno,
                start_line=min([node.lineno] + [d.lineno for d in node.decorator_list]),
                end_line=node.end_lineno or node.lineno,
                bases=tuple(expression_text(b) for b in node.bases),
                decorators=tuple(expression_text(d) for d in node.decorator_list),
            )
        )
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self.scope.append((node.name, "class"))
        for statement in node.body:
            self.visit(statement)
        self.scope.pop()

    def visit_Assign(self, node: ast.Assign) -> None:
        self._record_assignment(node.targets, node.value, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._record_assignment([node.target], node.value, node)
        elif isinstance(node.target, ast.Attribute):
            self._record_self_attribute(node.target, annotation_type(node.annotation), node.lineno)
        self.generic_visit(node)

    def _record_assignment(self, targets: Iterable[ast.expr], value: ast.expr, node: ast.stmt) -> None:
        self._record_registrations(targets, value, node.lineno)
        at_definition_level = not self.scope or self.scope[-1][1] == "class"
        callee = expression_text(value.func) if isinstance(value, ast.Call) else None
        for target in targets:
            for name_node in _assigned_names(target):
                if at_definition_level:
                    self.definitions.append(
                        Definition(
                            qualname=self._qualname(name_node.id),
                            kind="variable",
                            line=node.lineno,
                            start_line=node.lineno,
                            end_line=node.end_lineno or node.lineno,
                            value=callee,
                        )
                    )
            if isinstance(target, ast.Attribute):
                type_text = callee or self._annotation_of(value)
                if type_text:
                    self._record_self_attribute(target, type_text, node.lineno)

    def _record_registrations(self, targets: Iterable[ast.expr], value: ast.expr, line: int) -> None:
        """Containers filled with names (``T = {"a": f}``, ``T["a"] = f``) and dynamic lookups bound to a name."""
        for target in targets:
            if isinstance(target, ast.Subscript):
                container = dotted(target.value)
                if container is not None:
                    self._register(container, value, line, _constant_key(target.slice))
                continue
            container = dotted(target)
            if container is None:
                continue
            for key, element in _container_elements(value):
                self._register(container, element, line, key)
            if _is_lookup(value):
                self.lookups.append(CallSite(expression_text(value), line, self._current()))

    def _register(self, container: str, value: ast.expr | str, line: int, key: str | None) -> None:
        stored = value if isinstance(value, str) else dotted(value)
        if isinstance(value, ast.Call) and dotted(value.func) is not None:
            stored = f"{dotted(value.func)}()"  # an object built in place: ``{"/a": UploadHandler()}``
        if stored is not None:
            self.registrations.append(Registration(container, stored, line, self._current(), key))

    def _annotation_of(self, value: ast.expr) -> str | None:
        if isinstance(value, ast.Name) and self._annotations:
            return self._annotations[-1].get(value.id)
        return None

    def _record_self_attribute(self, target: ast.Attribute, value: str, line: int) -> None:
        owner = self._enclosing_class()
        if owner and isinstance(target.value, ast.Name) and target.value.id in ("self", "cls"):
            self.attributes.append(AttributeAssignment(owner, target.attr, value, line))

    # imports and calls ---------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".", 1)[0]
            self.imports.append(ImportRecord(alias.name, None, bound, node.lineno, self._current()))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = resolve_relative(self.module, self.is_package, node.level, node.module)
        for alias in node.names:
            self.imports.append(
                ImportRecord(module, alias.name, alias.asname or alias.name, node.lineno, self._current(), node.level)
            )

    def visit_Call(self, node: ast.Call) -> None:
        self.calls.append(CallSite(expression_text(node.func), node.lineno, self._current()))
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _FILLERS:
            container = dotted(func.value)
            if container is not None:
                for key, element in _filled(func.attr, node):
                    self._register(container, element, node.lineno, key)
        self.generic_visit(node)


_FILLERS = frozenset({"append", "add", "insert", "setdefault", "update", "extend", "register"})


def _constant_key(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _container_elements(value: ast.expr) -> list[tuple[str | None, ast.expr]]:
    """(key, element) of a dict, list, tuple or set literal, or of ``dict(a=f)``."""
    if isinstance(value, ast.Dict):
        return [(_constant_key(k) if k is not None else None, v) for k, v in zip(value.keys, value.values)]
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return [(None, e) for e in value.elts]
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict":
        return [(k.arg, k.value) for k in value.keywords if k.arg] + [
            pair for arg in value.args for pair in _container_elements(arg)
        ]
    return []


def _filled(method: str, node: ast.Call) -> list[tuple[str | None, ast.expr]]:
    """What ``container.<method>(...)`` puts into the container."""
    args = node.args
    if method in ("add", "register") and len(args) > 1:  # ``commands.add("ls", list_files)``
        return [(_constant_key(args[0]), args[1])]
    if method in ("append", "add") and args:
        return [(None, args[0])]
    if method == "insert" and len(args) > 1:
        return [(None, args[1])]
    if method == "setdefault" and len(args) > 1:
        return [(_constant_key(args[0]), args[1])]
    if method in ("update", "extend"):
        found = [pair for arg in args for pair in _container_elements(arg)]
        return found + [(k.arg, k.value) for k in node.keywords if k.arg]
    return []


def _is_lookup(value: ast.expr) -> bool:
    """``TABLE[name]``, ``TABLE.get(name)``, ``getattr(obj, name)``, ``import_module(name)``: a callable picked by a key."""
    if isinstance(value, ast.Subscript):
        return dotted(value.value) is not None or isinstance(value.value, ast.Call)
    if not isinstance(value, ast.Call):
        return False
    name = dotted(value.func)
    if name in ("getattr", "importlib.import_module", "import_module", "__import__"):
        return bool(value.args)
    return isinstance(value.func, ast.Attribute) and value.func.attr == "get" and bool(value.args)


def _assigned_names(target: ast.expr) -> list[ast.Name]:
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for element in target.elts for n in _assigned_names(element)]
    return []


def _parameter_annotations(args: ast.arguments) -> dict[str, str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    return {a.arg: annotation_type(a.annotation) for a in every if a.annotation is not None}


def annotation_type(annotation: ast.expr) -> str:
    """The class an annotation names: ``"Db"``, ``Optional[Db]`` and ``Db | None`` all give ``Db``."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except (SyntaxError, ValueError):  # ValueError: a NUL byte, on Python 3.10
            return annotation.value
    if isinstance(annotation, ast.Subscript) and dotted(annotation.value) in ("Optional", "typing.Optional"):
        return annotation_type(annotation.slice)
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        for side in (annotation.left, annotation.right):
            if not (isinstance(side, ast.Constant) and side.value is None):
                return annotation_type(side)
    return expression_text(annotation)


@dataclass
class RepoIndex:
    """Every indexed module of a scan, by path and by dotted module name."""

    root: Path
    modules: dict[str, ModuleIndex]  # by relative path
    skipped: list[SkippedFile] = field(default_factory=list)
    _nearest: dict[tuple[str, str], ModuleIndex] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def by_module(self) -> dict[str, ModuleIndex]:
        return {m.module: m for m in self.modules.values()}

    @cached_property
    def _by_suffix(self) -> dict[str, list[ModuleIndex]]:
        """Every dotted suffix of every module name → its modules, best first (fewest parts, then path)."""
        table: dict[str, list[ModuleIndex]] = {}
        for module in sorted(self.modules.values(), key=lambda m: (m.module.count("."), m.path)):
            parts = module.module.split(".")
            for start in range(1, len(parts)):
                table.setdefault(".".join(parts[start:]), []).append(module)
        return table

    def find_module(self, dotted_name: str, near: str | None = None) -> ModuleIndex | None:
        """The repo module for an import, also when the repo root is above the import root.

        ``from app.storage import x`` must find ``src/app/storage.py``: an exact match wins,
        then a module whose name ends in ``.app.storage`` — the one sharing the longest
        package prefix with the importing module *near* (two copies of an app in one
        repository each import their own ``services``), else the shortest. Dictionary
        lookups: detectors and the resolver ask this for every imported name.
        """
        if not dotted_name:
            return None
        exact = self.by_module.get(dotted_name)
        if exact is not None:
            return exact
        candidates = self._by_suffix.get(dotted_name)
        if not candidates:
            return None
        if near is None or len(candidates) == 1:
            return candidates[0]
        key = (dotted_name, near)
        if key not in self._nearest:  # many copies of a package: asked for again and again
            self._nearest[key] = max(candidates, key=lambda m: _shared_prefix(m.module, near))
        return self._nearest[key]


def _shared_prefix(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a.split("."), b.split(".")):
        if x != y:
            break
        count += 1
    return count


def build_index(
    root: Path, files: Iterable[str], max_bytes: int = 2_000_000, cache: IndexCache | None = None
) -> RepoIndex:
    """Index every file once; problems become :class:`SkippedFile` entries, never exceptions."""
    index = RepoIndex(root=root, modules={})
    for relpath in files:
        result = index_file(root, relpath, max_bytes, cache)
        if isinstance(result, SkippedFile):
            index.skipped.append(result)
        else:
            index.modules[relpath] = result
            settle()  # the tree lives as long as the scan: later collections need not walk it
    if cache is not None:
        cache.flush()
    return index
