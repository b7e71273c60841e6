"""Stored XSS, the store side: writes of request data under a field name, and reads of fetched records.

See :mod:`.templates` for the bounded rule. A write is a marker hit (:data:`STORE_LABEL`) carried by
summaries like any sink; a read is a template output printing a field of a record fetched from a
database; :class:`~.templates.TemplateTracker` pairs them by field name (and SQL table, when known),
within one application (:mod:`vulnhuntr.repo.applications`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..findings import PathStep, VulnType
from ..repo.index import dotted
from ..repo.rendering import RenderSpec, assigned_before, dict_entries
from ..repo.templates import Output
from .hits import Hit, Sink
from .sinks import CallFacts
from .taint import CLEAN, Value

if TYPE_CHECKING:
    from ..repo.frameworks.entry import EntryPoint
    from .expressions import Evaluator
    from .templates import TemplateTracker

STORED_CONFIDENCE = 5
FETCH_METHODS = frozenset(
    "all first one one_or_none get get_or_404 first_or_404 filter filter_by fetchone fetchall fetchmany scalars "
    "scalar find find_one paginate order_by values execute get_object_or_404 get_list_or_404 select "
    "select_related prefetch_related annotate exclude distinct only defer latest earliest last".split()
)
"""Calls whose result is data read back from a database (what a template may print as stored content)."""
PERSIST_METHODS = frozenset("save add add_all commit flush put insert insert_one update_one merge".split())
"""Calls after which attributes assigned on an object are stored."""
CREATE_METHODS = frozenset("create get_or_create update_or_create update insert insert_one values".split())
STORE_LABEL = "stored field"
"""The label of the marker sink a write is recorded on (never a finding: taken out in :meth:`TemplateTracker.claim`)."""
_SQL_TABLE = re.compile(r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|FROM)\s+[`\"\[]?(\w+)", re.I)
_TABLE_SUFFIX = ": column of "
_SQL_WRITE = re.compile(r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\w+\s*\(([^)]*)\)|UPDATE\s+\w+\s+SET\s+(.+?)(?:\bWHERE\b|$))", re.I | re.S)


@dataclass(frozen=True)
class Write:
    entry: EntryPoint
    hit: Hit  # on the marker sink: the store call, and the taint that reached it

    @property
    def field(self) -> str:
        return self.hit.sink.text


@dataclass(frozen=True)
class Read:
    sink: Sink  # the template line
    field: str
    step: PathStep  # the render call
    table: str | None = None  # the SQL table the printed record was selected from, when the code says


def same_table(write: Write, read: Read) -> bool:
    """A column written to one table is not the same-named column printed from another."""
    label = write.hit.sink.label
    table = label.rsplit(_TABLE_SUFFIX, 1)[1] if _TABLE_SUFFIX in label else None
    return table is None or read.table is None or table == read.table


def record_reads(
    ev: Evaluator,
    tracker: TemplateTracker,
    spec: RenderSpec,
    node: ast.Call | ast.Return,
    output: Output,
    sink: Sink,
    step: PathStep,
) -> None:
    """The output prints a field of a database record the render call passes: a possible stored-XSS read."""
    passed = dict(spec.pairs)
    for mapping in spec.dicts:
        if isinstance(mapping, ast.Name):
            passed.update(dict_entries(ev.frame.node, mapping.id, node.lineno) or [])
    for name in output.names:
        expr = passed.get(name)
        if expr is None or not _fetched(ev, expr, node.lineno):
            continue
        stored = replace(sink, label=f"stored data printed raw ({output.why_raw or 'autoescape off'})", confidence=STORED_CONFIDENCE)
        table = _selected_table(ev, expr, node.lineno)
        for attribute in output.attributes[-1:]:
            read = Read(stored, attribute, step, table)
            if read not in tracker.reads:
                tracker.reads.append(read)


def _fetched(ev: Evaluator, expr: ast.expr, line: int, depth: int = 0) -> bool:
    """Does *expr* come from a database read: a query call, a local holding one, a helper returning one?"""
    if depth > 3:
        return False
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call):
            name = dotted(sub.func) or (sub.func.attr if isinstance(sub.func, ast.Attribute) else "")
            if name.rsplit(".", 1)[-1] in FETCH_METHODS or _returns_fetch(ev, name, line, depth):
                return True
        elif isinstance(sub, ast.Attribute) and sub.attr in ("objects", "query"):
            return True  # ``Model.objects...``, ``Model.query...``
        elif isinstance(sub, ast.Name) and ev.env.is_local(sub.id):
            value = assigned_before(ev.frame.node, sub.id, line)
            if value is not None and value is not expr and _fetched(ev, value, line, depth + 1):
                return True
    return False


def _selected_table(ev: Evaluator, expr: ast.expr, line: int, depth: int = 0) -> str | None:
    """The one SQL table *expr*'s rows come from (``SELECT ... FROM comments`` here or in the helper returning them)."""
    if depth > 2:
        return None
    tables: set[str] = set()
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call):
            tables |= _query_tables(ev, sub)
            name = dotted(sub.func)
            ref = ev.engine.callee_by_name(name, ev.frame.file, line, ev.frame.qualname).function if name else None
            helper = ev.engine.function_def(ref.file, ref.qualname) if ref is not None else None
            if helper is not None:
                for statement in ast.walk(helper):
                    if isinstance(statement, ast.Return) and statement.value is not None:
                        tables |= {t for c in ast.walk(statement.value) if isinstance(c, ast.Call)
                                   for t in _query_tables(ev, c)}
        elif isinstance(sub, ast.Name) and ev.env.is_local(sub.id):
            value = assigned_before(ev.frame.node, sub.id, line)
            if value is not None and value is not expr:
                found = _selected_table(ev, value, line, depth + 1)
                if found is not None:
                    tables.add(found)
    return next(iter(tables)) if len(tables) == 1 else None


def _query_tables(ev: Evaluator, call: ast.Call) -> set[str]:
    if not (isinstance(call.func, ast.Attribute) and call.func.attr in ("execute", "executemany") and call.args):
        return set()
    first = call.args[0]
    text = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
    return {m.lower() for m in _SQL_TABLE.findall(text)[:1]}


def _returns_fetch(ev: Evaluator, name: str, line: int, depth: int) -> bool:
    """A repository helper (``db.comments_for(id)``) whose ``return`` is a database read."""
    if not name or depth > 2:
        return False
    symbol = ev.engine.resolver.resolve(name, ev.frame.file, line).symbol
    node = ev.engine.function_def(symbol.file, symbol.qualname) if symbol is not None else None
    if node is None:
        return False
    for statement in ast.walk(node):
        if isinstance(statement, ast.Return) and statement.value is not None:
            for sub in ast.walk(statement.value):
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in FETCH_METHODS:
                    return True
    return False


def _store(ev: Evaluator, node: ast.Call, name: str, value: Value, how: str) -> None:
    """Record that *value* is stored under field *name* at *node* (a marker hit, carried by summaries)."""
    label = f"{STORE_LABEL}: {how}"
    ev.record(Sink(ev.frame.file, node.lineno, node.end_lineno or node.lineno, VulnType.XSS, 0, label, name, 0), value)


def record_writes(ev: Evaluator, node: ast.Call, facts: CallFacts, how: str) -> None:
    for keyword in node.keywords:
        if keyword.arg and facts.keywords.get(keyword.arg):
            _store(ev, node, keyword.arg, facts.keywords[keyword.arg], how)


def record_attribute_writes(ev: Evaluator, node: ast.Call) -> None:
    """``post.body = value`` earlier in the function, then ``post.save()`` / ``session.add(post)``."""
    for key, value in ev.env.values.items():
        root, _, attribute = key.rpartition(".")
        if value and root and root.split(".", 1)[0] not in ("self", "cls", "request") and "." not in attribute:
            _store(ev, node, attribute, value, key)


def record_sql_writes(ev: Evaluator, node: ast.Call, facts: CallFacts) -> None:
    """``INSERT INTO t (a, b) VALUES (?, ?)`` with tainted parameters: columns a and b are written."""
    sql = node.args[0] if node.args else None
    text = ev.literal(sql) if sql is not None else ""
    params = facts.args[1] if len(facts.args) > 1 else CLEAN
    match = _SQL_WRITE.search(text)
    if match is None or not params:
        return
    if match.group(1) is not None:
        columns = [c.strip().strip('"`[]') for c in match.group(1).split(",")]
    else:
        columns = [c.split("=", 1)[0].strip().strip('"`[]') for c in match.group(2).split(",")]
    table = _SQL_TABLE.search(text)
    how = f"column{_TABLE_SUFFIX}{table.group(1).lower()}" if table is not None else "column"
    for column in columns:
        if column.isidentifier():
            _store(ev, node, column, params, how)
