"""Calls into repository code: the callee's summary applied at the call site, in the caller's terms.

Arguments are bound to parameters (positional, keyword, ``*args``, ``**kwargs``), the callee's hits
and returned taint are carried back through them, and what a constructor or method keeps on ``self``
lands on the caller's object (``obj.name``) or on the new object.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING

from ..findings import PathStep, VulnType
from ..repo.frameworks.syntax import FunctionNode, positional_names
from ..repo.index import dotted
from . import ownership
from .callee import FunctionRef
from .env import ObjType, RepoClass, RequestObject
from .hits import Summary
from .sinks import CallFacts
from .taint import CLEAN, Taint, Value, compose, relocated, symbolic, union, value

if TYPE_CHECKING:
    from .expressions import Evaluator


def summarised(
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


def constructed(ev: Evaluator, node: ast.Call, cls: RepoClass, facts: CallFacts, via: str | None = None) -> None:
    """``Store(user_path)``: sinks inside ``__init__`` are reached; what it keeps on ``self`` goes to the new object."""
    init = ev.engine.member_call(cls, "", "__init__").function
    if init is not None and init.file and (facts.args or facts.keywords):
        summarised(ev, node, replace(init, receiver=cls, implicit_first=True), facts, via, constructing=True)
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
