"""Which part of a process launch is dangerous: the program, or text a shell runs.

``subprocess.run(["convert", name])`` lets the user choose an argument of a
fixed program: no command injection. It is one when the user chooses the
program (``argv[0]``), when the list starts a shell or interpreter with
``-c`` and the user writes that text, or when ``shell=True`` hands a user
string to ``/bin/sh``. A list built elsewhere (``args.append(x)``) cannot be
split apart, so its taint counts unless fixed text and a space precede it
(``"ls " + x`` run without a shell: the program is ``ls``).
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Callable

from .taint import CLEAN, Value, union, value
from .written import assigned

if TYPE_CHECKING:
    from .sinks import CallFacts

SHELLS = re.compile(
    r"^(?:.*[/\\])?(?:sh|bash|zsh|dash|ksh|csh|tcsh|fish|ash|busybox|cmd(?:\.exe)?|powershell(?:\.exe)?|pwsh|"
    r"python[\d.]*|perl|ruby|node|php|env)$",
    re.IGNORECASE,
)
"""Programs that run their ``-c`` / ``/c`` / ``-e`` argument as code."""
_CODE_FLAGS = frozenset({"-c", "/c", "/C", "-e", "-Command", "-command", "-lc", "-ic"})
_FIXED_PROGRAM = re.compile(r"^[^{}\s]+\s")


def subprocess_command(facts: CallFacts) -> Value:
    """``subprocess.run``/``Popen``/``call``/``check_*``: the program, ``sh -c`` text, or a ``shell=True`` string."""
    node, val = facts.argument(0, "args")
    executable = facts.argument(None, "executable")[1]
    if node is None:
        return executable
    if facts.switched_on("shell"):
        return union(val, executable)  # the shell runs the text
    return union(argv(node, val, facts), executable)


def exec_program(position: int, listed: bool) -> Callable[[CallFacts], Value]:
    """``os.execv(path, args)`` / ``os.execl(path, arg0, ...)`` / ``os.spawnv(mode, path, args)``.

    The program path at *position* is dangerous; so is the argument vector after it
    (one list when *listed*, else the remaining positional arguments) when it starts a shell.
    """

    def pick(facts: CallFacts) -> Value:
        node, program = facts.argument(position, None)
        if node is None:
            return CLEAN
        rest = facts.node.args[position + 1 :]
        if listed:
            vector = rest[0] if rest else None
            argv_taint = _shell_text(vector.elts, facts) if isinstance(vector, (ast.List, ast.Tuple)) else CLEAN
        else:
            argv_taint = _shell_text(rest, facts)
        return union(_program(program), argv_taint)

    return pick


def exec_vector(facts: CallFacts) -> Value:
    """``asyncio.create_subprocess_exec(program, *args)`` and ``pty.spawn(argv)``: the program or ``sh -c`` text."""
    if not facts.node.args:
        return CLEAN
    first = facts.node.args[0]
    if isinstance(first, (ast.List, ast.Tuple)) or len(facts.node.args) == 1:
        return argv(first, facts.args[0], facts)
    return union(_program(facts.args[0]), _shell_text(facts.node.args, facts))


def argv(node: ast.expr, val: Value, facts: CallFacts) -> Value:
    """The dangerous part of an argument vector or command string *node* (evaluated: *val*)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        if not node.elts or isinstance(node.elts[0], ast.Starred):
            return val if node.elts else CLEAN
        return union(_program(facts.evaluate(node.elts[0])), _shell_text(node.elts, facts))
    bound = assigned(facts.scope, node.id, facts.node.lineno) if isinstance(node, ast.Name) else None
    if isinstance(bound, (ast.List, ast.Tuple)):
        return _grown_list(bound, val, facts)
    return _program(val)


def _grown_list(start: ast.List | ast.Tuple, val: Value, facts: CallFacts) -> Value:
    """A list made from *start* and then appended to: its items are known only when *start* fixes the program."""
    first = _literal(start.elts[0]) if start.elts else None
    if first is None or SHELLS.match(first):
        return val  # empty, computed, or a shell whose code text may be appended: every item may matter
    return argv(start, facts.evaluate(start), facts)  # a fixed program: what is appended are its arguments


def _program(val: Value) -> Value:
    """Taint that chooses the program: all of it, unless fixed text and a space come first."""
    return value(t for t in val if not _FIXED_PROGRAM.match(t.prefix))


def _shell_text(elements: list[ast.expr], facts: CallFacts) -> Value:
    """``["sh", "-c", text]``, ``["python3", "-c", code]``: the text after the flag runs as code."""
    if len(elements) < 3 or not _literal_matches(elements[0], SHELLS):
        return CLEAN
    start = 1
    if _literal(elements[0]) in ("env", "busybox") and len(elements) > 3:
        start = 2  # ``env bash -c ...``
    flags = [i for i, e in enumerate(elements[start:], start) if _literal(e) in _CODE_FLAGS]
    if not flags:
        return CLEAN
    return union(CLEAN, *(facts.evaluate(e) for e in elements[flags[0] + 1 :]))


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _literal_matches(node: ast.expr, pattern: re.Pattern[str]) -> bool:
    text = _literal(node)
    return text is not None and bool(pattern.match(text))
