"""Evaluating a call: sources, sinks, sanitizers, and summaries of repository functions.

In order: evaluate the receiver and the arguments; if the call reads request
data, that is its value; otherwise find the callee, record any sink (and IDOR
fetch) it is, then compute the result: a repository function's summary applied
to the arguments, a sanitizer's cleaned value, or the outside-code rule
(functions pass their arguments' taint on, methods their receiver's).
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING

from ..findings import PathStep, VulnType
from ..repo.frameworks.syntax import FunctionNode, positional_names
from ..repo.index import dotted
from . import callbacks, containers, dispatch, idor, ownership, responses, templates
from .callee import Callee, FunctionRef, Site, resolve_call
from .env import External, ObjType, RepoClass, RequestObject
from .hits import Sink, Summary
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
    Taint,
    Value,
    compose,
    decoded,
    encoded,
    prefixed,
    relocated,
    symbolic,
    unchecked,
    union,
    value,
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
        summarised = _summarised(ev, node, callee.function, facts, via)
        if summarised is not None:
            return summarised
    if callee.cls is not None:
        _constructed(ev, node, callee.cls, facts, via)
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


def _summarised(
    ev: Evaluator, node: ast.Call, ref: FunctionRef, facts: CallFacts, via: str | None = None,
    constructing: bool = False,
) -> tuple[Value, ObjType | None] | None:
    function = ev.engine.function_def(ref.file, ref.qualname)
    if function is None:
        return None
    requests = _request_arguments(ev, node, function, ref)
    framework = ev.frame.framework if ref.receiver is not None and ref.receiver == ev.frame.receiver else None
    summary = ev.engine.summary(ref, requests, framework, ev.frame.depth + 1, ev.frame.fixed_path)
    if summary is None:
        return None
    bindings = bind_arguments(function, node, facts, ref.implicit_first)
    owner = None if constructing else _receiver_text(node)
    bindings.update(_field_bindings(ev, owner, summary))
    dispatched = f" (dispatched by {via})" if via else ""
    step = PathStep(ev.frame.file, node.lineno, f"passed to {ref.qualname}() in {ref.file}{dispatched}")
    for hit in summary.hits:
        if hit.sink.vuln is VulnType.IDOR and (ev.frame.owner_checked or ownership.behind_gate(node, ev.frame.gates)):
            continue  # the caller compares the record's owner with the user, or checked the id with a lookup
        ev.record(hit.sink, _carried(hit.taint, bindings, step))
    returned = union(CLEAN, *(frozenset(_carried(t, bindings, step)) for t in summary.returns))
    fields = {name: value(t for flow in val for t in _carried(flow, bindings, step)) for name, val in summary.fields}
    if owner is not None and ref.implicit_first:
        for name, val in fields.items():  # ``obj.load(x)`` left x in ``obj.name``
            ev.env.values[f"{owner}.{name}"] = val
    elif fields:
        ev.new_fields[id(node)] = fields
    return returned, summary.return_type


def _receiver_text(node: ast.Call) -> str | None:
    """``obj`` of ``obj.method(...)``, when it is a plain dotted name."""
    return dotted(node.func.value) if isinstance(node.func, ast.Attribute) else None


def _field_bindings(ev: Evaluator, owner: str | None, summary: Summary) -> dict[str, Value]:
    """What the caller's object holds in the fields the callee reads (``self.name`` -> ``obj.name``)."""
    if owner is None:
        return {}
    wanted = {t.param for h in summary.hits for t in (h.taint,) if t.param and t.param.startswith("self.")}
    wanted |= {t.param for t in summary.returns if t.param and t.param.startswith("self.")}
    wanted |= {t.param for _, val in summary.fields for t in val if t.param and t.param.startswith("self.")}
    found: dict[str, Value] = {}
    for param in wanted:
        key = owner + param[4:]
        if key in ev.env.values:
            found[param] = ev.env.values[key]
        elif ev.own_field(key):
            found[param] = symbolic(key)
    return found


def _constructed(ev: Evaluator, node: ast.Call, cls: RepoClass, facts: CallFacts, via: str | None = None) -> None:
    """``Store(user_path)``: sinks inside ``__init__`` are reached; what it keeps on ``self`` goes to the new object."""
    init = ev.engine.member_call(cls, "", "__init__").function
    if init is not None and init.file and (facts.args or facts.keywords):
        _summarised(ev, node, replace(init, receiver=cls, implicit_first=True), facts, via, constructing=True)
    elif init is None and (facts.args or facts.keywords):
        fields = _declared_fields(ev.engine.declared_fields(cls), node, facts)
        if fields:
            ev.new_fields[id(node)] = fields


def _declared_fields(names: tuple[str, ...], node: ast.Call, facts: CallFacts) -> dict[str, Value]:
    """A dataclass / model built from arguments (``Item(name=x)``, ``Item(**data)``): each field's value."""
    found: dict[str, Value] = {}
    for name, arg, val in zip(names, node.args, facts.args):
        if isinstance(arg, ast.Starred):
            break
        if val:
            found[name] = val
    for index, keyword in enumerate(node.keywords):
        if keyword.arg is None:  # ``**data``: any field may come from it
            val = facts.keywords.get(f"**{index}", CLEAN)
            for name in names:
                if val:
                    found[name] = union(found.get(name, CLEAN), val)
        elif keyword.arg in names and facts.keywords.get(keyword.arg):
            found[keyword.arg] = facts.keywords[keyword.arg]
    return found


def _carried(flow: Taint, bindings: dict[str, Value], step: PathStep) -> list[Taint]:
    """The callee's *flow* in the caller's terms: its parameter replaced by the argument's taint."""
    if flow.param is None:
        return [relocated(flow, step)]
    found = [compose(actual, flow, step) for actual in bindings.get(flow.param, CLEAN)]
    return [t for t in found if t is not None]


def _passed(function: FunctionNode, implicit_first: bool) -> list[str]:
    """The positional parameters a call site fills (``self``/``cls`` is not one when given implicitly)."""
    positional = positional_names(function)
    return positional[1:] if implicit_first else positional


def bind_arguments(function: FunctionNode, node: ast.Call, facts: CallFacts, implicit_first: bool) -> dict[str, Value]:
    """Which argument value each parameter of *function* receives at *node*."""
    positional = _passed(function, implicit_first)
    named = set(positional) | {a.arg for a in function.args.kwonlyargs}
    vararg = function.args.vararg.arg if function.args.vararg else None
    kwarg = function.args.kwarg.arg if function.args.kwarg else None
    bound: dict[str, Value] = {}

    def give(name: str | None, val: Value) -> None:
        if name is not None and val:
            bound[name] = union(bound.get(name, CLEAN), val)

    for index, (arg, val) in enumerate(zip(node.args, facts.args)):
        if isinstance(arg, ast.Starred):
            for name in [*positional[index:], vararg]:
                give(name, val)
            break
        give(positional[index] if index < len(positional) else vararg, val)
    for keyword in node.keywords:
        val = facts.keywords.get(keyword.arg or "", CLEAN) if keyword.arg else _double_star(node, keyword, facts)
        if keyword.arg is None:
            for name in [*named, kwarg]:
                give(name, val)
        else:
            give(keyword.arg if keyword.arg in named else kwarg, val)
    return bound


def _double_star(node: ast.Call, keyword: ast.keyword, facts: CallFacts) -> Value:
    return facts.keywords.get(f"**{node.keywords.index(keyword)}", CLEAN)


def _request_arguments(
    ev: Evaluator, node: ast.Call, function: FunctionNode, ref: FunctionRef
) -> frozenset[tuple[str, str]]:
    """Parameters that receive the request object itself (``helper(request)``)."""
    positional = _passed(function, ref.implicit_first)
    found: set[tuple[str, str]] = set()
    for index, arg in enumerate(node.args):
        obj_type = ev.type_of(arg)
        if isinstance(obj_type, RequestObject) and index < len(positional):
            found.add((positional[index], obj_type.framework))
    for keyword in node.keywords:
        obj_type = ev.type_of(keyword.value)
        if keyword.arg and isinstance(obj_type, RequestObject):
            found.add((keyword.arg, obj_type.framework))
    return frozenset(found)


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
