"""Down-levelling: a tree-sitter tree of syntax newer than this interpreter, rewritten for its ``ast`` parser.

Used by :func:`vulnhuntr.repo.parse.parse_source` when ``ast`` refuses a file (see there
for what is converted and how): f-strings become placeholders turned back into the
``JoinedStr`` Python 3.12 builds, and newer statements are rewritten in place into older
equivalents that keep every line.
"""

from __future__ import annotations

import ast
import codecs
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import tree_sitter

_Expr = TypeVar("_Expr", bound=ast.expr)


@dataclass(frozen=True)
class _Edit:
    start: int  # byte offsets into the UTF-8 source
    end: int
    text: bytes


class Converter:
    """Turns one tree-sitter tree into an ``ast`` tree, converting constructs the running parser rejects."""

    def __init__(self, data: bytes, filename: str) -> None:
        self.data = data
        self.filename = filename
        self.placeholders: dict[tuple[int, int], tree_sitter.Node] = {}  # (line, col) of a placeholder name
        self.newer_lines: list[tuple[int, int]] = []  # 1-based line spans of constructs newer than the parser

    def module(self, root: tree_sitter.Node) -> ast.Module:
        text = _apply(self.data, 0, len(self.data), self._edits(root))
        tree = ast.parse(text.decode("utf-8", "surrogatepass"), filename=self.filename)
        self._substitute(tree)
        return tree

    # -- rewriting --------------------------------------------------------------------------------

    def _edits(self, top: tree_sitter.Node) -> list[_Edit]:
        """Non-overlapping rewrites inside *top* (itself included), outermost first."""
        edits: list[_Edit] = []
        stack = [top]
        while stack:
            node = stack.pop()
            edit = self._rewrite(node)
            if edit is not None:
                self.newer_lines.append(_header_lines(node))
                edits.append(edit)
                # the rewrite handled everything inside its span; an except clause keeps its body
                stack.extend(reversed([c for c in node.children if c.start_byte >= edit.end or c.end_byte <= edit.start]))
                continue
            if _is_newer_unconverted(node):
                self.newer_lines.append((node.start_point[0] + 1, node.end_point[0] + 1))
            stack.extend(reversed(node.children))
        return sorted(edits, key=lambda e: e.start)

    def _rewrite(self, node: tree_sitter.Node) -> _Edit | None:
        kind = node.type
        if kind == "concatenated_string" and any(_needs_conversion(c) for c in node.children):
            return self._placeholder(node)
        if kind == "string" and _needs_conversion(node) and not _in_concatenation(node):
            return self._placeholder(node)
        if kind == "type_alias_statement":
            name = node.children[1].text or b"_"
            name = name.split(b"[", 1)[0]
            return _Edit(node.start_byte, node.end_byte, name + b" = None" + b"\n" * _newlines(node))
        if kind == "type_parameter" and node.parent is not None and node.parent.type in (
            "function_definition",
            "class_definition",
        ):
            blank = b" " * (node.end_byte - node.start_byte) if not _newlines(node) else b""
            return _Edit(node.start_byte, node.end_byte, blank)
        if kind == "*" and node.parent is not None and node.parent.type == "except_clause":
            return _Edit(node.start_byte, node.end_byte, b" ")
        if kind == "except_clause":
            return self._parenthesise_types(node)
        return None

    def _placeholder(self, node: tree_sitter.Node) -> _Edit:
        """``(_`` … ``)`` spanning the same lines and ending at the same column as *node*."""
        (row, col), (end_row, end_col) = node.start_point, node.end_point
        if end_row == row:
            text = b"(_" + b" " * max(end_col - col - 3, 0) + b")"
        else:
            text = b"(_" + b"\n" * (end_row - row) + b" " * max(end_col - 1, 0) + b")"
        self.placeholders[(row + 1, col + 1)] = node
        return _Edit(node.start_byte, node.end_byte, text)

    def _parenthesise_types(self, node: tree_sitter.Node) -> _Edit | None:
        """``except A, B:`` (3.14) becomes ``except (A, B):``."""
        types = [c for c in node.named_children if c.type not in ("block", "comment")]
        if len(types) < 2 or any(c.type == "as_pattern" for c in types):
            return None
        start, end = types[0].start_byte, types[-1].end_byte
        inner = _apply(self.data, start, end, self._edits_within(types))
        return _Edit(start, end, b"(" + inner + b")")

    def _edits_within(self, nodes: list[tree_sitter.Node]) -> list[_Edit]:
        return sorted((e for n in nodes for e in self._edits(n)), key=lambda e: e.start)

    # -- placeholders back into f-strings ----------------------------------------------------------

    def _substitute(self, tree: ast.AST) -> ast.AST:
        """Replace every placeholder name in *tree* (iteratively: trees may be deep) by its f-string."""
        if not self.placeholders:
            return tree
        if (replacement := self._replacement(tree)) is not None:
            return replacement
        for node in ast.walk(tree):
            for field, value in ast.iter_fields(node):
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        if (replacement := self._replacement(item)) is not None:
                            value[i] = replacement
                elif (replacement := self._replacement(value)) is not None:
                    setattr(node, field, replacement)
        return tree

    def _replacement(self, value: object) -> ast.expr | None:
        if not (isinstance(value, ast.Name) and value.id == "_"):
            return None
        node = self.placeholders.pop((value.lineno, value.col_offset), None)
        return None if node is None else self._joined(node)

    def _joined(self, node: tree_sitter.Node) -> ast.JoinedStr:
        pieces = [c for c in node.children if c.type == "string"] if node.type == "concatenated_string" else [node]
        values: list[ast.expr] = []
        for piece in pieces:
            if _is_interpolated(piece):
                values.extend(self._fstring_values(piece))
            else:
                value = ast.literal_eval((piece.text or b"''").decode("utf-8", "surrogatepass"))
                if not isinstance(value, str):
                    raise SyntaxError("cannot mix bytes and nonbytes literals", self._where(piece))
                if value:
                    values.append(_located(ast.Constant(value), piece.start_point, piece.end_point))
        return _located(ast.JoinedStr(_merge(values)), node.start_point, node.end_point)

    def _fstring_values(self, piece: tree_sitter.Node) -> list[ast.expr]:
        opening, closing = piece.children[0], piece.children[-1]
        raw = b"r" in (opening.text or b"").lower()
        fields = [c for c in piece.children[1:-1] if c.type == "interpolation"]
        return self._parts(opening, fields, closing.start_byte, closing.start_point, raw)

    def _parts(
        self, after: tree_sitter.Node, fields: list[tree_sitter.Node], end: int, end_point: tree_sitter.Point, raw: bool
    ) -> list[ast.expr]:
        """Literal text and replacement fields between *after* and *end*, in order."""
        values: list[ast.expr] = []
        cursor, cursor_point = after.end_byte, after.end_point
        for field in fields:
            values.extend(self._literal(cursor, field.start_byte, cursor_point, field.start_point, raw))
            values.extend(self._field(field, raw))
            cursor, cursor_point = field.end_byte, field.end_point
        values.extend(self._literal(cursor, end, cursor_point, end_point, raw))
        return values

    def _literal(self, start: int, end: int, start_point: tree_sitter.Point, end_point: tree_sitter.Point, raw: bool) -> list[ast.expr]:
        if end <= start:
            return []
        text = _decode(self.data[start:end].decode("utf-8", "surrogatepass"), raw)
        return [_located(ast.Constant(text), start_point, end_point)] if text else []

    def _field(self, field: tree_sitter.Node, raw: bool) -> list[ast.expr]:
        """One ``{expression=!r:spec}`` as ``FormattedValue`` (preceded by its text when self-documenting)."""
        children = field.children
        expression = next(
            (c for c in children if c.is_named and c.type not in ("type_conversion", "format_specifier", "comment")),
            None,
        )
        if expression is None:
            raise SyntaxError("f-string: valid expression required before '}'", self._where(field))
        values: list[ast.expr] = []
        conversion, spec = -1, None
        debug = next((i for i, c in enumerate(children) if c.type == "=" and c.start_byte >= expression.end_byte), None)
        if debug is not None and debug + 1 < len(children):
            text = self.data[children[0].end_byte : children[debug + 1].start_byte].decode("utf-8", "surrogatepass")
            values.append(_located(ast.Constant(text), children[0].end_point, children[debug + 1].start_point))
        for child in children:
            if child.type == "type_conversion":
                conversion = ord((child.text or b"!r")[-1:].decode("ascii", "replace") or "r")
            elif child.type == "format_specifier":
                spec = self._format_spec(child, raw)
        if debug is not None and conversion == -1 and spec is None:
            conversion = ord("r")
        formatted = ast.FormattedValue(self._expression(expression), conversion, spec)
        values.append(_located(formatted, field.start_point, field.end_point))
        return values

    def _format_spec(self, spec: tree_sitter.Node, raw: bool) -> ast.JoinedStr:
        colon = spec.children[0]
        fields = [c for c in spec.children if c.type == "format_expression"]
        values = self._parts(colon, fields, spec.end_byte, spec.end_point, raw)
        return _located(ast.JoinedStr(_merge(values)), colon.start_point, spec.end_point)

    def _expression(self, node: tree_sitter.Node) -> ast.expr:
        """Parse one replacement field's expression where it stands (same line and column)."""
        row, col = node.start_point
        if col >= 1:
            prefix = b"\n" * row + b"(" + b" " * (col - 1)
        else:  # the expression starts a line: open the parenthesis on the line before
            prefix = b"\n" * (row - 1) + b"(\n"
        body = _apply(self.data, node.start_byte, node.end_byte, self._edits(node))
        text = (prefix + body + b"\n)").decode("utf-8", "surrogatepass")
        tree = ast.parse(text, filename=self.filename, mode="eval")
        expression = self._substitute(tree.body)
        assert isinstance(expression, ast.expr)
        return expression

    def _where(self, node: tree_sitter.Node) -> tuple[str, int, int, str]:
        row, col = node.start_point
        return (self.filename, row + 1, col + 1, (node.text or b"").decode("utf-8", "replace"))


def _needs_conversion(node: tree_sitter.Node) -> bool:
    return node.type == "string" and _is_interpolated(node) and not _old_parser_accepts(node.text or b"")


def _in_concatenation(node: tree_sitter.Node) -> bool:
    return node.parent is not None and node.parent.type == "concatenated_string"


def _is_newer_unconverted(node: tree_sitter.Node) -> bool:
    """Newer syntax we leave alone (PEP 646 star expressions in subscripts and annotations, 3.11)."""
    parent = node.parent
    return node.type == "splat_type" or (node.type == "list_splat" and parent is not None and parent.type == "subscript")


def _is_interpolated(node: tree_sitter.Node) -> bool:
    start = node.children[0] if node.children else None
    prefix = (start.text or b"").lower() if start is not None else b""
    return b"f" in prefix or b"t" in prefix


@lru_cache(maxsize=4096)
def _old_parser_accepts(text: bytes) -> bool:
    try:
        ast.parse(b"(" + text + b")", mode="eval")
    except (SyntaxError, ValueError):
        return False
    return True


_LITERAL_PIECE = re.compile(
    r"\\N\{[^}]*\}|\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}|\\[0-7]{1,3}|\\.|\\\n|\{\{|\}\}|[^\\{}]+|.",
    re.DOTALL,
)


def _decode(text: str, raw: bool) -> str:
    """The value of an f-string's literal text: doubled braces halved, escapes decoded unless raw."""
    if raw:
        return text.replace("{{", "{").replace("}}", "}")
    out: list[str] = []
    for match in _LITERAL_PIECE.finditer(text):
        piece = match.group()
        if piece in ("{{", "}}"):
            out.append(piece[0])
        elif piece.startswith("\\") and len(piece) > 1:
            out.append(_unescape(piece))
        else:
            out.append(piece)
    return "".join(out)


def _unescape(escape: str) -> str:
    if escape == "\\\n":
        return ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return codecs.decode(escape.encode("ascii"), "unicode_escape")
    except (UnicodeError, ValueError):
        return escape  # an unknown or malformed escape keeps its backslash, as Python does


def _merge(values: list[ast.expr]) -> list[ast.expr]:
    """Adjacent constants become one, as in the tree Python builds."""
    merged: list[ast.expr] = []
    for value in values:
        previous = merged[-1] if merged else None
        if (isinstance(value, ast.Constant) and isinstance(previous, ast.Constant)
                and isinstance(previous.value, str) and isinstance(value.value, str)):  # an f-string's text parts
            joined = ast.Constant(previous.value + value.value)
            merged[-1] = ast.copy_location(joined, previous)
            joined.end_lineno, joined.end_col_offset = value.end_lineno, value.end_col_offset
        else:
            merged.append(value)
    return merged


def _located(node: _Expr, start: tree_sitter.Point, end: tree_sitter.Point) -> _Expr:
    node.lineno, node.col_offset = start.row + 1, start.column
    node.end_lineno, node.end_col_offset = end.row + 1, end.column
    return node


def _header_lines(node: tree_sitter.Node) -> tuple[int, int]:
    """1-based lines of *node*; of a clause only its header, not its body."""
    block = next((c for c in node.children if c.type == "block"), None)
    end = block.start_point[0] if block is not None else node.end_point[0]
    return node.start_point[0] + 1, end + 1


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
