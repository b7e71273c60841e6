"""Files a handler writes: into code or template paths, or to read back and deserialise.

Two questions, both answered from the syntax of the one function being walked
(bounded: no other function is searched, and a local's value is its last plain
assignment or ``with ... as`` before the call):

- Does request data become the *content* of a file whose path names code or a
  template (``.py``, ``.html``, ``.j2``, a ``templates/`` folder)? Writing it is
  code injection even when the path itself is fixed (CWE 94).
- Is the file a deserialiser reads one the same function saved from the
  request (``upload.save(p)`` ... ``pickle.load(open(p, "rb"))``)? Then the
  upload's taint reaches the deserialiser, although the path is clean.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Callable, Iterator

from .taint import CLEAN, Value, union

if TYPE_CHECKING:
    from .sinks import CallFacts

CODE_TARGET = re.compile(
    r"(\.(py|pyw|pth|pyc|html?|xhtml|j2|jinja2?|tpl|tmpl|mako|jsp|php|sh|bash|cgi|wsgi)$|(^|/)templates?/)",
    re.IGNORECASE,
)
"""Paths whose content is executed or rendered as a template."""

_OPENERS = frozenset({"open", "fdopen"})
_WRITE_MODE = re.compile(r"[wax+]")
_READERS = frozenset({"read", "read_bytes", "read_text", "getvalue"})
_SAVERS = frozenset({"save", "save_as", "write_to"})
_MAX_CACHED = 2048

Binding = tuple[int, ast.expr]
Constant = Callable[[ast.expr], str]
_bindings: dict[int, tuple[ast.AST, dict[str, list[Binding]]]] = {}


# -- the function's own syntax ------------------------------------------------------------


def assigned(scope: ast.AST | None, name: str, line: int) -> ast.expr | None:
    """The expression last assigned to local *name* before *line* (``x = ...``, ``with ... as x``)."""
    if scope is None:
        return None
    found = [b for b in _table(scope).get(name, ()) if b[0] < line]
    return max(found, key=lambda b: b[0])[1] if found else None


def _table(scope: ast.AST) -> dict[str, list[Binding]]:
    cached = _bindings.get(id(scope))
    if cached is not None and cached[0] is scope:
        return cached[1]
    table: dict[str, list[Binding]] = {}
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            table.setdefault(node.targets[0].id, []).append((node.lineno, node.value))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            table.setdefault(node.target.id, []).append((node.lineno, node.value))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name):
                    table.setdefault(item.optional_vars.id, []).append((node.lineno, item.context_expr))
    if len(_bindings) > _MAX_CACHED:
        _bindings.clear()
    _bindings[id(scope)] = (scope, table)
    return table


def _unwrapped(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Await):
        node = node.value
    return node


def _followed(node: ast.expr, scope: ast.AST | None, line: int) -> ast.expr:
    """A local replaced by what was assigned to it (one step)."""
    node = _unwrapped(node)
    if isinstance(node, ast.Name):
        bound = assigned(scope, node.id, line)
        if bound is not None:
            return _unwrapped(bound)
    return node


def path_text(
    node: ast.expr, scope: ast.AST | None, line: int, constant: Constant | None = None, depth: int = 0
) -> str:
    """The fixed text of a path expression, "{}" standing for what is not known."""
    node = _unwrapped(node)
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else "{}"
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)  # type: ignore[misc]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
        glue = "/" if isinstance(node.op, ast.Div) else ""
        return (
            path_text(node.left, scope, line, constant, depth)
            + glue
            + path_text(node.right, scope, line, constant, depth)
        )
    if isinstance(node, ast.Call) and _tail(node.func) in ("join", "Path", "PurePath", "joinpath", "PosixPath"):
        parts = ([node.func.value] if _tail(node.func) == "joinpath" else []) + list(node.args)  # type: ignore[attr-defined]
        return "/".join(path_text(p, scope, line, constant, depth) for p in parts)
    if isinstance(node, ast.Name) and depth < 3:
        bound = assigned(scope, node.id, line)
        if bound is not None:
            return path_text(bound, scope, line, constant, depth + 1)
        if constant is not None:
            return constant(node)
    return "{}"


def _tail(node: ast.expr) -> str | None:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None


def _opened_path(node: ast.expr, scope: ast.AST | None, line: int, writing: bool | None) -> ast.expr | None:
    """The path of ``open(path, mode)`` / ``Path(p).open(mode)`` that *node* is (or is bound to)."""
    node = _followed(node, scope, line)
    if not isinstance(node, ast.Call):
        return None
    tail = _tail(node.func)
    if tail in _OPENERS and isinstance(node.func, ast.Name | ast.Attribute):
        target = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "file"), None)
        mode_node = (
            node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
        )
        if isinstance(node.func, ast.Attribute) and tail == "open" and _tail(node.func.value) != "io":
            if not node.args or _mode_literal(node.args[0]):
                target = node.func.value  # ``Path(p).open("wb")``: the receiver is the path
                mode_node = node.args[0] if node.args else mode_node
        mode = mode_node.value if isinstance(mode_node, ast.Constant) and isinstance(mode_node.value, str) else "r"
        if writing is not None and writing != bool(_WRITE_MODE.search(mode)):
            return None
        return target
    return None


def _mode_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(_MODE.match(node.value))


_MODE = re.compile(r"^[rwxabtU+]{1,4}$")


# -- request data written into code ------------------------------------------------------------


def handle_content_into_code(facts: CallFacts) -> Value:
    """``f.write(data)`` where ``f = open("app/templates/x.html", "w")``: the data, if the path names code."""
    func = facts.node.func
    if not isinstance(func, ast.Attribute):
        return CLEAN
    target = _opened_path(func.value, facts.scope, facts.node.lineno, writing=True)
    if target is None or not _names_code(target, facts):
        return CLEAN
    return union(CLEAN, *facts.args[:1])


def path_content_into_code(facts: CallFacts) -> Value:
    """``Path("templates/x.html").write_text(data)``: the data, if the receiver path names code."""
    func = facts.node.func
    if not isinstance(func, ast.Attribute) or not _names_code(func.value, facts):
        return CLEAN
    return union(CLEAN, *facts.args[:1], *(v for k, v in facts.keywords.items() if k in ("data", "text")))


def upload_into_code(facts: CallFacts) -> Value:
    """``upload.save("plugins/x.py")``: the upload, if the destination names code."""
    node, _ = facts.argument(0, "dst")
    if node is None or not _names_code(node, facts):
        return CLEAN
    return facts.receiver


def _names_code(path: ast.expr, facts: CallFacts) -> bool:
    text = path_text(path, facts.scope, facts.node.lineno, facts.constant)
    return bool(CODE_TARGET.search(text.replace("\\", "/")))


# -- a saved upload read back ------------------------------------------------------------


def written_back(facts: CallFacts, argument: ast.expr | None) -> Value:
    """The request data an earlier statement of this function wrote to the file *argument* reads.

    *argument* is what the deserialiser gets: a path (``joblib.load(p)``), an open
    handle (``pickle.load(fh)`` with ``fh = open(p, "rb")``) or ``open(p, "rb")`` itself.
    """
    if argument is None or facts.scope is None:
        return CLEAN
    line = facts.node.lineno
    argument = _followed(argument, facts.scope, line)
    if isinstance(argument, ast.Call) and _tail(argument.func) in _READERS and isinstance(argument.func, ast.Attribute):
        argument = argument.func.value  # ``fh.read()``, ``Path(p).read_bytes()``
    opened = _opened_path(argument, facts.scope, line, writing=False)
    keys = _keys(opened if opened is not None else argument, facts.scope, line)
    if not keys:
        return CLEAN
    found = [
        facts.evaluate(content) for path, content in _writes(facts.scope, line) if _keys(path, facts.scope, line) & keys
    ]
    return union(CLEAN, *found)


def _keys(node: ast.expr, scope: ast.AST, line: int) -> set[str]:
    """What identifies a path expression: its own syntax and, for a local, what was assigned to it."""
    node = _unwrapped(node)
    if isinstance(node, ast.Constant):
        return {ast.dump(node)}
    if isinstance(node, ast.Call) and _tail(node.func) in ("Path", "PurePath") and len(node.args) == 1:
        return _keys(node.args[0], scope, line)  # ``Path(p)`` names the same file as ``p``
    keys = {ast.dump(node)}
    followed = _followed(node, scope, line)
    if followed is not node:
        keys.add(ast.dump(followed))
    return keys if not isinstance(node, ast.Call) or _tail(node.func) not in _OPENERS else set()


def _writes(scope: ast.AST, line: int) -> Iterator[tuple[ast.expr, ast.expr]]:
    """(path, content) of each file write in *scope* before *line*."""
    for node in ast.walk(scope):
        if not isinstance(node, ast.Call) or node.lineno >= line or not isinstance(node.func, ast.Attribute):
            continue
        method = node.func.attr
        if method in _SAVERS:
            path = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "dst"), None)
            contents = [node.func.value, *node.args[1:2]]  # ``upload.save(path)``, ``storage.save(name, upload)``
            for content in contents:
                if path is not None:
                    yield path, content
                yield node, content  # ``name = storage.save(...)`` names the stored file
        elif method in ("write", "writelines") and node.args:
            path = _opened_path(node.func.value, scope, node.lineno, writing=True)
            if path is not None:
                yield path, node.args[0]
        elif method in ("write_bytes", "write_text") and node.args:
            yield node.func.value, node.args[0]
        elif method == "copyfileobj" and len(node.args) > 1:
            path = _opened_path(node.args[1], scope, node.lineno, writing=True)
            if path is not None:
                yield path, node.args[0]
        elif method == "urlretrieve" and len(node.args) > 1:
            yield node.args[1], node.args[0]
