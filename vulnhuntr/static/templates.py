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

A read and a write of the same field name make a stored-XSS hit for the reading
entry point, whose path starts at the writer's source. Field names are matched
by name only (no model or table identity), and a helper that renders is
attributed to the first entry point that reaches it (summaries are shared).
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
    "scalar find find_one paginate order_by values execute get_object_or_404 get_list_or_404 select".split()
)
"""Calls whose result is data read back from a database (what a template may print as stored content)."""
PERSIST_METHODS = frozenset("save add add_all commit flush put insert insert_one update_one merge".split())
"""Calls after which attributes assigned on an object are stored."""
CREATE_METHODS = frozenset("create get_or_create update_or_create update insert insert_one values".split())
_SQL_WRITE = re.compile(r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\w+\s*\(([^)]*)\)|UPDATE\s+\w+\s+SET\s+(.+?)(?:\bWHERE\b|$))", re.I | re.S)


@dataclass(frozen=True)
class _Write:
    field: str
    taint: Taint
    step: PathStep


@dataclass(frozen=True)
class _Read:
    entry: EntryPoint | None
    sink: Sink
    field: str
    step: PathStep


@dataclass
class TemplateTracker:
    """Per-run state of the template rules; the engine holds one when templates were found."""

    search: TemplateSearch
    writes: dict[str, list[_Write]] = field(default_factory=dict)
    _reads: list[_Read] = field(default_factory=list)

    def claim(self, engine: Engine, entry: EntryPoint) -> set[Hit]:
        """Reads recorded while analysing *entry* belong to it; a class-based view's context gives more hits."""
        self._reads = [r if r.entry is not None else replace(r, entry=entry) for r in self._reads]
        if entry.function.endswith(".get_context_data"):
            return self._view_context(engine, entry)
        return set()

    def _view_context(self, engine: Engine, entry: EntryPoint) -> set[Hit]:
        """Django ``get_context_data``: the dict it returns is rendered into the view's ``template_name``."""
        index, resolver = engine.index, engine.resolver
        name = view_template(index, resolver, entry.file, entry.function.rsplit(".", 1)[0])
        node = engine.function_def(entry.file, entry.function)
        if name is None or node is None:
            return set()
        ev = engine.evaluate_entry(entry)
        if ev is None:
            return set()
        before = set(ev.hits)
        for statement in ast.walk(node):
            if isinstance(statement, ast.Return) and isinstance(statement.value, (ast.Name, ast.Dict)):
                spec = view_spec(name, statement.value)
                rendering = self.search.resolve(spec, entry.file, statement.lineno)
                if rendering is not None:
                    _rendered(ev, self, statement, spec, rendering, "returned as the context of")
        return {hit for hit in ev.hits - before if hit.sink.vuln is VulnType.XSS}

    def stored_hits(self) -> dict[EntryPoint, set[Hit]]:
        """Stored XSS: every read of a field some entry point writes from request data."""
        found: dict[EntryPoint, set[Hit]] = {}
        for read in self._reads:
            if read.entry is None:
                continue
            for write in self.writes.get(read.field, [])[:3]:
                if write.taint.source is None or VulnType.XSS not in write.taint.kinds:
                    continue
                steps = (*write.taint.steps, write.step, read.step)
                taint = Taint(frozenset({VulnType.XSS}), steps[-16:], write.taint.source, None, write.taint.prefix)
                found.setdefault(read.entry, set()).add(Hit(read.sink, taint))
        return found


def on_call(ev: Evaluator, node: ast.Call, callee: Callee, facts: CallFacts) -> None:
    """The engine's hook for every call: render calls, and stores of request data."""
    tracker = getattr(ev.engine, "templates", None)
    if tracker is None or callee.function is not None:
        return
    if callee.cls is not None:
        _record_writes(ev, tracker, node, facts, f"stored by {callee.cls.qualname}()")
        return
    method = node.func.attr if isinstance(node.func, ast.Attribute) else None
    if method in CREATE_METHODS:
        _record_writes(ev, tracker, node, facts, f"stored by {method}()")
    if method in PERSIST_METHODS:
        _record_attribute_writes(ev, tracker, node)
    if method in ("execute", "executemany"):
        _record_sql_writes(ev, tracker, node, facts)
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
        for attribute in output.attributes[-1:]:
            tracker._reads.append(_Read(None, stored, attribute, step))


def _fetched(ev: Evaluator, expr: ast.expr, line: int, depth: int = 0) -> bool:
    """Does *expr* (or the local it names) come from a database read?"""
    if isinstance(expr, ast.Name) and depth < 3:
        value = assigned_before(ev.frame.node, expr.id, line)
        return value is not None and _fetched(ev, value, line, depth + 1)
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call):
            name = dotted(sub.func) or (sub.func.attr if isinstance(sub.func, ast.Attribute) else "")
            if name.rsplit(".", 1)[-1] in FETCH_METHODS:
                return True
    return False


def _add_write(tracker: TemplateTracker, name: str, value: Value, step: PathStep) -> None:
    kept = tracker.writes.setdefault(name, [])
    for taint in value:
        if taint.source is not None and VulnType.XSS in taint.kinds and len(kept) < 6:
            kept.append(_Write(name, taint, step))


def _record_writes(ev: Evaluator, tracker: TemplateTracker, node: ast.Call, facts: CallFacts, how: str) -> None:
    for keyword in node.keywords:
        if keyword.arg and facts.keywords.get(keyword.arg):
            step = PathStep(ev.frame.file, node.lineno, f"{how}: field '{keyword.arg}'")
            _add_write(tracker, keyword.arg, facts.keywords[keyword.arg], step)


def _record_attribute_writes(ev: Evaluator, tracker: TemplateTracker, node: ast.Call) -> None:
    """``post.body = value`` earlier in the function, then ``post.save()`` / ``session.add(post)``."""
    for key, value in ev.env.values.items():
        root, _, attribute = key.rpartition(".")
        if value and root and root.split(".", 1)[0] not in ("self", "cls", "request") and "." not in attribute:
            step = PathStep(ev.frame.file, node.lineno, f"stored: {key}")
            _add_write(tracker, attribute, value, step)


def _record_sql_writes(ev: Evaluator, tracker: TemplateTracker, node: ast.Call, facts: CallFacts) -> None:
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
    for column in columns:
        if column.isidentifier():
            _add_write(tracker, column, params, PathStep(ev.frame.file, node.lineno, f"stored in column '{column}'"))
