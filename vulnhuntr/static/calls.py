"""Evaluating a call: sources, sinks, sanitizers, and summaries of repository functions.

In order: evaluate the receiver and the arguments; if the call reads request
data, that is its value; otherwise find the callee, record any sink (and IDOR
fetch) it is, then compute the result: a repository function's summary applied
to the arguments, a sanitizer's cleaned value, or the outside-code rule
(functions pass their arguments' taint on, methods their receiver's).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ..findings import VulnType
from ..repo.index import dotted
from . import callbacks, containers, dispatch, idor, ownership, repo_calls, responses, templates
from .callee import Callee, Site, resolve_call
from .env import External, ObjType
from .hits import Sink
from .sanitizers import (
    BARRIER_METHODS,
    BARRIERS,
    DECODERS,
    ENCODERS,
    JOINERS,
    MUTATORS,
    NORMALIZER_METHODS,
    NORMALIZERS,
    PASSTHROUGH_METHODS,
    PATTERN_FACTORIES,
    PATTERN_METHODS,
    PATH_CLASSES,
    PATH_METHODS,
    SANITIZERS,
    Sanitizer,
)
from .sink_rules import CLASS_METHODS, SinkRule, rules_for
from .sinks import CallFacts, dangerous_value
from .taint import (
    CLEAN,
    LITERAL,
    NO_DOTDOT,
    Value,
    decoded,
    encoded,
    prefixed,
    unchecked,
    union,
    with_key,
    without,
)

if TYPE_CHECKING:
    from .expressions import Evaluator

IDOR_OWNED_CONFIDENCE = 5
IDOR_UNKNOWN_CONFIDENCE = 3
FILE_OPENERS = frozenset({"builtins.open", "io.open", "codecs.open"})
CHECK_KEEPING_METHODS = frozenset({"format", "format_map", "join", "encode", "decode"})
"""String methods that embed or re-encode the text as it is: its shape checks still hold for that part."""
UNTYPED_CONFIDENCE = 5  # a sink known only by its method name on an object of unknown type

KNOWN_LIBRARIES = frozenset(
    "sqlite3 psycopg psycopg2 pymysql MySQLdb mysql aiosqlite asyncpg aiomysql django sqlalchemy flask_sqlalchemy "
    "pathlib zipfile tarfile werkzeug jinja2 peewee pony".split()
)


def evaluate_call(ev: Evaluator, node: ast.Call) -> Value:
    func = node.func
    receiver, receiver_type, source = CLEAN, None, None
    if isinstance(func, ast.Attribute):
        receiver = ev.eval(func.value)
        receiver_type = ev.type_of(func.value)
        source = ev.source(func, receiver_type, typed=True)
    elif not isinstance(func, ast.Name):
        receiver = ev.eval(func)
    args = [ev.eval(a) for a in node.args]
    keywords = {k.arg or f"**{i}": ev.eval(k.value) for i, k in enumerate(node.keywords)}
    slot = containers.method(ev, node, args) if source is None else None
    if slot is not None:  # ``items.pop(0)``, ``conf.get("s", "k")`` on a container whose slots are known
        ev.set_call_type(node, None)
        return slot
    if source is not None:
        ev.set_call_type(node, None)
        return _keyed(source, node)
    local = callbacks.local_function(ev, node)
    if local is not None:  # a function defined in this one: walked here, with what it closes over
        ev.set_call_type(node, None)
        return callbacks.inline(ev, local, args, keywords)
    ev.line = node.lineno  # nested calls in the arguments moved it
    facts = CallFacts(node, args, keywords, receiver, ev.is_html, ev.eval, ev.frame.node, _imports(ev), ev.literal)
    picked = dispatch.picked_by_call(ev, func)
    if picked is not None:
        ev.line = node.lineno
        return _keyed(_dispatched(ev, node, picked, facts), node)
    callee = resolve_call(func, _site(ev), ev.engine, receiver_type)
    _record_sinks(ev, node, callee, facts, receiver_type)
    responses.written(ev, node, args)
    called_back = CLEAN
    if callee.function is None and callee.cls is None:
        responses.constructed(ev, node, callee.qualified)
        direct = callbacks.direct_call(ev, node, callee.qualified)
        if direct is not None:  # ``pool.submit(run, cmd)`` runs ``run(cmd)``
            called_back = evaluate_call(ev, direct)
            ev.line = node.lineno
    _record_fetch(ev, node, callee, facts)
    templates.on_call(ev, node, callee, facts)
    result, result_type = _result(ev, node, callee, facts)
    result = union(result, called_back, _read_back(ev, node, callee))
    _remember_write(ev, node, callee, facts)
    ev.set_call_type(node, dispatch.call_type(ev, node, result_type))
    _mutate(ev, func, callee, facts)
    if not (isinstance(func, ast.Attribute) and func.attr in CHECK_KEEPING_METHODS):
        result = unchecked(result)
    return _keyed(result, node)


def _dispatched(ev: Evaluator, node: ast.Call, picked: dispatch.Picked, facts: CallFacts) -> Value:
    """A call through a lookup by key: every candidate is called with the same arguments."""
    dispatch.record_open_dispatch(ev, node, picked)
    via = dispatch.via_text(picked)
    results: list[Value] = []
    for callee in dispatch.callees(ev, picked):
        _record_sinks(ev, node, callee, facts, None)
        _record_fetch(ev, node, callee, facts)
        result, _type = _result(ev, node, callee, facts, via)
        results.append(result)
    ev.set_call_type(node, None)
    return union(CLEAN, *results)
def _imports(ev: Evaluator) -> frozenset[str]:
    return ev.frame.imported_roots


def _site(ev: Evaluator) -> Site:
    return Site(ev.frame.module, ev.line, ev.env, ev.frame.receiver, ev.frame.qualname)


def _keyed(result: Value, node: ast.Call) -> Value:
    """``request.args.get("name")``: remember "name" as the parameter to tamper with."""
    first = node.args[0] if node.args else None
    if result and isinstance(first, ast.Constant) and isinstance(first.value, str):
        return with_key(result, first.value, node.lineno)
    return result


# -- sinks ----------------------------------------------------------------------------


def _record_sinks(
    ev: Evaluator, node: ast.Call, callee: Callee, facts: CallFacts, receiver_type: ObjType | None
) -> None:
    if callee.function is not None or callee.cls is not None:
        return
    by_class = callee.method in CLASS_METHODS
    rules, by_name = rules_for(callee.qualified, None if callee.namespace and not by_class else callee.method)
    guessed = by_name and not _known_library(receiver_type)
    for rule in rules:
        tainted = _unvouched(rule, dangerous_value(rule, facts))
        if tainted:
            confidence = min(UNTYPED_CONFIDENCE, rule.confidence) if guessed else rule.confidence
            sink = Sink.at(ev.frame.file, node, rule.vuln, rule.cwe, rule.label, confidence, rule.whole_cwe)
            ev.record(sink, tainted)


def _unvouched(rule: SinkRule, tainted: Value) -> Value:
    """Drop taint a shape check made harmless for this sink (see :data:`.taint.LITERAL`, ``NO_DOTDOT``)."""
    if not any(t.checks for t in tainted):
        return tainted
    if rule.cwe == 94:
        return frozenset(t for t in tainted if not (LITERAL in t.checks and t.whole))
    if rule.vuln in (VulnType.LFI, VulnType.AFO):
        return frozenset(t for t in tainted if not (NO_DOTDOT in t.checks and not t.whole))
    return tainted


def _known_library(receiver_type: ObjType | None) -> bool:
    """A receiver made by a library whose method names mean what the table says (a DB cursor)."""
    return isinstance(receiver_type, External) and receiver_type.name.split(".", 1)[0] in KNOWN_LIBRARIES


def _record_fetch(ev: Evaluator, node: ast.Call, callee: Callee, facts: CallFacts) -> None:
    """IDOR: a record looked up by a request-supplied id in a function with no ownership check."""
    if callee.function is not None:
        return
    method = None if callee.namespace else callee.method
    fetch = idor.fetch_by_id(node, method, callee.qualified, facts)
    if fetch is None or not fetch.id_value or ev.frame.owner_checked or ownership.behind_gate(node, ev.frame.gates):
        return
    owned = fetch.owned(lambda e: _owned_private(ev, e), ev.engine.owned_table)
    confidence = IDOR_OWNED_CONFIDENCE if owned else IDOR_UNKNOWN_CONFIDENCE
    ev.record(Sink.at(ev.frame.file, node, VulnType.IDOR, 639, fetch.label, confidence), fetch.id_value)


def _owned_private(ev: Evaluator, model: ast.expr) -> bool:
    """A model with an owner field that the application does not also list to anyone unfiltered."""
    engine = ev.engine
    return engine.owned_model(model, ev.frame.file) and not engine.public_model(model, ev.frame.file, engine.entries)


# -- results --------------------------------------------------------------------------


def _result(
    ev: Evaluator, node: ast.Call, callee: Callee, facts: CallFacts, via: str | None = None
) -> tuple[Value, ObjType | None]:
    known = _sanitizer_name(ev, callee)
    if known is not None:  # a known sanitizer is one even when its code is in the scanned tree
        return _sanitized(SANITIZERS[known], facts), None
    if callee.function is not None:
        summarised = repo_calls.summarised(ev, node, callee.function, facts, via)
        if summarised is not None:
            return summarised
    if callee.cls is not None:
        repo_calls.constructed(ev, node, callee.cls, facts, via)
        return CLEAN, callee.cls
    result_type = External(callee.qualified) if callee.qualified else None
    if callee.method in PATH_METHODS and callee.qualified and callee.qualified.rsplit(".", 1)[0] in PATH_CLASSES:
        result_type = External(callee.qualified.rsplit(".", 1)[0])  # ``(base / name).resolve()`` is a Path
    return _outside(node, callee, facts), result_type


def _sanitizer_name(ev: Evaluator, callee: Callee) -> str | None:
    """The sanitizer table's name for *callee*, also for a repository function (scanning a framework itself)."""
    if callee.qualified in SANITIZERS:
        return callee.qualified
    if callee.function is not None:
        module = ev.engine.index.modules.get(callee.function.file)
        name = f"{module.module}.{callee.function.qualname}" if module is not None else None
        return name if name in SANITIZERS else None
    return None


def _outside(node: ast.Call, callee: Callee, facts: CallFacts) -> Value:
    """The value of a call into code we cannot see, by the tables of :mod:`.sanitizers`."""
    qualified = callee.qualified or ""
    if qualified in SANITIZERS:
        return _sanitized(SANITIZERS[qualified], facts)
    if qualified in BARRIERS:
        return CLEAN
    if qualified in JOINERS:
        return _joined(facts)
    if qualified in ENCODERS:
        return encoded(_arguments(facts))
    if qualified in DECODERS:
        return decoded(_arguments(facts))
    if not isinstance(node.func, ast.Attribute) or callee.namespace:
        return union(_arguments(facts), facts.receiver)  # a function: its result is made from its arguments
    if callee.method in PATTERN_METHODS and qualified.rsplit(".", 1)[0] in PATTERN_FACTORIES:
        return union(_arguments(facts), facts.receiver)
    result = _method_result(node.func, callee.method, facts)
    if not qualified and callee.method not in BARRIER_METHODS and callee.method not in MUTATORS:
        # an object we know nothing about (``thing = factory(); thing.run(x)``): its answer may be made from x
        result = union(result, prefixed(_arguments(facts), "{}"))
    return result


def _arguments(facts: CallFacts, skip: int = 0) -> Value:
    return union(CLEAN, *facts.args[skip:], *facts.keywords.values())


def _sanitized(sanitizer: Sanitizer, facts: CallFacts) -> Value:
    if sanitizer.first_kept:  # format_html(fmt, *args): the format itself is not escaped
        first = facts.args[0] if facts.args else CLEAN
        return union(first, without(_arguments(facts, skip=1), sanitizer.removes))
    return without(union(_arguments(facts), facts.receiver), sanitizer.removes)


def _method_result(func: ast.Attribute, method: str | None, facts: CallFacts) -> Value:
    """A method of an outside object: its receiver's data, or for string builders its arguments' too."""
    if method in BARRIER_METHODS:
        return CLEAN
    if method in PASSTHROUGH_METHODS or isinstance(func.value, (ast.Constant, ast.JoinedStr)):
        added = _arguments(facts)
        return union(facts.receiver, added if facts.receiver else prefixed(added, "{}"))
    return facts.receiver


def _joined(facts: CallFacts) -> Value:
    """``os.path.join(base, name)``: what follows the first part is appended to a base."""
    if not facts.args:
        return CLEAN
    return union(facts.args[0], *(prefixed(a, "{}/") for a in facts.args[1:]))


# -- side effects and flags ---------------------------------------------------------------


def _mutate(ev: Evaluator, func: ast.expr, callee: Callee, facts: CallFacts) -> None:
    """``items.append(x)`` puts x's taint into ``items``."""
    if not isinstance(func, ast.Attribute) or callee.function is not None or func.attr not in MUTATORS:
        return
    target = dotted(func.value)
    added = union(CLEAN, *facts.args, *facts.keywords.values())
    if target is not None and added and ev.env.is_local(target.split(".", 1)[0]):
        ev.env.add(target, added)


def _remember_write(ev: Evaluator, node: ast.Call, callee: Callee, facts: CallFacts) -> None:
    """``upload.save(path)``, ``Path(path).write_bytes(data)``: request data now sits in that file."""
    if not isinstance(node.func, ast.Attribute):
        return
    if callee.method == "save" and facts.receiver and node.args:
        path, data = node.args[0], facts.receiver
    elif callee.method in ("write_bytes", "write_text") and node.args and facts.args and facts.args[0]:
        path, data = node.func.value, facts.args[0]
    else:
        return
    key = _path_key(path)
    ev.env.written[key] = union(ev.env.written.get(key, CLEAN), data)


def _read_back(ev: Evaluator, node: ast.Call, callee: Callee) -> Value:
    """``open(path, "rb")`` of a file this function saved request data to: the data comes back."""
    if not ev.env.written or callee.qualified not in FILE_OPENERS or not node.args:
        return CLEAN
    return ev.env.written.get(_path_key(node.args[0]), CLEAN)


def _path_key(node: ast.expr) -> str:
    """A path expression as written (``os.path.join(UPLOADS, name)``), to match a later read of the same file."""
    if isinstance(node, ast.Call) and node.args and (dotted(node.func) or "").endswith("Path"):
        node = node.args[0] if len(node.args) == 1 else node  # ``Path(p)`` is the file ``p``
    return ast.unparse(node)


def is_normalizer(ev: Evaluator, node: ast.expr) -> bool:
    """``os.path.realpath(p)``, ``Path(p).resolve()``: the result is a canonical path."""
    while isinstance(node, ast.Await):
        node = node.value
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Attribute) and node.func.attr in NORMALIZER_METHODS:
        return True
    return ev.qualify(node.func) in NORMALIZERS
