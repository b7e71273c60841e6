"""HTML responses built in Python: where request text reaches a page unescaped (XSS, CWE-79).

Flask, Quart and Bottle send a view's returned ``str`` as ``text/html``; Flask's
``Response``/``make_response`` and Django's ``HttpResponse`` default to
``text/html`` too. So request text formatted or concatenated into such a body
is reflected XSS unless an escaper ran first (:mod:`.sanitizers`) or the
response declares a non-HTML content type. What counts as text (a string built
here, a request parameter read) is decided by the evaluator's ``is_text``.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING

from ..findings import VulnType
from .callee import Site, resolve_call
from .hits import Sink
from .taint import Value, has_markup

if TYPE_CHECKING:
    from .expressions import Evaluator

HTML_VIEWS = frozenset({"flask", "quart", "bottle"})
"""Frameworks that send a returned ``str`` as ``text/html``."""

JSON_RESOURCES = frozenset(
    "flask_restful.Resource flask_restx.Resource flask_restplus.Resource flask_restful.resource.Resource".split()
)
"""Class-based views whose return values are serialised as JSON, not sent as HTML."""

HTML_DEFAULT_RESPONSES = frozenset(
    """
    flask.Response flask.wrappers.Response flask.make_response flask.helpers.make_response
    quart.Response quart.wrappers.Response quart.make_response quart.helpers.make_response
    django.http.HttpResponse django.http.response.HttpResponse
    """.split()
)
"""Response constructors whose content type is ``text/html`` unless the call says otherwise."""

_BODY_KEYWORDS = ("response", "content", "body")
_TYPE_KEYWORDS = ("mimetype", "content_type", "media_type")
RETURN_LABEL = "HTML response returned by the view"
CALL_LABEL = "HTML response"


def returned(ev: Evaluator, node: ast.Return, val: Value) -> None:
    """``return f"<p>{name}</p>"`` (or ``return text, 200``) in a view of an HTML-by-default framework."""
    frame = ev.frame
    value = node.value
    if value is None or ev.inlined or not (frame.entry and frame.framework in HTML_VIEWS and val):
        return
    if frame.receiver is not None and JSON_RESOURCES.intersection(ev.engine.bases(frame.receiver)):
        return
    body = value.elts[0] if isinstance(value, ast.Tuple) and value.elts else value
    if body is not value and declares_other_type(value.elts[1:]):  # type: ignore[attr-defined]
        return
    tainted = ev.eval(body) if body is not value else val
    markup = ev.is_html(body) or _helper_markup(ev, body)
    if not (markup or ev.is_text(body)):
        return
    sink = Sink.at(frame.file, node, VulnType.XSS, 79, RETURN_LABEL, 6 if markup else 5, shown=body)
    ev.record(sink, tainted)


def _helper_markup(ev: Evaluator, body: ast.expr) -> bool:
    """``return pages.not_found(request.path)``: a repository helper that returns HTML it formats itself."""
    if not isinstance(body, ast.Call):
        return False
    callee = resolve_call(body.func, Site(ev.frame.module, body.lineno, ev.env, ev.frame.receiver, ev.frame.qualname),
                          ev.engine, ev.type_of(body.func.value) if isinstance(body.func, ast.Attribute) else None)
    ref = callee.function
    function = ev.engine.function_def(ref.file, ref.qualname) if ref is not None else None
    return function is not None and returns_markup(function)


def returns_markup(function: ast.AST) -> bool:
    """Every ``return`` of *function* is a string it builds (f-string, ``+``, ``%``), one of them with HTML tags."""
    returns = [r for r in _own_nodes(function) if isinstance(r, ast.Return)]
    if not returns or any(r.value is None or not _built_text(r.value) for r in returns):
        return False
    return any(
        isinstance(c, ast.Constant) and isinstance(c.value, str) and has_markup(c.value)
        for r in returns
        for c in ast.walk(r.value)  # type: ignore[arg-type]
    )


def _built_text(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _built_text(node.left) or _built_text(node.right) or isinstance(node.left, ast.Constant)
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _own_nodes(function: ast.AST) -> list[ast.AST]:
    """The nodes of *function*'s body, not of functions or classes nested in it."""
    found: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def constructed(ev: Evaluator, node: ast.Call, qualified: str | None) -> None:
    """``make_response(text)``, ``HttpResponse(text)``: text in a response that is HTML by default."""
    if qualified not in HTML_DEFAULT_RESPONSES:
        return
    if any(k.arg in _TYPE_KEYWORDS and not _html_type(k.value) for k in node.keywords):
        return
    body = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg in _BODY_KEYWORDS), None)
    if body is None:
        return
    if isinstance(body, ast.Tuple) and body.elts:  # make_response((text, status, headers))
        if declares_other_type(body.elts[1:]):
            return
        body = body.elts[0]
    if declares_other_type(node.args[1:]):
        return
    markup = ev.is_html(body)
    if not (markup or ev.is_text(body)):
        return
    val = ev.eval(body)
    if val:
        sink = Sink.at(ev.frame.file, node, VulnType.XSS, 79, CALL_LABEL, 6 if markup else 5, shown=body)
        ev.record(sink, val)


def declares_other_type(parts: list[ast.expr]) -> bool:
    """Headers (a dict or a list of pairs) that set a Content-Type other than HTML."""
    for part in parts:
        for key, value in _header_pairs(part):
            if isinstance(key, ast.Constant) and str(key.value).lower() == "content-type":
                return not _html_type(value)
    return False


def _header_pairs(part: ast.expr) -> list[tuple[ast.expr, ast.expr]]:
    if isinstance(part, ast.Dict):
        return [(k, v) for k, v in zip(part.keys, part.values) if k is not None]
    if isinstance(part, (ast.List, ast.Tuple)):
        return [(e.elts[0], e.elts[1]) for e in part.elts if isinstance(e, ast.Tuple) and len(e.elts) == 2]
    return []


def _html_type(node: ast.expr) -> bool:
    """A literal content type that is HTML (a dynamic one is not assumed to be)."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and "html" in node.value.lower()


RAW_WRITERS = {"http.server": "wfile"}
"""Frameworks whose handlers write the response body to a stream attribute of ``self``."""
WRITE_LABEL = "response body written"


def written(ev: Evaluator, node: ast.Call, args: list[Value]) -> None:
    """``self.wfile.write(page.encode())`` in an ``http.server`` handler: XSS when the bytes carry HTML markup.

    The stream takes any bytes (JSON, files, text), so the hit holds only for request text that was
    put into HTML on its way (see :data:`~.taint.MARKUP_STEP`).
    """
    stream = RAW_WRITERS.get(ev.frame.framework or "")
    func = node.func
    if stream is None or not args or not args[0] or not isinstance(func, ast.Attribute):
        return
    if func.attr not in ("write", "writelines") or not isinstance(func.value, ast.Attribute):
        return
    owner = func.value
    if owner.attr != stream or not isinstance(owner.value, ast.Name) or owner.value.id != "self":
        return
    sink = Sink.at(ev.frame.file, node, VulnType.XSS, 79, WRITE_LABEL, 5)
    ev.record(replace(sink, markup_only=True), args[0])
