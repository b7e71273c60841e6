"""Evaluating expressions to taint: propagation through strings, containers and attributes.

Calls are delegated to :mod:`.calls`; this module knows how data moves through
everything else (f-strings, ``+``, ``%``, ``/``, literals, comprehensions,
subscripts, attributes of tainted objects) and recognises request sources.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Callable, Iterable

from ..repo.index import dotted, expression_text
from . import calls, containers, dispatch, guards, request_reads, text_kinds
from .constants import GLOBAL, UNKNOWN, fold
from .env import Env, External, ObjType, RepoClass, RequestObject
from .frame import Frame
from .hits import Hit, Sink
from .sources import SELF_REQUEST
from ..findings import PathStep
from .request_reads import evaluates_nothing
from .walked import walked
from .taint import (
    CLEAN,
    MARKUP_STEP,
    Taint,
    Value,
    has_markup,
    marked,
    prefixed,
    prefixed_cut,
    symbolic,
    union,
    with_key,
)

if TYPE_CHECKING:
    from .engine import Engine

_HTML_TAG = re.compile(r"<\s*[A-Za-z!/][^>]*>|<\s*[A-Za-z]+")
_UNSEEN = object()
_HANDLERS: dict[type, Callable[..., Value] | None | object] = {}
"""Node class -> the ``Evaluator`` method for it (None: evaluate the children)."""


def name_text(node: ast.AST) -> str | None:
    """``dotted(node)``, with a bare name (the usual case, asked again and again) answered at once."""
    return node.id if type(node) is ast.Name else dotted(node)


class Evaluator:
    """Evaluates the expressions of one function against its current :class:`Env`."""

    def __init__(self, engine: Engine, frame: Frame, env: Env) -> None:
        self.engine = engine
        self.frame = frame
        self.env = env
        self.line = frame.node.lineno
        self.hits: set[Hit] = set()
        self.returns: list[Value] = []
        self._call_types: dict[int, ObjType | dispatch.PendingType | None] = {}
        self.new_fields: dict[int, dict[str, Value]] = {}  # constructor call -> fields its __init__ set
        self.local_defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}  # functions defined in this one
        self.inlined: list[ast.FunctionDef | ast.AsyncFunctionDef] = []  # local functions being walked now

    # dispatch ---------------------------------------------------------------------
    def eval(self, node: ast.expr) -> Value:
        kind = type(node)
        handler = _HANDLERS.get(kind, _UNSEEN)
        if handler is _UNSEEN:  # the method for a node class is looked up once per run of the interpreter
            handler = _HANDLERS[kind] = getattr(Evaluator, "_" + kind.__name__, None)
        if handler is not None:
            return handler(self, node)  # type: ignore[operator]
        return union(CLEAN, *(self.eval(c) for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)))

    def qualify(self, node: ast.expr) -> str | None:
        """The qualified name of a dotted expression not shadowed by a local."""
        text = name_text(node)
        if text is None or self.env.is_local(text.split(".", 1)[0]):
            return None
        return self.engine.qualify(text, self.frame.file, self.line)

    def record(self, sink: Sink, taints: Iterable[Taint]) -> None:
        """A hit for each of *taints* that can still cause the sink's kind of vulnerability."""
        self.hits.update(Hit(sink, t) for t in taints if sink.vuln in t.kinds)

    # leaves -------------------------------------------------------------------------
    def _Constant(self, node: ast.Constant) -> Value:
        return CLEAN

    def _Name(self, node: ast.Name) -> Value:
        return self.env.get(node.id)

    def _Lambda(self, node: ast.Lambda) -> Value:
        return CLEAN

    def _Attribute(self, node: ast.Attribute) -> Value:
        key = dotted(node)
        if key is not None and key in self.env.values:
            return self.env.get(key)
        source = self.source(node)
        if source is not None:
            return source
        if key is not None and self.own_field(key):
            return symbolic(key)  # whatever the caller's object holds there
        return self.eval(node.value)  # an attribute of tainted data is tainted data

    def own_field(self, key: str) -> bool:
        """``self.name`` read in a method summary: a field the caller's object may have filled."""
        frame = self.frame
        return (
            not frame.entry
            and key.startswith("self.")
            and key.count(".") == 1
            and frame.is_method
            and not self.env.is_local("self")
        )

    def _Subscript(self, node: ast.Subscript) -> Value:
        base = self.eval(node.value)
        self.eval(node.slice)
        slot = containers.read(self, node)
        if slot is not None:
            return slot
        if base and isinstance(node.slice, ast.Slice) and node.slice.lower is not None:
            return prefixed_cut(base)  # ``text[4:]`` may cut off the fixed text in front
        if base and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            return with_key(base, node.slice.value, node.lineno)
        return base

    # strings and operators ------------------------------------------------------------
    def _JoinedStr(self, node: ast.JoinedStr) -> Value:
        prefix, parts, first = "", [], None
        for part in node.values:
            inner = part.value if isinstance(part, ast.FormattedValue) else part
            val = self.eval(part) if not isinstance(part, ast.Constant) else CLEAN
            if val:
                parts.append(prefixed(val, prefix))
                first = first or inner
            prefix += self.literal(inner) if not val else "{}"
        if parts and has_markup(prefix):
            parts = [self._marked(p, prefix, node, first) for p in parts]
        return union(CLEAN, *parts)

    def _marked(self, val: Value, text: str, node: ast.expr, at: ast.expr | None = None) -> Value:
        """*val* put into *text* by *node*: a markup step on the path (at the line of *at*, the tainted part)."""
        if not val or not has_markup(text):
            return val
        file, line = self.frame.file, getattr(at, "lineno", node.lineno)
        return marked(val, text, lambda: PathStep(file, line, MARKUP_STEP + expression_text(node, 80)))

    def literal(self, node: ast.expr) -> str:
        """The fixed text of *node*: a string literal or a module constant ("{}" when unknown)."""
        if isinstance(node, ast.Constant):
            return str(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.literal(node.left) + self.literal(node.right)
        if isinstance(node, ast.Name) and not self.env.is_local(node.id):
            text = self.engine.constant_text(node.id, self.frame.file, self.line)
            if text is not None:
                return text
        return "{}"

    def _FormattedValue(self, node: ast.FormattedValue) -> Value:
        if node.format_spec is not None:
            self.eval(node.format_spec)
        return self.eval(node.value)

    def _BinOp(self, node: ast.BinOp) -> Value:
        left, right = self.eval(node.left), self.eval(node.right)
        if isinstance(node.op, ast.Add):
            around = self.literal(node.left) + self.literal(node.right)
            left, right = self._marked(left, around, node), self._marked(right, around, node)
            return union(left, prefixed(right, self.literal(node.left) if not left else "{}"))
        if isinstance(node.op, ast.Div):
            return union(left, prefixed(right, "{}/"))
        if isinstance(node.op, ast.Mod):
            right = self._marked(right, self.literal(node.left), node)
            return union(left, prefixed(right, self.literal(node.left).split("%", 1)[0] or "{}"))
        return union(left, right)

    def _BoolOp(self, node: ast.BoolOp) -> Value:
        return union(*(self.eval(v) for v in node.values))

    def _UnaryOp(self, node: ast.UnaryOp) -> Value:
        operand = self.eval(node.operand)
        return CLEAN if isinstance(node.op, ast.Not) else operand

    def _Compare(self, node: ast.Compare) -> Value:
        for part in (node.left, *node.comparators):
            self.eval(part)
        return CLEAN

    def _IfExp(self, node: ast.IfExp) -> Value:
        self.eval(node.test)
        fixed = self.constant(node.test)
        if fixed is not UNKNOWN:
            return self.eval(node.body if fixed else node.orelse)
        return union(self.eval(node.body), self.eval(node.orelse))

    # constants ------------------------------------------------------------------------
    def constant(self, node: ast.expr) -> object:
        """The value of *node* when the code fixes it (literals, constant locals, module str constants)."""
        return fold(node, self._constant_of)

    def _constant_of(self, name: str) -> object:
        found = self.env.constant(name)
        if found is GLOBAL:
            text = self.engine.constant_text(name, self.frame.file, self.line)
            return text if text is not None else GLOBAL
        return found

    # containers ---------------------------------------------------------------------
    def _List(self, node: ast.List | ast.Tuple | ast.Set) -> Value:
        return union(CLEAN, *(self.eval(e) for e in node.elts))

    _Tuple = _List
    _Set = _List

    def _Dict(self, node: ast.Dict) -> Value:
        for key in node.keys:
            if key is not None:
                self.eval(key)
        return union(CLEAN, *(self.eval(v) for v in node.values))

    def _ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> Value:
        return self._comprehension(node.generators, [node.elt])

    _SetComp = _ListComp
    _GeneratorExp = _ListComp

    def _DictComp(self, node: ast.DictComp) -> Value:
        return self._comprehension(node.generators, [node.value, node.key])

    def _comprehension(self, generators: list[ast.comprehension], results: list[ast.expr]) -> Value:
        saved = self.env
        self.env = saved.copy()
        try:
            for generator in generators:
                self.bind(generator.target, self.eval(generator.iter))
                for condition in generator.ifs:
                    self.eval(condition)
                    guards.assume(condition, True, self.env, self.qualify)
            return union(CLEAN, *(self.eval(r) for r in results))
        finally:
            self.env = saved

    # wrappers -----------------------------------------------------------------------
    def _Await(self, node: ast.Await) -> Value:
        return self.eval(node.value)

    def _Starred(self, node: ast.Starred) -> Value:
        return self.eval(node.value)

    def _NamedExpr(self, node: ast.NamedExpr) -> Value:
        result = self.eval(node.value)
        self.bind(node.target, result)
        return result

    def _Yield(self, node: ast.Yield | ast.YieldFrom) -> Value:
        result = self.eval(node.value) if node.value is not None else CLEAN
        self.returns.append(result)
        return CLEAN

    _YieldFrom = _Yield

    def _Call(self, node: ast.Call) -> Value:
        self.line = node.lineno
        return calls.evaluate_call(self, node)

    # binding ------------------------------------------------------------------------
    def bind(
        self, target: ast.expr, val: Value, obj_type: ObjType | None = None, source: ast.expr | None = None
    ) -> None:
        """Assign *val* to *target* (a name, a tuple of names, ``self.x``, ``d[k]``); *source* is the value's syntax."""
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.bind(element, val)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, val)
        elif isinstance(target, ast.Subscript):
            root = dotted(target.value)
            if root is not None and not containers.store(self, target, val) and val:
                self.env.add(root, val)
        elif isinstance(target, (ast.Name, ast.Attribute)):
            key = name_text(target)
            if key is not None:
                self._bind_name(key, val, obj_type, source)

    def _bind_name(self, key: str, val: Value, obj_type: ObjType | None, source: ast.expr | None) -> None:
        self.local_defs.pop(key, None)
        if "." not in key:  # a new object: the fields known for the old one are gone
            for stale in [k for k in self.env.values if k.startswith(key + ".")]:
                del self.env.values[stale]
        if source is None:
            self.env.bind(key, val, obj_type)
            return
        self.env.bind(
            key,
            val,
            obj_type,
            derived=self._tainted_names(source) if val else (),
            normalized=calls.is_normalizer(self, source),
            html=self.is_html(source),
        )
        fixed = self.constant(source)
        if fixed is not UNKNOWN:
            self.env.consts[key] = fixed
        if self.is_text(source):
            self.env.text.add(key)

    def _tainted_names(self, node: ast.expr) -> list[str]:
        return [n.id for n in walked(node) if isinstance(n, ast.Name) and self.env.get(n.id)]

    # types and sources ------------------------------------------------------------------
    def type_of(self, node: ast.expr) -> ObjType | None:
        """What object *node* evaluates to, when known (request objects, repo instances, outside objects)."""
        if isinstance(node, ast.Await):
            return self.type_of(node.value)
        if isinstance(node, ast.Call):
            found = self._call_types.get(id(node))
            if isinstance(found, dispatch.PendingType):
                found = self._call_types[id(node)] = found.resolve()
            return found
        if isinstance(node, ast.Subscript):
            return dispatch.lookup_type(self, node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # ``base / name`` of a Path is a Path
            return self._path_type(node.left)
        key = name_text(node)
        if key is None:
            return None
        if key in self.env.types:
            return self.env.types[key]
        root = key.split(".", 1)[0]
        if self.env.is_local(root):
            return self._member_type(node)
        if root in ("self", "cls"):
            return self._self_type(node, key)
        return self.engine.global_type(key, self.frame.file, self.line)

    def _path_type(self, node: ast.expr) -> ObjType | None:
        """``Path(base) / name`` is a path again (its methods are pathlib's)."""
        left = self.type_of(node)
        return left if isinstance(left, External) and left.name.startswith("pathlib.") else None

    def _member_type(self, node: ast.expr) -> ObjType | None:
        if not isinstance(node, ast.Attribute):
            return None
        base = self.type_of(node.value)
        return self.engine.attribute_type(base, node.attr) if isinstance(base, RepoClass) else None

    def _self_type(self, node: ast.expr, key: str) -> ObjType | None:
        framework = self.frame.framework
        if key.count(".") == 1 and key.endswith(".request") and framework in SELF_REQUEST:
            return RequestObject(framework or "")
        if key in ("self", "cls"):
            return self.frame.receiver
        return self._member_type(node)

    def source(self, node: ast.Attribute, owner: ObjType | None = None, typed: bool = False) -> Value | None:
        """Request data read by ``<request>.<attribute>`` (see :func:`request_reads.source`)."""
        return request_reads.source(self, node, owner, typed)

    def set_call_type(self, node: ast.Call, obj_type: ObjType | dispatch.PendingType | None) -> None:
        self._call_types[id(node)] = obj_type


    def is_text(self, node: ast.expr) -> bool:
        """Is *node* known to be a str/bytes (see :func:`text_kinds.is_text`)?"""
        return text_kinds.is_text(self, node)

    def is_html(self, node: ast.expr) -> bool:
        """Is *node* a string built with HTML markup (see :func:`text_kinds.is_html`)?"""
        return text_kinds.is_html(self, node)


__all__ = ["Evaluator", "evaluates_nothing", "name_text"]  # evaluates_nothing moved to request_reads
