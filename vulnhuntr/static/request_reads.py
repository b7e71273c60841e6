"""Request sources: which attribute reads are data the client sent (``request.args``, a form's cleaned data).

Asked by the evaluator (``Evaluator.source``) for every attribute it evaluates; the answer depends on
the object's type (a request object of the route's framework, a repository form class) and the frame.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ..repo.index import dotted
from .env import ObjType, RepoClass, RequestObject
from .frame import PATH_ATTRIBUTES
from .sources import FIELD_DATA, FORM_DATA, FORM_VALIDATORS, SELF_SOURCES, request_attributes
from .taint import Source, Value, from_source
from .walked import walked

if TYPE_CHECKING:
    from .expressions import Evaluator


def source(ev: Evaluator, node: ast.Attribute, owner: ObjType | None = None, typed: bool = False) -> Value | None:
    """Request data read by ``<request>.<attribute>`` (or ``self.get_argument`` in tornado).

    *owner* is ``type_of(node.value)`` when the caller has it already (*typed*); it is
    asked again only when asking evaluates something (see :func:`evaluates_nothing`).
    """
    if not (typed and evaluates_nothing(node.value)):
        owner = ev.type_of(node.value)
    if isinstance(owner, RequestObject) and node.attr in request_attributes(owner.framework):
        if node.attr in PATH_ATTRIBUTES and ev.frame.fixed_path:
            return None  # the route fixes every character of the path
        return _read(ev, node)
    if isinstance(node.value, ast.Name) and node.value.id == "self" and not ev.env.is_local("self"):
        if node.attr in SELF_SOURCES.get(ev.frame.framework or "", ()):
            return _read(ev, node)
    if _form_data(ev, node, owner):
        return _read(ev, node)
    return None


def _form_data(ev: Evaluator, node: ast.Attribute, owner: ObjType | None) -> bool:
    """``form.cleaned_data``, ``serializer.validated_data``, ``form.comment.data`` of a form instance."""
    if not evaluates_nothing(node.value):
        owner = ev.type_of(node.value)  # a lookup by key: its key is evaluated again, as it always was
    if isinstance(owner, RepoClass):
        kind = ev.engine.form_kind(owner)
        if kind is not None and node.attr in FORM_DATA[kind]:
            return True
    if node.attr in FIELD_DATA and isinstance(node.value, ast.Attribute):
        form = ev.type_of(node.value.value)
        if not isinstance(form, RepoClass) or ev.engine.form_kind(form) != "wtforms":
            return False
        if node.attr == "data" and ev.engine.bounded_field(form, node.value.attr):
            return not _validates(ev)
        return True
    return False


def _validates(ev: Evaluator) -> bool:
    """This function validates a form (``form.validate_on_submit()``), so choice fields hold a listed choice."""
    return any(
        isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in FORM_VALIDATORS
        for sub in walked(ev.frame.node)
    )


def _read(ev: Evaluator, node: ast.Attribute) -> Value:
    text = dotted(node) or f"{ast.unparse(node.value)}.{node.attr}"
    return from_source(Source(ev.frame.file, node.lineno, text))


def evaluates_nothing(node: ast.expr) -> bool:
    """Does ``type_of(node)`` only read state? Not for a lookup by key, whose key it evaluates.

    Where it only reads, a second ask between the same two states gives the same answer,
    so a caller that has the answer passes it on instead of asking again.
    """
    while isinstance(node, ast.Await):
        node = node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return evaluates_nothing(node.left)
    return not isinstance(node, ast.Subscript)
