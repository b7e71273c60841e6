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
from typing import Any, Callable, Iterable, Protocol

from ..heap import no_collections, settle
from .collect import Collector, annotation_type, dotted, expression_text, resolve_relative
from .keep import TreeKeeper
from .parse import ParseFailure, parse_source
from .records import (
    MODULE_SCOPE,
    AttributeAssignment,
    CallSite,
    Definition,
    DefinitionKind,
    ImportRecord,
    Registration,
)
from .skipped import SkippedFile

__all__ = [  # the records and helpers moved to .records and .collect stay importable from here
    "INDEX_VERSION", "MODULE_SCOPE", "AttributeAssignment", "CallSite", "Definition", "DefinitionKind",
    "ImportRecord", "IndexCache", "ModuleIndex", "Registration", "RepoIndex", "annotation_type", "build_index",
    "dotted", "expression_text", "index_file", "module_name", "read_source", "resolve_relative",
]

INDEX_VERSION = 5  # bump when what index_file records changes: cached entries of older versions stop matching


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
    long_callees: tuple[str, ...] = ()  # the attribute called where a callee's text was shortened (``f(...).get``)
    source: str = field(default="", repr=False, compare=False)

    @property
    def is_package(self) -> bool:
        return self.path.endswith("__init__.py")

    @cached_property
    def tree(self) -> ast.Module:
        """The syntax tree, parsed again from the source the first time a stage needs it.

        Indexing holds only the trees later stages will likely walk (:mod:`vulnhuntr.repo.keep`;
        a thousand trees held at once are most of a scan's memory), and the cache never stores
        one: a file whose tree was dropped is parsed again here, once per run, if asked for.
        """
        tree = parse_source(self.source, self.path).tree
        settle()  # kept for the rest of the run: later collections need not walk it
        return tree

    @cached_property
    def called_names(self) -> frozenset[str]:
        """The last name of every callee (``add_url_rule`` for ``bp.add_url_rule(...)``), shortened texts included.

        A callee whose text was shortened is not a dotted name, so only its attribute can matter.
        """
        names = {call.callee.rsplit(".", 1)[-1] for call in self.calls if not call.callee.endswith("...")}
        return frozenset(names.union(self.long_callees))

    @cached_property
    def imported_prefixes(self) -> frozenset[str]:
        """Every dotted prefix of what the module imports (``flask``, ``flask.views`` for ``from flask.views import V``).

        Whether a module imports a framework is asked of every module by the tree keeping and
        by several detectors: answered from one set per module.
        """
        found: set[str] = set()
        for record in self.imports:
            for name in (record.module, record.target):
                end = name.find(".")
                while end != -1:
                    found.add(name[:end])
                    end = name.find(".", end + 1)
                found.add(name)
        return frozenset(found)

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
        data["long_callees"] = list(self.long_callees)
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
            long_callees=tuple(data["long_callees"]),
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
    bases: list[str], decorators: list[str], value: str | None, is_async: bool, parameters: list[str],
) -> Definition:
    return Definition(
        qualname, kind, line, start_line, end_line, tuple(bases), tuple(decorators), value, is_async, tuple(parameters)
    )


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


KeepTree = Callable[["ModuleIndex"], bool]
"""Whether to keep a freshly indexed file's syntax tree: later stages will likely walk it."""


def index_file(
    root: Path, relpath: str, max_bytes: int = 2_000_000, cache: IndexCache | None = None, keep: KeepTree | None = None
) -> ModuleIndex | SkippedFile:
    """Parse one file once and record its definitions, imports and calls (or take them from *cache*).

    The tree is dropped unless *keep* says a later stage will walk it (:attr:`ModuleIndex.tree` parses again).
    """
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
    if isinstance(result, ModuleIndex) and (keep is None or not keep(result)):
        del result.__dict__["tree"]  # parsed again if a later stage asks for it after all
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
    collector = Collector(module, is_package=relpath.endswith("__init__.py"))
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
        long_callees=tuple(collector.long_callees),
        source=text,
    )
    index.__dict__["tree"] = parsed.tree  # already parsed: prime the cached property
    return index


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
    root: Path,
    files: Iterable[str],
    max_bytes: int = 2_000_000,
    cache: IndexCache | None = None,
    keep: KeepTree | None = None,
) -> RepoIndex:
    """Index every file once; problems become :class:`SkippedFile` entries, never exceptions.

    Only the trees of the files *keep* names, and of those they import (:mod:`vulnhuntr.repo.keep`),
    are held: a repository's trees at once are most of its map's memory. The files are
    indexed in an order that lets that be known in time; the index lists them in *files*' order.
    """
    files = list(files)
    keeper = TreeKeeper(files, keep, module_name) if keep is not None else None
    results: dict[str, ModuleIndex | SkippedFile] = {}
    with no_collections():
        for relpath in keeper.order() if keeper is not None else files:
            result = index_file(root, relpath, max_bytes, cache, _hold if keeper is not None else None)
            results[relpath] = result
            if isinstance(result, ModuleIndex):
                if keeper is not None:
                    keeper.indexed(result)
                settle()  # the records (and a kept tree) live as long as the scan: later collections need not walk them
        if keeper is not None:
            keeper.finish()
    if cache is not None:
        cache.flush()
    index = RepoIndex(root=root, modules={})
    for relpath in files:
        result = results[relpath]
        if isinstance(result, SkippedFile):
            index.skipped.append(result)
        else:
            index.modules[relpath] = result
    return index


def _hold(module: ModuleIndex) -> bool:
    """Every fresh tree is handed to the :class:`TreeKeeper`, which drops those it need not keep."""
    return True
