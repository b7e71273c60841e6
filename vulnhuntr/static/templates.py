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
template line. Field names are matched by name (and SQL table when both sides know
it), within one application only: the store call's module and the render call's
module must be connected by the project's imports (:mod:`vulnhuntr.repo.applications`),
so a repository holding several apps never pairs a write in one with a read in
another. A read inside a shared helper is seen once (summaries are memoised).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from ..findings import PathStep, VulnType
from ..repo.applications import Applications
from ..repo.index import dotted
from ..repo.rendering import (
    RenderSpec,
    Rendering,
    TemplateSearch,
    dict_entries,
    render_spec,
    view_spec,
    view_template,
)
from ..repo.templates import Output
from .callee import Callee
from .hits import Hit, Sink
from .sinks import CallFacts
from .stored import CREATE_METHODS, PERSIST_METHODS, STORE_LABEL, Read, Write, record_attribute_writes
from .stored import record_reads, record_sql_writes, record_writes, same_table
from .taint import CLEAN, Source, Taint, Value, from_source, union

if TYPE_CHECKING:
    from ..repo.frameworks.entry import EntryPoint
    from .engine import Engine
    from .expressions import Evaluator

RAW_CONFIDENCE = 6
UNSAFE_CONTEXT_CONFIDENCE = 5  # escaped, but an unquoted or event-handler attribute
WEAK_CONTEXT_CONFIDENCE = 3  # escaped in a URL attribute (``javascript:``) or in <script>: a candidate only
UNSAFE_CONTEXTS = ("unquoted attribute", "attribute name", "event handler")
"""Contexts where HTML escaping does not stop an attacker (spaces, ``javascript``-free handlers)."""
WEAK_CONTEXTS = ("url", "script", "style")
"""Contexts where escaping helps only sometimes (quoted JS strings are safe, ``javascript:`` URLs are not)."""

@dataclass
class TemplateTracker:
    """Per-run state of the template rules; the engine holds one when templates were found."""

    search: TemplateSearch
    writes: dict[tuple[str, str], list[Write]] = field(default_factory=dict)  # by field and application
    reads: list[Read] = field(default_factory=list)

    @cached_property
    def applications(self) -> Applications:
        """Which modules make one application: a write pairs only with reads rendered in its own."""
        return Applications(self.search.index)

    def claim(self, engine: Engine, entry: EntryPoint, hits: set[Hit]) -> set[Hit]:
        """*entry*'s hits without the write markers (kept as its writes), plus a class-based view's context."""
        found = {hit for hit in hits if not hit.sink.label.startswith(STORE_LABEL)}
        for hit in sorted(hits - found, key=_write_order):  # the first store of a value is the one reported
            kept = self.writes.setdefault((hit.sink.text, self.applications.of(hit.sink.file)), [])
            source = hit.taint.source
            if source is None or len(kept) >= 6:
                continue
            if not any(w.entry == entry and w.hit.taint.source == source for w in kept):
                kept.append(Write(entry, hit))
        if entry.function.endswith(".get_context_data"):
            found |= self._view_context(engine, entry)
        return found

    def stored_hits(self) -> dict[EntryPoint, set[Hit]]:
        """Stored XSS, for the entry point that writes: every read, in its application, of a field it stores."""
        found: dict[EntryPoint, set[Hit]] = {}
        for read in self.reads:
            written = self.writes.get((read.field, self.applications.of(read.step.file)), [])
            for write in [w for w in written if same_table(w, read)][:3]:
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
    """The order stores are kept in: first by place, then by everything that tells two apart.

    Two sources stored on one line (``form.subject.data`` and ``form.body.data``) must not be
    ordered by the set they came in, whose order changes from run to run with string hashing.
    """
    source = hit.taint.source
    return (
        hit.sink.file, hit.sink.line, len(hit.taint.steps), source.line if source else 0, hit.sink.label,
        source.description if source else "", tuple((s.file, s.line, s.description) for s in hit.taint.steps),
    )


def on_call(ev: Evaluator, node: ast.Call, callee: Callee, facts: CallFacts) -> None:
    """The engine's hook for every call: render calls, and stores of request data."""
    tracker = getattr(ev.engine, "templates", None)
    if tracker is None or callee.function is not None:
        return
    if callee.cls is not None:
        record_writes(ev, node, facts, f"{callee.cls.qualname}()")
        return
    method = node.func.attr if isinstance(node.func, ast.Attribute) else None
    if method in CREATE_METHODS:
        record_writes(ev, node, facts, f"{method}()")
    if method in PERSIST_METHODS:
        record_attribute_writes(ev, node)
    if method in ("execute", "executemany"):
        record_sql_writes(ev, node, facts)
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
                record_reads(ev, tracker, spec, node, output, sink, step)


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
