"""Parse Python source of any version into a stdlib ``ast`` tree.

The stdlib parser only knows the syntax of the running interpreter, but scanned
repositories may use newer syntax (PEP 701 f-strings, ``type`` aliases and type
parameters from 3.12, ``except*`` from 3.11 when we run on 3.10). tree-sitter
parses every version, so when ``ast`` refuses a file we ask tree-sitter whether
it is valid at all; if it is, we rewrite just the newer constructs into older
equivalents that keep every line number, and parse again. Everything downstream
then works on one tree type.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter
import tree_sitter_python


class ParseFailure(Exception):
    """The source is not valid Python of any version (or could not be down-levelled)."""


@dataclass(frozen=True)
class Parsed:
    tree: ast.Module
    parser: str  # "ast" when the running interpreter parsed it, "tree-sitter" when down-levelled


@dataclass(frozen=True)
class _Edit:
    start: int  # byte offsets into the UTF-8 source
    end: int
    text: bytes


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))


def parse_source(source: str, filename: str = "<unknown>") -> Parsed:
    """Return the ``ast`` tree of *source*, down-levelling newer syntax when needed."""
    try:
        return Parsed(ast.parse(source, filename=filename), "ast")
    except SyntaxError as exc:
        first_error = exc
    except ValueError as exc:  # e.g. NUL bytes
        raise ParseFailure(f"cannot parse: {exc}") from exc
    data = source.encode("utf-8")
    tree = _parser().parse(data)
    if tree.root_node.has_error:
        raise ParseFailure(_describe(first_error)) from first_error
    rewritten = _apply(data, 0, len(data), _edits(tree.root_node, data)).decode("utf-8")
    try:
        return Parsed(ast.parse(rewritten, filename=filename), "tree-sitter")
    except SyntaxError as exc:
        raise ParseFailure(
            f"valid Python, but syntax newer than this interpreter could not be converted: {_describe(exc)}"
        ) from exc


def _describe(exc: SyntaxError) -> str:
    return f"syntax error at line {exc.lineno}: {exc.msg}"


def _edits(root: tree_sitter.Node, data: bytes) -> list[_Edit]:
    """Collect non-overlapping rewrites for constructs older parsers reject, outermost first."""
    edits: list[_Edit] = []
    stack = [root]
    while stack:
        node = stack.pop()
        edit = _rewrite(node, data)
        if edit is not None:
            edits.append(edit)
            continue  # the rewrite already handled everything inside this node
        stack.extend(reversed(node.children))
    return sorted(edits, key=lambda e: e.start)


def _rewrite(node: tree_sitter.Node, data: bytes) -> _Edit | None:
    if node.type == "string" and _is_interpolated(node) and not _old_parser_accepts(node.text or b""):
        return _Edit(node.start_byte, node.end_byte, _fstring_as_call(node, data))
    if node.type == "type_alias_statement":
        name = node.children[1].text or b"_"
        name = name.split(b"[", 1)[0]
        return _Edit(node.start_byte, node.end_byte, name + b" = None" + b"\n" * _newlines(node))
    if node.type == "type_parameter" and node.parent is not None and node.parent.type in (
        "function_definition",
        "class_definition",
    ):
        return _Edit(node.start_byte, node.end_byte, b" " * (node.end_byte - node.start_byte) if not _newlines(node) else b"")
    if node.type == "*" and node.parent is not None and node.parent.type == "except_clause":
        return _Edit(node.start_byte, node.end_byte, b" ")
    return None


def _is_interpolated(node: tree_sitter.Node) -> bool:
    start = node.children[0] if node.children else None
    prefix = (start.text or b"").lower() if start is not None else b""
    return b"f" in prefix or b"t" in prefix


@lru_cache(maxsize=4096)
def _old_parser_accepts(text: bytes) -> bool:
    try:
        ast.parse(b"(" + text + b")", mode="eval")
    except SyntaxError:
        return False
    return True


def _fstring_as_call(node: tree_sitter.Node, data: bytes) -> bytes:
    """``f"{a["k"]} {b}"`` becomes ``str((a["k"], b,))``: same names, same line count."""
    parts: list[bytes] = []
    for child in node.children:
        if child.type != "interpolation":
            continue
        expression = next(
            (c for c in child.named_children if c.type not in ("type_conversion", "format_specifier")), None
        )
        if expression is not None:
            parts.append(_apply(data, expression.start_byte, expression.end_byte, _edits(expression, data)))
    body = b"".join(part + b", " for part in parts)
    missing = _newlines(node) - body.count(b"\n")
    return b"str((" + body + b"\n" * max(missing, 0) + b"))"


def _newlines(node: tree_sitter.Node) -> int:
    return node.end_point[0] - node.start_point[0]


def _apply(data: bytes, start: int, end: int, edits: list[_Edit]) -> bytes:
    out: list[bytes] = []
    cursor = start
    for edit in edits:
        if edit.start < cursor or edit.end > end:
            continue
        out.append(data[cursor : edit.start])
        out.append(edit.text)
        cursor = edit.end
    out.append(data[cursor:end])
    return b"".join(out)
