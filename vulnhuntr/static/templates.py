"""Template output as an XSS sink: reflected (a render call passes request data) and stored.

Reflected: at a render call (:mod:`vulnhuntr.repo.rendering` says which template
and how it is escaped), every variable the call passes is evaluated; each
output of the template (and of what it extends or includes) that prints a
tainted variable raw is a sink at the template line, reached through the render
call. An escaped output still is one where escaping does not help: an unquoted
attribute or an event-handler attribute (lower confidence), a URL attribute
(only a candidate: ``javascript:`` URLs).

Stored, bounded on purpose:

* a *write* is a request-tainted value stored under a field name by some entry
  point: a keyword of a repository class's constructor or of an ORM
  ``create``/``update``-like call (``Post(body=...)``,
  ``Post.objects.create(body=...)``), an attribute assigned before a
  ``save``/``add``/``commit``-like call (``post.body = ...; db.session.add(post)``),
  or a column of an ``INSERT``/``UPDATE`` statement given tainted parameters;
* a *read* is a render call passing a value fetched from a database
  (``Post.query.all()``, ``cursor.fetchall()``, ``get_object_or_404(...)``)
  whose template prints one of its fields raw (``{{ post.body|safe }}``).

A write is recorded as a hit on a marker sink (:data:`STORE_LABEL`), so a write
inside a helper (``db.add_comment(ticket, body)``) reaches the entry point through
the helper's summary like any other sink; the marker hits are taken out before
findings are made. A read and a write of the same field name make a stored-XSS
hit for the *writing* entry point (where the attacker sends the payload), whose
path runs from its source through the store to the reading render call and the
template line. Field names are matched by name only (no model or table identity),
and a read inside a shared helper is seen once (summaries are memoised).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..findings import PathStep, VulnType
from ..repo.index import dotted
from ..repo.rendering import (
    RenderSpec,
    Rendering,
    TemplateSearch,
    assigned_before,
    dict_entries,
    render_spec,
    view_spec,
    view_template,
)
from ..repo.templates import Output
from .callee import Callee
from .hits import Hit, Sink
from .sinks import CallFacts
from .taint import CLEAN, Source, Taint, Value, from_source, union

if TYPE_CHECKING:
    from ..repo.frameworks.entry import EntryPoint
    from .engine import Engine
    from .expressions import Evaluator

RAW_CONFIDENCE = 6
UNSAFE_CONTEXT_CONFIDENCE = 5  # escaped, but an unquoted or event-handler attribute
WEAK_CONTEXT_CONFIDENCE = 3  # escaped in a URL attribute (``javascript:``) or in <script>: a candidate only
STORED_CONFIDENCE = 5
UNSAFE_CONTEXTS = ("unquoted attribute", "attribute name", "event handler")
"""Contexts where HTML escaping does not stop an attacker (spaces, ``javascript``-free handlers)."""
WEAK_CONTEXTS = ("url", "script", "style")
"""Contexts where escaping helps only sometimes (quoted JS strings are safe, ``javascript:`` URLs are not)."""

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
class _Write:
    entry: EntryPoint
    hit: Hit  # on the marker sink: the store call, and the taint that reached it

    @property
    def field(self) -> str:
        return self.hit.sink.text


@dataclass(frozen=True)
class _Read:
    sink: Sink  # the template line
    field: str
    step: PathStep  # the render call
    table: str | None = None  # the SQL table the printed record was selected from, when the code says


def _same_table(write: _Write, read: _Read) -> bool:
    """A column written to one table is not the same-named column printed from another."""
    label = write.hit.sink.label
    table = label.rsplit(_TABLE_SUFFIX, 1)[1] if _TABLE_SUFFIX in label else None
    return table is None or read.table is None or table == read.table


@dataclass
class TemplateTracker:
    """Per-run state of the template rules; the engine holds one when templates were found."""

    search: TemplateSearch
    writes: dict[str, list[_Write]] = field(default_factory=dict)
    reads: list[_Read] = field(default_factory=list)

    def claim(self, engine: Engine, entry: EntryPoint, hits: set[Hit]) -> set[Hit]:
        """*entry*'s hits without the write markers (kept as its writes), plus a class-based view's context."""
        found = {hit for hit in hits if not hit.sink.label.startswith(STORE_LABEL)}
        for hit in sorted(hits - found, key=_write_order):  # the first store of a value is the one reported
            kept = self.writes.setdefault(hit.sink.text, [])
            source = hit.taint.source
            if source is None or len(kept) >= 6:
                continue
            if not any(w.entry == entry and w.hit.taint.source == source for w in kept):
                kept.append(_Write(entry, hit))
        if entry.function.endswith(".get_context_data"):
            found |= self._view_context(engine, entry)
        return found

    def stored_hits(self) -> dict[EntryPoint, set[Hit]]:
        """Stored XSS, for the entry point that writes: every read of a field it stores from request data."""
        found: dict[EntryPoint, set[Hit]] = {}
        for read in self.reads:
            for write in [w for w in self.writes.get(read.field, []) if _same_table(w, read)][:3]:
                taint, store = write.hit.taint, write.hit.sink
                step = PathStep(store.file, store.line, f"stored as '{read.field}' by {store.label.split(': ', 1)[-1]}")
                steps = (*taint.steps, step, read.step)
                stored = Taint(frozenset({VulnType.XSS}), steps[-16:], taint.source, None, taint.prefix)
                found.setdefault(write.entry, set()).add(Hit(read.sink, stored))
        return found

    def _view_context(self, engine: Engine, entry: EntryPoint) -> set[Hit]:
        """Django ``get_context_data``: the dict it returns is rendered into the view's ``template_name``."""
        index, resolver = engine.index, engine.resolver
        name = view_template(index, resolver, entry.file, entry.function.rsplit(".", 1)[0])
        node = engine.function_def(entry.file, entry.function)
        if name is None or node is None:
            return set()
        ev = engine.entry_evaluation(entry)
        if ev is None:
            return set()
        before = set(ev.hits)
        for statement in ast.walk(node):
            if isinstance(statement, ast.Return) and isinstance(statement.value, (ast.Name, ast.Dict)):
                spec = view_spec(name, statement.value)
                rendering = self.search.resolve(spec, entry.file, statement.lineno)
                if rendering is not None:
                    _rendered(ev, self, statement, spec, rendering, "returned as the context of")
        return {h for h in ev.hits - before if h.sink.vuln is VulnType.XSS and not h.sink.label.startswith(STORE_LABEL)}


def _write_order(hit: Hit) -> tuple[object, ...]:
    source = hit.taint.source
    return (hit.sink.file, hit.sink.line, len(hit.taint.steps), source.line if source else 0, hit.sink.label)


def on_call(ev: Evaluator, node: ast.Call, callee: Callee, facts: CallFacts) -> None:
    """The engine's hook for every call: render calls, and stores of request data."""
    tracker = getattr(ev.engine, "templates", None)
    if tracker is None or callee.function is not None:
        return
    if callee.cls is not None:
        _record_writes(ev, node, facts, f"{callee.cls.qualname}()")
        return
    method = node.func.attr if isinstance(node.func, ast.Attribute) else None
    if method in CREATE_METHODS:
        _record_writes(ev, node, facts, f"{method}()")
    if method in PERSIST_METHODS:
        _record_attribute_writes(ev, node)
    if method in ("execute", "executemany"):
        _record_sql_writes(ev, node, facts)
    spec = render_spec(node, callee.qualified, ev.frame.node)
    if spec is None and method == "render_to_response" and ev.frame.receiver is not None:
        name = view_template(ev.engine.index, ev.engine.resolver, ev.frame.receiver.file, ev.frame.receiver.qualname)
        spec = view_spec(name, node.args[0] if node.args else None) if name is not None else None
    if spec is not None:
        rendering = tracker.search.resolve(spec, ev.frame.file, node.lineno)
        if rendering is not None:
            _rendered(ev, tracker, node, spec, rendering)


# -- reflected ------------------------------------------------------------------------


def _rendered(
    ev: Evaluator,
    tracker: TemplateTracker,
    node: ast.Call | ast.Return,
    spec: RenderSpec,
    rendering: Rendering,
    how: str = "passed to",
) -> None:
    variables, fallback = _variables(ev, node.lineno, spec)
    step = PathStep(ev.frame.file, node.lineno, f"{how} template {rendering.path}")
    templates = tracker.search.templates
    for path in templates.closure(rendering.path, rendering.folders):
        facts = templates.get(path)
        if facts is None:
            continue
        escapes = rendering.escapes(path)
        for output in facts.outputs:
            confidence, label = _danger(output, escapes)
            if confidence is None:
                continue
            sink = Sink(path, output.line, output.line, VulnType.XSS, 79, label, _shown(output), confidence)
            known = [variables[n] for n in output.names if n in variables]
            value = union(CLEAN, *known) if known else fallback
            ev.record(sink, _through(value, step))
            if output.reads_request and confidence >= RAW_CONFIDENCE:
                source = Source(path, output.line, f"request data read by the template: {_shown(output)}")
                ev.record(sink, from_source(source))
            if confidence >= RAW_CONFIDENCE and output.attributes:
                _record_reads(ev, tracker, spec, node, output, sink, step)


def _danger(output: Output, escapes: bool) -> tuple[int | None, str]:
    if output.raw_under(escapes):
        how = output.why_raw or "autoescape off"
        return RAW_CONFIDENCE, f"template output printed raw ({how}, {output.context} context)"
    if output.neutralised:
        return None, ""
    if output.context in UNSAFE_CONTEXTS:
        return UNSAFE_CONTEXT_CONFIDENCE, f"template output in {output.context} context (HTML escaping does not stop it)"
    if output.context in WEAK_CONTEXTS:
        return WEAK_CONTEXT_CONFIDENCE, f"template output in {output.context} context"
    return None, ""


def _shown(output: Output) -> str:
    text = output.expression if len(output.expression) <= 70 else output.expression[:67] + "..."
    return "{{ " + text + " }}"


def _through(value: Value, step: PathStep) -> list[Taint]:
    return [replace(t, steps=(*t.steps, step)[-16:]) for t in value]


def _variables(ev: Evaluator, line: int, spec: RenderSpec) -> tuple[dict[str, Value], Value]:
    """Each context variable's taint, and the taint of mappings whose keys are unknown (applies to any name)."""
    found: dict[str, Value] = {}
    for name, expr in spec.pairs:
        found[name] = union(found.get(name, CLEAN), ev.eval(expr))
    fallback = CLEAN
    for mapping in spec.dicts:
        if isinstance(mapping, ast.Call) and dotted(mapping.func) == "locals":
            for name, value in ev.env.values.items():
                if "." not in name:
                    found[name] = union(found.get(name, CLEAN), value)
            continue
        entries = dict_entries(ev.frame.node, mapping.id, line) if isinstance(mapping, ast.Name) else None
        if entries is None:
            fallback = union(fallback, ev.eval(mapping))
            continue
        for name, expr in entries:
            found[name] = union(found.get(name, CLEAN), ev.eval(expr))
    return found, fallback


# -- stored ---------------------------------------------------------------------------


def _record_reads(
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
            read = _Read(stored, attribute, step, table)
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


def _record_writes(ev: Evaluator, node: ast.Call, facts: CallFacts, how: str) -> None:
    for keyword in node.keywords:
        if keyword.arg and facts.keywords.get(keyword.arg):
            _store(ev, node, keyword.arg, facts.keywords[keyword.arg], how)


def _record_attribute_writes(ev: Evaluator, node: ast.Call) -> None:
    """``post.body = value`` earlier in the function, then ``post.save()`` / ``session.add(post)``."""
    for key, value in ev.env.values.items():
        root, _, attribute = key.rpartition(".")
        if value and root and root.split(".", 1)[0] not in ("self", "cls", "request") and "." not in attribute:
            _store(ev, node, attribute, value, key)


def _record_sql_writes(ev: Evaluator, node: ast.Call, facts: CallFacts) -> None:
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
