"""How an entry-point file is cut down for a prompt: pruned to its entry points, and in windows when too big.

* :func:`prune` keeps the entry points whole, the module-level code they depend on
  and class headers, leaving one-line markers that name what was left out (the
  model can still ask for it by name);
* :func:`windows` cuts a view that is still bigger than a prompt into consecutive
  windows of its lines, each analysed as its own view.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..tokens import approx_tokens
from ..repo.entrypoints import EntryPoint
from ..repo.index import ModuleIndex
from ..repo.resolve import Symbol


@dataclass(frozen=True)
class FileView:
    """The code of an entry-point file as the model is shown it."""

    file: str
    code: str
    entry_points: tuple[EntryPoint, ...]
    kept_lines: frozenset[int]  # line numbers of the original file present in ``code``
    omitted: tuple[str, ...] = ()  # names of definitions replaced by markers
    window: tuple[int, int] | None = None  # (part, of parts) when the view is too big for one prompt
    templates: str = ""  # the prompt section with the template lines its entry points print
    template_lines: tuple[tuple[str, int], ...] = ()  # (template path, line) of every line in that section

    def shows(self, symbol: Symbol) -> bool:
        """Whether *symbol*'s whole body is already in the view."""
        if symbol.file != self.file:
            return False
        return all(line in self.kept_lines for line in range(symbol.start_line, symbol.end_line + 1))


# windows ------------------------------------------------------------------------------
_MARKER_TOKENS = 40


def windows(view: FileView, source_lines: list[str], limit: int) -> list[FileView]:
    """*view* itself when it fits in *limit* tokens, else consecutive windows of its original lines."""
    if approx_tokens(view.code) <= limit:
        return [view]
    groups: list[list[int]] = [[]]
    used = 0
    for number in sorted(view.kept_lines):
        cost = approx_tokens(source_lines[number - 1]) + 1
        if groups[-1] and used + cost > limit - 2 * _MARKER_TOKENS:
            groups.append([])
            used = 0
        groups[-1].append(number)
        used += cost
    parts = len(groups)
    return [
        FileView(view.file, _window_code(source_lines, group, limit), view.entry_points, frozenset(group),
                 view.omitted, window=(part, parts))
        for part, group in enumerate(groups, 1)
    ]


def _window_code(lines: list[str], group: list[int], limit: int) -> str:
    """The lines of one window, with a marker wherever lines of the file are not in it."""
    out: list[str] = []
    previous = 0
    max_chars = limit * 4
    for number in group:
        if number > previous + 1:
            out.append(f"# ... lines {previous + 1}-{number - 1} not shown in this part of the file")
        text = lines[number - 1]
        out.append(text if len(text) <= max_chars else text[:max_chars] + "  # ... (line cut)")
        previous = number
    if previous < len(lines):
        out.append(f"# ... lines {previous + 1}-{len(lines)} not shown in this part of the file")
    return "\n".join(out)


# pruning ------------------------------------------------------------------------------
def prune(
    module: ModuleIndex, entry_points: Sequence[EntryPoint], keep_small: int, omit: Iterable[str] = ()
) -> FileView:
    """Entry points whole, module-level code kept, other definitions replaced by markers.

    A definition of fewer than *keep_small* lines stays as it is: its marker would
    save next to nothing and the model would likely ask for it. Names in *omit*
    (other entry points, when a chain focuses on some) become markers whatever their size.
    """
    keep = {e.function for e in entry_points}
    lines = module.source.splitlines()
    plan = _Plan(keep, keep_small, set(omit))
    plan.statements(module.tree.body, scope="")
    output: list[str] = []
    kept: set[int] = set()
    line = 1
    for start, end, names, indent in sorted(plan.omissions):
        for number in range(line, start):
            output.append(lines[number - 1])
            kept.add(number)
        count = end - start + 1
        output.append(f"{indent}# ... {count} line{'s' if count > 1 else ''} omitted: {', '.join(names)}")
        line = end + 1
    for number in range(line, len(lines) + 1):
        output.append(lines[number - 1])
        kept.add(number)
    omitted = tuple(name for _s, _e, names, _i in sorted(plan.omissions) for name in names)
    return FileView(module.path, "\n".join(output), tuple(entry_points), frozenset(kept), omitted)


@dataclass
class _Plan:
    """Decides, statement by statement, which definitions become markers."""

    keep: set[str]
    keep_small: int
    omit: set[str] = field(default_factory=set)
    omissions: list[tuple[int, int, list[str], str]] = field(default_factory=list)

    def statements(self, body: list[ast.stmt], scope: str) -> None:
        pending: list[tuple[int, int, str, str]] = []  # consecutive omitted definitions merge into one marker
        for statement in body:
            decision = self._decide(statement, scope)
            if decision is None:
                self._flush(pending)
                pending = []
            else:
                pending.append(decision)
        self._flush(pending)

    def _decide(self, statement: ast.stmt, scope: str) -> tuple[int, int, str, str] | None:
        """(start, end, label, indent) when *statement* is omitted; None when kept (or partly kept)."""
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return None
        qualname = f"{scope}.{statement.name}" if scope else statement.name
        if qualname in self.keep:
            return None
        if any(k.startswith(qualname + ".") for k in self.keep):
            if isinstance(statement, ast.ClassDef):
                self.statements(statement.body, qualname)  # keep the header and the entry methods
            return None  # a factory holding routes stays whole
        start = min([statement.lineno] + [d.lineno for d in statement.decorator_list])
        end = statement.end_lineno or statement.lineno
        forced = qualname in self.omit or any(o.startswith(qualname + ".") for o in self.omit)
        if end - start + 1 < self.keep_small and not forced:
            return None
        if isinstance(statement, ast.ClassDef):
            self._class_header(statement, qualname, start, end)
            return None
        label = f"{'async def' if isinstance(statement, ast.AsyncFunctionDef) else 'def'} {qualname}"
        return (start, end, label, " " * statement.col_offset)

    def _class_header(self, cls: ast.ClassDef, qualname: str, start: int, end: int) -> None:
        """Keep ``class X(Base):`` and its decorators; its body becomes one marker."""
        body_start = cls.body[0].lineno if cls.body else end
        names = [f"def {qualname}.{s.name}" for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
        label = ", ".join(names) or f"body of class {qualname}"
        indent = " " * (cls.body[0].col_offset if cls.body else cls.col_offset + 4)
        if body_start <= end:
            self.omissions.append((body_start, end, [label], indent))
        return None

    def _flush(self, pending: list[tuple[int, int, str, str]]) -> None:
        if pending:
            self.omissions.append((pending[0][0], pending[-1][1], [p[2] for p in pending], pending[0][3]))
