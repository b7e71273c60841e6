"""Is an expression text, or text with HTML markup? What a generic response or a sink condition asks.

Known from the syntax (literals, f-strings, ``+`` and ``%`` of text) and from the evaluator's state
(names bound to text or HTML, request parameters, functions known to return text).
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from .env import RequestObject
from .sanitizers import PASSTHROUGH_METHODS
from .sources import TEXT_ATTRIBUTES, TEXT_FUNCTIONS, TEXT_MAPPINGS, TEXT_METHODS

if TYPE_CHECKING:
    from .expressions import Evaluator

_HTML_TAG = re.compile(r"<\s*[A-Za-z!/][^>]*>|<\s*[A-Za-z]+")


def is_text(ev: Evaluator, node: ast.expr) -> bool:
    """Is *node* known to be a str/bytes (built here, or a request parameter read)?"""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, bytes))
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Name):
        return node.id in ev.env.text
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add):
            return is_text(ev, node.left) or is_text(ev, node.right)
        return isinstance(node.op, ast.Mod) and is_text(ev, node.left)
    if isinstance(node, ast.IfExp):
        return is_text(ev, node.body) or is_text(ev, node.orelse)
    if isinstance(node, ast.BoolOp):
        return any(is_text(ev, v) for v in node.values)
    if isinstance(node, ast.Await):
        return is_text(ev, node.value)
    if isinstance(node, ast.Subscript):
        return is_text(ev, node.value) or _text_container(ev, node.value)
    if isinstance(node, ast.Attribute):
        return node.attr in TEXT_ATTRIBUTES and _is_request(ev, node.value)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in TEXT_METHODS:
                return True
            if func.attr in ("get", "get_argument", "get_query_argument", "get_body_argument", "get_cookie"):
                return _text_container(ev, func.value) or _is_request(ev, func.value)
            if func.attr == "get_data":
                return _is_request(ev, func.value)
        return ev.qualify(func) in TEXT_FUNCTIONS
    return False


def _text_container(ev: Evaluator, node: ast.expr) -> bool:
    """``request.args``, ``request.cookies``, ``request.GET``: mappings of request strings."""
    return isinstance(node, ast.Attribute) and node.attr in TEXT_MAPPINGS and _is_request(ev, node.value)


def _is_request(ev: Evaluator, node: ast.expr) -> bool:
    if isinstance(node, ast.Name) and node.id == "self" and ev.frame.framework == "tornado":
        return True
    return isinstance(ev.type_of(node), RequestObject)


def is_html(ev: Evaluator, node: ast.expr) -> bool:
    """Is *node* a string built with HTML markup (so a generic response renders it as HTML)?"""
    if isinstance(node, ast.Name):
        return node.id in ev.env.html
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(_HTML_TAG.search(node.value))
    builds = isinstance(node, (ast.JoinedStr, ast.BinOp)) or (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in PASSTHROUGH_METHODS
    )
    if builds:
        return any(
            is_html(ev, sub)
            for sub in ast.walk(node)
            if sub is not node and isinstance(sub, (ast.Constant, ast.Name))
        )
    return False
