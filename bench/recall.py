"""Benchmark: context recall, i.e. was each expected vulnerability's sink line shown to the model in a prompt of its type?

Not a test: it prints a table. A model can only judge code it is shown, so
this measures the ceiling vulnhuntr's context puts on any model. Each app of
``examples/`` is scanned in LLM mode, in-process, through the real OpenAI SDK
against a :class:`FakeLLM` whose *simulated model* uses only what a prompt shows:

* initial pass: it names the types of the expected vulnerabilities whose sink
  line (for a template sink: the template line or the view's render call) is
  among the prompt's code lines, plus any type a static-pass hint in the prompt
  names; it asks for nothing;
* chain rounds (``Focus: TYPE only.`` or ``Focus: T1, T2; ...``): like a diligent reviewer it asks, at most
  three names per answer, for project code called from the code shown whose
  definition is not in the prompt yet (``expected.yaml`` plays no part); when
  nothing is left to ask for it answers with the expected sinks it can see. A chain's
  first round that stands in for the triage (its task says it is the first look) also
  lists, as the initial pass would, the other types whose sinks it can see.

A line counts as shown only by file and line number: the entry-point file block
is mapped back to the file through its ``# ... N lines omitted`` markers, a
``<definition ... file= lines=>`` block (or any block naming a file and a line
range, such as a template excerpt) by its range, each line checked against the
file's text; a block naming a file without a range is aligned line by line.

Recall per app and type is found/expected, where found means the sink line was
shown in at least one prompt of the vulnerability's type. A miss gets one cause:
``wrong type`` (shown, but only in rounds of other types), ``initial only``
(shown in an initial pass, never in a type round), ``never shown``.

    python bench/recall.py
    python bench/recall.py --json
    python bench/recall.py --app flask_notes --app django_forum
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import re
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the fakes package (tests/fakes)
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import example_apps, run_cli  # noqa: E402

from fakes import FakeLLM, FakeRequest, Reply  # noqa: E402
from fakes.scripted_model import combined, focus_of  # noqa: E402

from vulnhuntr.analysis.prompts import FIRST_LOOK  # noqa: E402  (the task sentence of a round that also triages)

TYPES = ("LFI", "AFO", "RCE", "SSRF", "SQLI", "XSS", "IDOR")
MAX_REQUESTS = 3  # names asked for per answer
CAUSES = ("wrong type", "initial only", "never shown")

Line = tuple[str, int]  # (file relative to the scan root, 1-based line number)

_FILE_BLOCK = re.compile(r'<file path="([^"]+)">\n(.*?)\n</file>', re.DOTALL)
_RANGED_BLOCK = re.compile(
    r'<(\w+)\b[^>\n]*?\b(?:file|path)="([^"]+)"[^>\n]*?\blines="(\d+)-(\d+)"[^>\n]*>\n(.*?)\n</\1>', re.DOTALL
)
_NAMED_BLOCK = re.compile(r'<(\w+)\b[^>\n]*?\b(?:file|path)="([^"]+)"[^>\n]*>\n(.*?)\n</\1>', re.DOTALL)
_MARKER = re.compile(r"^\s*# \.\.\. (\d+) lines? omitted: ")
_NOTE = re.compile(r"^- ([^\s:]+): ", re.MULTILINE)
_STATIC_HINT = re.compile(r"^.*\bstatic pass\b.*$", re.MULTILINE | re.IGNORECASE)
_TYPE_WORD = re.compile(r"\b(" + "|".join(TYPES) + r")\b")
_BUILTINS = frozenset(dir(builtins))
KNOWN_LIBRARIES = frozenset(
    {
        "aiohttp", "bottle", "boto3", "bs4", "celery", "click", "connexion", "cryptography", "django", "falcon",
        "fastapi", "flask", "flask_login", "flask_sqlalchemy", "flask_wtf", "gunicorn", "httpx", "jinja2", "jwt",
        "lxml", "markupsafe", "numpy", "pandas", "PIL", "psycopg2", "pydantic", "pymongo", "pyramid", "quart",
        "redis", "requests", "rest_framework", "sanic", "sqlalchemy", "starlette", "tornado", "typer", "uvicorn",
        "werkzeug", "wtforms", "yaml",
    }
)
"""Packages a reviewer recognises as libraries, whose code it would never ask to see."""


# --------------------------------------------------------------------------- what a prompt shows


class Sources:
    """The scanned files' lines, read once (the code the prompts were built from)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lines: dict[str, list[str] | None] = {}

    def lines(self, file: str) -> list[str] | None:
        if file not in self._lines:
            path = (self.root / file).resolve()
            inside = path.is_relative_to(self.root.resolve()) and path.is_file()
            self._lines[file] = path.read_text(encoding="utf-8", errors="replace").splitlines() if inside else None
        return self._lines[file]


def shown_lines(prompt: str, sources: Sources) -> set[Line]:
    """Every (file, line) whose code the prompt shows, decided by position, never by text alone."""
    shown: set[Line] = set()
    covered: list[tuple[int, int]] = []
    for match in _FILE_BLOCK.finditer(prompt):
        shown |= _align(match.group(1), match.group(2).split("\n"), sources, markers=True)
        covered.append(match.span())
    for match in _RANGED_BLOCK.finditer(prompt):
        if _inside(match.span(), covered):
            continue
        file, start, end = match.group(2), int(match.group(3)), int(match.group(4))
        body = match.group(5).split("\n")
        shown |= _ranged(file, start, end, body, sources)
        covered.append(match.span())
    for match in _NAMED_BLOCK.finditer(prompt):
        if not _inside(match.span(), covered):
            shown |= _align(match.group(2), match.group(3).split("\n"), sources, markers=False)
    return shown


def _inside(span: tuple[int, int], covered: Sequence[tuple[int, int]]) -> bool:
    return any(a <= span[0] and span[1] <= b for a, b in covered)


def _ranged(file: str, start: int, end: int, body: list[str], sources: Sources) -> set[Line]:
    """A block that says which lines it holds: each is counted when its text is that line's."""
    lines = sources.lines(file)
    if lines is None:
        return set()
    return {
        (file, number)
        for number, text in zip(range(start, end + 1), body)
        if number <= len(lines) and text.rstrip() == lines[number - 1].rstrip()
    }


def _align(file: str, body: list[str], sources: Sources, *, markers: bool) -> set[Line]:
    """Walk the block and the file together; an omission marker skips its lines, an unknown line resyncs."""
    lines = sources.lines(file)
    if lines is None:
        return set()
    shown: set[Line] = set()
    number = 1
    for text in body:
        if number <= len(lines) and text.rstrip() == lines[number - 1].rstrip():
            shown.add((file, number))
            number += 1
            continue
        marker = _MARKER.match(text) if markers else None
        if marker:
            number += int(marker.group(1))
            continue
        later = next((n for n in range(number + 1, len(lines) + 1) if lines[n - 1].rstrip() == text.rstrip()), None)
        if later is not None and text.strip():
            shown.add((file, later))
            number = later + 1
    return shown


# --------------------------------------------------------------------------- what a diligent model asks for


@dataclass(frozen=True)
class Wanted:
    """A name the model asks for, as written at the call site, with that line of code."""

    name: str
    code_line: str


class CodeReader:
    """Calls in visible code that lead into project code, read from the files' syntax trees."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources
        self._trees: dict[str, ast.Module | None] = {}

    def tree(self, file: str) -> ast.Module | None:
        if file not in self._trees:
            lines = self.sources.lines(file) if file.endswith(".py") else None
            try:
                self._trees[file] = ast.parse("\n".join(lines)) if lines is not None else None
            except SyntaxError:
                self._trees[file] = None
        return self._trees[file]

    def defined_names(self, shown: set[Line]) -> set[str]:
        """Names whose definition line (``def``, ``class``, module-level assignment) the prompt shows."""
        names: set[str] = set()
        for file in {f for f, _ in shown}:
            tree = self.tree(file)
            if tree is None:
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and (file, node.lineno) in shown:
                    names.add(node.name)
            for node in tree.body:
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and (file, node.lineno) in shown:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names |= {t.id for t in targets if isinstance(t, ast.Name)}
        return names

    def wanted(self, order: Sequence[str], shown: set[Line], skip: set[str]) -> list[Wanted]:
        """Project names the shown code calls or dispatches to, file by file in prompt order, line by line."""
        defined = self.defined_names(shown)
        found: list[Wanted] = []
        for file in order:
            tree = self.tree(file)
            lines = self.sources.lines(file)
            if tree is None or lines is None:
                continue
            scope = _Scope(tree)
            candidates: list[tuple[int, str]] = []
            for function in scope.functions:
                for call in _calls_in(function):
                    if (file, call.lineno) in shown:
                        candidates += [(call.lineno, name) for name in scope.call_targets(call, function)]
            for table, owner in scope.tables:
                if (file, table.lineno) in shown:
                    candidates += [(table.lineno, name) for name in scope.table_targets(table, owner)]
            for line, name in sorted(candidates, key=lambda c: c[0]):
                if name not in skip and name.rsplit(".", 1)[-1] not in defined and all(w.name != name for w in found):
                    found.append(Wanted(name, lines[line - 1].strip()))
        return found


class _Scope:
    """One module's syntax tree with what a reader looks up in it: functions, classes, imports, tables."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.owner: dict[ast.AST, ast.ClassDef] = {}  # method -> its class
        self.tables: list[tuple[ast.Assign, ast.ClassDef | None]] = []  # dict literals at module or class level
        for node in tree.body:
            self._visit(node, None)
        self.functions.sort(key=lambda f: f.lineno)

    def _visit(self, node: ast.stmt, cls: ast.ClassDef | None) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.functions.append(node)
            if cls is not None:
                self.owner[node] = cls
            for inner in ast.walk(node):
                if inner is not node and isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.functions.append(inner)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                self._visit(item, node)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            self.tables.append((node, cls))

    # what a call leads to ---------------------------------------------------------------
    def call_targets(self, call: ast.Call, function: ast.AST) -> list[str]:
        """What a reader looks up to know where a call goes, when that is project code.

        ``db.find(x)`` -> ``db.find``; ``TASKS[name](p)`` -> ``TASKS``; ``handler(p)``
        after ``handler = media.HANDLERS.get(kind)`` -> ``media.HANDLERS``;
        ``getattr(actions, name)(p)`` -> ``actions``; ``getattr(self, route)(p)``
        after ``route = self.routes.get(path)`` -> the methods that table names.
        """
        func = call.func
        names: list[str] = []
        dotted = _dotted(func)
        if dotted is not None:
            local = _local_value(dotted, function)
            names = [dotted] if local is None else [n for n in map(_dotted, _name_nodes(local)) if n]
        elif isinstance(func, ast.Subscript):
            names = [n for n in [_dotted(func.value)] if n]
        elif isinstance(func, ast.Call) and _dotted(func.func) == "getattr" and func.args:
            names = self._getattr_targets(func, function)
        return [n for n in names if self.is_project(n, function)]

    def _getattr_targets(self, call: ast.Call, function: ast.AST) -> list[str]:
        target = _dotted(call.args[0])
        if target not in ("self", "cls"):
            return [target] if target else []
        cls = self.owner.get(function)
        key = call.args[1] if len(call.args) > 1 else None
        value = _local_value(key.id, function) if isinstance(key, ast.Name) else None
        if cls is None or value is None:
            return []
        tables = {_dotted(n) for n in _name_nodes(value)}
        names = []
        for table, owner in self.tables:
            if owner is cls and any(f"self.{t.id}" in tables for t in table.targets if isinstance(t, ast.Name)):
                names += self.table_targets(table, cls)
        return names

    def table_targets(self, table: ast.Assign, cls: ast.ClassDef | None) -> list[str]:
        """A dispatch table's values: the functions it names, or (in a class) the methods its strings name."""
        assert isinstance(table.value, ast.Dict)
        names = []
        for value in table.value.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and cls is not None:
                if any(isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name == value.value for m in cls.body):
                    names.append(f"{cls.name}.{value.value}")
            elif cls is None and (name := _dotted(value)) is not None and self.is_project(name, None):
                names.append(name)
        return names

    # project or library -------------------------------------------------------------------
    def is_project(self, name: str, function: ast.AST | None) -> bool:
        """Whether *name* is project code by what a reader sees: imports, module names, the class."""
        root, _, rest = name.partition(".")
        if root in ("self", "cls"):
            cls = self.owner.get(function) if function is not None else None
            return bool(rest) and cls is not None and self._own_attribute(cls, rest.split(".", 1)[0])
        if name.count(".") == 1 and any(isinstance(c, ast.ClassDef) and c.name == root for c in self.tree.body):
            return True
        origin = _import_origin(root, self.tree)
        if origin is not None:
            return origin.startswith(".") or not _is_library(origin)
        if function is not None and (_is_parameter(root, function) or _local_value(root, function) is not None):
            return False
        if root in _BUILTINS:
            return False
        for node in self.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == root:
                return True
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == root for t in node.targets):
                return self._project_value(node.value, rest)
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == root:
                return node.value is None or self._project_value(node.value, rest)
        return False

    def _project_value(self, value: ast.expr, rest: str) -> bool:
        """A module-level variable: a literal is a table to read (never a method to ask for), else its constructor decides."""
        if isinstance(value, (ast.Constant, ast.Dict, ast.List, ast.Set, ast.Tuple, ast.JoinedStr)):
            return not rest
        callee = _dotted(value.func if isinstance(value, ast.Call) else value)
        return callee is None or self.is_project(callee, None)

    def _own_attribute(self, cls: ast.ClassDef, attribute: str) -> bool:
        """``self.x``: a method or attribute of the class itself, or inherited from a project base class."""
        for item in cls.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == attribute:
                return True
            if isinstance(item, ast.FunctionDef):
                for node in ast.walk(item):
                    if isinstance(node, ast.Assign) and any(_dotted(t) == f"self.{attribute}" for t in node.targets):
                        value = node.value.func if isinstance(node.value, ast.Call) else node.value
                        callee = _dotted(value)
                        return callee is not None and self.is_project(callee, item)
        return any((base := _dotted(b)) is not None and self.is_project(base, None) for b in cls.bases)


def _calls_in(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
    """Calls in the function's own body (not nested definitions), in source order."""
    calls: list[ast.Call] = []
    stack: list[ast.AST] = list(reversed(function.body))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call):
            calls.append(node)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _local_value(name: str, function: ast.AST) -> ast.expr | None:
    """The value a bare local name is assigned in *function*, if it is one."""
    if "." in name:
        return None
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return node.value
    return None


def _name_nodes(value: ast.expr) -> list[ast.expr]:
    """The outermost dotted names in an expression: ``media.HANDLERS`` in ``media.HANDLERS.get(k)``."""
    found: list[ast.expr] = []
    stack: list[ast.AST] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _dotted(node.func.value):
            found.append(node.func.value)
            continue
        if isinstance(node, (ast.Name, ast.Attribute)) and _dotted(node):
            found.append(node)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _import_origin(alias: str, tree: ast.Module) -> str | None:
    """The module an imported name comes from (``.db``, ``flask``), or None when it is not imported."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for item in node.names:
                if (item.asname or item.name.split(".", 1)[0]) == alias:
                    return item.name
        elif isinstance(node, ast.ImportFrom):
            for item in node.names:
                if (item.asname or item.name) == alias:
                    return "." * node.level + (node.module or "")
    return None


def _is_library(module: str) -> bool:
    top = module.split(".", 1)[0]
    return top in sys.stdlib_module_names or top in KNOWN_LIBRARIES


def _is_parameter(name: str, function: ast.AST) -> bool:
    args = getattr(function, "args", None)
    if args is None:
        return False
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, *(a for a in (args.vararg, args.kwarg) if a)]
    return any(a.arg == name for a in every)


# --------------------------------------------------------------------------- the simulated model


@dataclass(frozen=True)
class Vulnerability:
    app: str
    id: str
    type: str
    sink: Line
    render: Line | None  # a template sink's render call in the view
    sink_code: str


def load_vulnerabilities(app: Path) -> list[Vulnerability]:
    """The expected vulnerabilities of one app, with files relative to the app (the scan root)."""
    data = yaml.safe_load((app / "expected.yaml").read_text(encoding="utf-8"))
    found = []
    for item in data["vulnerabilities"]:
        sink = (item["sink"]["file"], item["sink"]["line"])
        render = (item["render"]["file"], item["render"]["line"]) if "render" in item else None
        text = (app / sink[0]).read_text(encoding="utf-8").splitlines()[sink[1] - 1].strip()
        found.append(Vulnerability(data["app"], item["id"], item["type"], sink, render, text))
    return found


class RecallModel:
    """Answers like a diligent model that knows only what each prompt shows (see the module docstring)."""

    def __init__(self, root: Path, vulnerabilities: Sequence[Vulnerability]) -> None:
        self.sources = Sources(root)
        self.reader = CodeReader(self.sources)
        self.vulnerabilities = list(vulnerabilities)
        self.trace: list[str] = []  # one line per answer: type, file, what it named

    def __call__(self, request: FakeRequest) -> Reply:
        prompt = request.prompt
        if "<readme>" in prompt:
            return Reply("<summary>A small Python web application.</summary>")
        focus = focus_of(prompt)
        shown = shown_lines(prompt, self.sources)
        answer = self._initial(prompt, shown) if not focus else self._rounds(focus, prompt, shown)
        file = _FILE_BLOCK.search(prompt)
        asked = [c["name"] for c in answer.get("context_code", [])]
        self.trace.append(
            f"{','.join(focus) if focus else 'initial':8} {file.group(1) if file else '?'}: "
            f"types {answer.get('vulnerability_types', [])} asks {asked}"
        )
        return Reply(answer)

    def visible(self, shown: set[Line], vuln_type: str | None = None) -> list[Vulnerability]:
        return [
            v for v in self.vulnerabilities
            if (vuln_type is None or v.type == vuln_type) and (v.sink in shown or (v.render is not None and v.render in shown))
        ]

    def _initial(self, prompt: str, shown: set[Line]) -> dict[str, Any]:
        types = {v.type for v in self.visible(shown)}
        for hint in _STATIC_HINT.findall(prompt):
            types |= set(_TYPE_WORD.findall(hint))
        ordered = [t for t in TYPES if t in types]
        return {
            "scratchpad": "Reading the handlers and the code they call.",
            "analysis": "Request data reaches code worth a closer look." if ordered else "Nothing reaches a sink.",
            "poc": "",
            "confidence_score": 6 if ordered else 0,
            "vulnerability_types": ordered,
            "context_code": [],
        }

    def _rounds(self, types: list[str], prompt: str, shown: set[Line]) -> dict[str, Any]:
        """A round on one type, or on several: each judged alone, then answered together.

        A chain's first round that stands in for the triage (its task says so) also lists
        the other types whose sinks it can see, as the initial pass would.
        """
        answer = self._round(types[0], prompt, shown) if len(types) == 1 else combined([self._round(t, prompt, shown) for t in types], types)
        if FIRST_LOOK in prompt:
            others = [t for t in TYPES if t not in types and t in {v.type for v in self.visible(shown)}]
            if others:
                answer = {**answer, "vulnerability_types": [*answer.get("vulnerability_types", []), *others],
                          "confidence_score": max(int(answer.get("confidence_score", 0)), 6)}
        return answer

    def _round(self, vuln_type: str, prompt: str, shown: set[Line]) -> dict[str, Any]:
        order = list(dict.fromkeys(f for f, _ in sorted(shown, key=lambda line: prompt.find(f'"{line[0]}"'))))
        skip = set(_NOTE.findall(prompt))  # names asked for before that did not resolve
        wanted = self.reader.wanted(order, shown, skip)[:MAX_REQUESTS]
        if wanted:
            return {
                "scratchpad": "The data flows into project code not shown yet.",
                "analysis": "Following the request data.",
                "poc": "",
                "confidence_score": 4,
                "vulnerability_types": [vuln_type],
                "context_code": [{"name": w.name, "reason": "the data flows into it", "code_line": w.code_line} for w in wanted],
            }
        seen = [v for v in self.visible(shown, vuln_type) if v.sink in shown]
        if not seen:
            return {"analysis": f"No {vuln_type} path.", "confidence_score": 0, "vulnerability_types": [], "context_code": []}
        return {
            "scratchpad": "Source to sink traced.",
            "analysis": "; ".join(f"request data reaches {v.sink_code}" for v in seen),
            "poc": "curl http://localhost/",
            "confidence_score": 8,
            "vulnerability_types": [vuln_type],
            "context_code": [],
            "sinks": [{"code_line": v.sink_code, "entry_point": "", "cwe": None} for v in seen],
        }


# --------------------------------------------------------------------------- scoring


@dataclass
class AppRecall:
    app: str
    calls: int = 0
    input_tokens: int = 0
    found: dict[str, int] = field(default_factory=dict)  # by type
    expected: dict[str, int] = field(default_factory=dict)
    misses: list[dict[str, str]] = field(default_factory=list)  # id, type, sink, cause


def score(app: str, vulnerabilities: Sequence[Vulnerability], requests: Iterable[FakeRequest], sources: Sources) -> AppRecall:
    """For each vulnerability: shown in a prompt of its type, or why not."""
    result = AppRecall(app)
    by_type: dict[str | None, set[Line]] = {}
    for request in requests:
        result.calls += 1
        result.input_tokens += request.input_tokens
        if "<readme>" in request.prompt:
            continue
        lines = shown_lines(request.prompt, sources)
        for kind in focus_of(request.prompt) or [None]:
            by_type.setdefault(kind, set()).update(lines)
    for v in vulnerabilities:
        result.expected[v.type] = result.expected.get(v.type, 0) + 1
        if v.sink in by_type.get(v.type, set()):
            result.found[v.type] = result.found.get(v.type, 0) + 1
            continue
        if any(v.sink in lines for t, lines in by_type.items() if t is not None):
            cause = "wrong type"
        elif v.sink in by_type.get(None, set()):
            cause = "initial only"
        else:
            cause = "never shown"
        result.misses.append({"id": v.id, "type": v.type, "sink": f"{v.sink[0]}:{v.sink[1]}", "cause": cause})
    return result


def measure(app: Path, tmp: Path, trace: bool = False) -> AppRecall:
    """Scan one app against the simulated model (answer cache off) and score its prompts."""
    vulnerabilities = load_vulnerabilities(app)
    model = RecallModel(app, vulnerabilities)
    with FakeLLM(model) as fake:
        run = run_cli(fake, app, tmp, app.name, "--no-cache")
    if trace:
        print(f"== {app.name}", file=sys.stderr)
        print("\n".join(model.trace), file=sys.stderr)
    return score(app.name, vulnerabilities, run.requests, model.sources)


# --------------------------------------------------------------------------- output


def _ratio(found: int, expected: int) -> str:
    return f"{found}/{expected} {found / expected:4.0%}" if expected else "-"


def print_table(results: Sequence[AppRecall]) -> None:
    header = f"{'app':22} " + " ".join(f"{t:>10}" for t in TYPES) + f" {'all':>11} {'calls':>6} {'in tokens':>10}"
    print(header)
    totals_found: dict[str, int] = {}
    totals_expected: dict[str, int] = {}
    for r in results:
        cells = [_ratio(r.found.get(t, 0), r.expected[t]) if t in r.expected else "-" for t in TYPES]
        found, expected = sum(r.found.values()), sum(r.expected.values())
        print(f"{r.app:22} " + " ".join(f"{c:>10}" for c in cells) + f" {_ratio(found, expected):>11} {r.calls:>6} {r.input_tokens:>10,}")
        for t in TYPES:
            totals_found[t] = totals_found.get(t, 0) + r.found.get(t, 0)
            totals_expected[t] = totals_expected.get(t, 0) + r.expected.get(t, 0)
    cells = [_ratio(totals_found[t], totals_expected[t]) for t in TYPES]
    found, expected = sum(totals_found.values()), sum(totals_expected.values())
    calls, tokens = sum(r.calls for r in results), sum(r.input_tokens for r in results)
    print(f"{'all':22} " + " ".join(f"{c:>10}" for c in cells) + f" {_ratio(found, expected):>11} {calls:>6} {tokens:>10,}")
    misses = [m | {"app": r.app} for r in results for m in r.misses]
    print()
    print("misses by cause: " + ", ".join(f"{c} {sum(1 for m in misses if m['cause'] == c)}" for c in CAUSES))
    for m in misses:
        print(f"  {m['cause']:12} {m['app']}: {m['id']} ({m['type']} {m['sink']})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--app", action="append", default=[], help="only this example app (repeatable)")
    parser.add_argument("--trace", action="store_true", help="print each answer of the simulated model to stderr")
    args = parser.parse_args(argv)
    apps = [a for a in example_apps() if not args.app or a.name in args.app]
    with tempfile.TemporaryDirectory(prefix="vulnhuntr-recall-bench-") as name:
        results = [measure(app, Path(name), args.trace) for app in apps]
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
        return 0
    print("context recall: sink line shown in a prompt of its type (simulated model, gpt provider, no answer cache)")
    print(f"command: python bench/recall.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    print()
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
