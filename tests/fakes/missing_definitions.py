"""A simulated model that asks for every called definition a prompt lacks, for cost benchmarks.

It reads only the prompt text it receives (whatever tool wrote it): the code
lines in it, which names they call, which names they define and import. Each
answer asks, in prompt order, for at most three project names that are called
but whose definition is not in the prompt; with none left it asks for nothing
("done"). It keeps no memory between calls, so a name a tool cannot supply is
asked for again, as a real model would; each tool's own loop limits decide
when a chain ends. Library calls (names imported from modules outside the
project), builtins, local variables and parameters are never asked for.

The answer is valid for vulnhuntr's schema and for the original tool's (the
same fields: scratchpad, analysis, poc, confidence_score, vulnerability_types,
context_code of name / reason / code_line). When the request ends with an
assistant turn (a prefill, which Anthropic's API lets a client send), the reply
is the continuation of that text, as a real model's would be.

``latency_options(scale)`` gives the timing of a hosted model: 0.8 s + 20 µs per
input token + 12.5 ms per output token, times ``scale``.
"""

from __future__ import annotations

import builtins
import html
import json
import keyword
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .script import FakeRequest, Reply

MAX_REQUESTS = 3
"""Names asked for per answer."""

BASE_LATENCY = 0.8
PER_INPUT_TOKEN = 20e-6
PER_OUTPUT_TOKEN = 12.5e-3

_CODE_START = re.compile(
    r"^\s*(?:(?:async\s+)?def |class |return\b|if |elif |else:|for |while |try:|except\b|finally:|with |"
    r"import |from \S+ import |raise\b|yield\b|await |assert |del |global |nonlocal |pass\b|break\b|continue\b|@|#)"
)
_TARGET = r"[A-Za-z_][\w.\[\]'\"]*"
_ANNOTATION = r"[A-Za-z_][\w.]*(?:\[[\w.\[\], |]*\])?(?:\s*\|\s*[A-Za-z_][\w.]*)*"  # int, dict[str, int], str | None
_STATEMENT = re.compile(
    rf"^\s*{_TARGET}(?:\s*,\s*{_TARGET})*\s*(?:[-+*/|&%]?=(?!=)|:\s*{_ANNOTATION}\s*=)|^\s*{_TARGET}\("
)
_CONTINUATION = re.compile(r"^\s+\S")  # an indented line inside a block of code
_PROSE = re.compile(r"^\s*(?:\d+\.|[-*] |[A-Z][a-z]+(?: [a-z]+){3,})")
_CALL = re.compile(r"(?<![\w.)\]'\"])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\(")
_STRING = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")
_DEFINITION = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)")
_MODULE_ASSIGN = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)\s*([A-Za-z_][\w.]*)?")
_ASSIGN = re.compile(r"^\s*([A-Za-z_][\w, ()*]*?)\s*(?::[^=]+)?(?<![=!<>])=(?!=)")
_FOR = re.compile(r"\bfor\s+([\w, ()]+?)\s+in\b")
_AS = re.compile(r"\bas\s+([A-Za-z_]\w*)")
_WALRUS = re.compile(r"\b([A-Za-z_]\w*)\s*:=")
_PARAMS = re.compile(r"^\s*(?:async\s+)?def\s+\w+\s*\((.*?)\)?\s*(?:->.*)?:?\s*$")
_LAMBDA = re.compile(r"\blambda\s+([\w, *=]*):")
_IMPORT = re.compile(r"^\s*import\s+(.+)$")
_FROM_IMPORT = re.compile(r"^\s*from\s+(\.*[\w.]*)\s+import\s+\(?([^)#]+)")
_PREFILL = re.compile(r'^\{\s*"(\w+)"\s*:\s*"((?:[^"\\]|\\.)*)$', re.DOTALL)
_TAG = re.compile(r"</?[a-z_]+(?:\s[^<>\n]*)?>")
_BUILTINS = frozenset(dir(builtins))
_SELF = frozenset({"self", "cls"})

_SINKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("LFI", re.compile(r"\b(?:open|send_file|send_from_directory|read_text|read_bytes|FileResponse)\s*\(")),
    ("AFO", re.compile(r"\b(?:write|write_text|write_bytes|save|copyfile|move|extractall)\s*\(")),
    ("RCE", re.compile(r"\b(?:eval|exec|system|popen|Popen|run|call|check_output|loads|load)\s*\(")),
    ("SSRF", re.compile(r"\b(?:urlopen|requests\.\w+|httpx\.\w+|session\.(?:get|post)|fetch)\s*\(")),
    ("SQLI", re.compile(r"\b(?:execute|executemany|executescript|raw|text|extra)\s*\(")),
    ("XSS", re.compile(r"\b(?:render_template_string|Markup|mark_safe|HTMLResponse|make_response)\s*\(|\|\s*safe\b")),
    ("IDOR", re.compile(r"\b(?:get_object_or_404|get_or_404|filter_by|get)\s*\(\s*(?:\w+_)?id\b")),
)
"""Calls a reviewer reads as a possible sink of each type, to fill vulnerability_types."""


def latency_options(scale: float = 0.05) -> dict[str, float]:
    """FakeLLM keyword arguments for the hosted-model timing, scaled down to run quickly."""
    return {
        "latency": BASE_LATENCY * scale,
        "latency_per_input_token": PER_INPUT_TOKEN * scale,
        "latency_per_output_token": PER_OUTPUT_TOKEN * scale,
    }


@dataclass(frozen=True)
class Wanted:
    """A called name whose definition the prompt lacks, with the line that calls it."""

    name: str
    code_line: str


@dataclass
class CodeView:
    """What the code lines of one prompt call, define, import and bind locally."""

    lines: list[str]
    defined: set[str]
    imported: dict[str, str]  # alias -> module it comes from (relative dots kept: ".db")
    local: set[str]
    made_by: dict[str, str]  # module-level name -> root of the expression assigned to it (app = Flask(...))

    @classmethod
    def of(cls, text: str) -> CodeView:
        lines = code_lines(html.unescape(text))
        view = cls(lines, set(), {}, set(), {})
        for line in lines:
            view._read(line)
        return view

    def _read(self, line: str) -> None:
        if (match := _DEFINITION.match(line)) is not None:
            self.defined.add(match.group(1))
        if (match := _MODULE_ASSIGN.match(line)) is not None:
            self.defined.add(match.group(1))
            if match.group(2):
                self.made_by[match.group(1)] = match.group(2).split(".", 1)[0]
        self._read_imports(line)
        self._read_locals(line)

    def _read_imports(self, line: str) -> None:
        if (match := _FROM_IMPORT.match(line)) is not None:
            for item in match.group(2).split(","):
                name, _, alias = item.strip().partition(" as ")
                if name.strip() and name.strip() != "*":
                    self.imported[(alias or name).strip()] = match.group(1)
        elif (match := _IMPORT.match(line)) is not None:
            for item in match.group(1).split(","):
                name, _, alias = item.strip().partition(" as ")
                name = name.strip()
                if name:
                    self.imported[alias.strip() or name.split(".", 1)[0]] = name

    def _read_locals(self, line: str) -> None:
        targets: list[str] = []
        if (match := _ASSIGN.match(line)) is not None and not line[:1].isalpha():
            targets.append(match.group(1))
        targets += _FOR.findall(line) + _AS.findall(line) + _WALRUS.findall(line)
        if (match := _PARAMS.match(line)) is not None:
            targets += [p.split(":")[0].split("=")[0] for p in match.group(1).split(",")]
        targets += [p.split("=")[0] for group in _LAMBDA.findall(line) for p in group.split(",")]
        for target in targets:
            self.local.update(n for n in re.findall(r"[A-Za-z_]\w*", target) if n not in _SELF)

    def calls(self) -> list[Wanted]:
        """Every dotted name called in the code lines, once each, in order."""
        seen: dict[str, Wanted] = {}
        for line in self.lines:
            if _IMPORT.match(line) or _FROM_IMPORT.match(line):
                continue
            code = _STRING.sub('""', line)
            for match in _CALL.finditer(code):
                name = match.group(1)
                before = code[: match.start()].rstrip()
                if before.endswith(("def", "class")) or name in seen:
                    continue
                seen[name] = Wanted(name, line.strip())
        return list(seen.values())


def code_lines(text: str) -> list[str]:
    """The lines of *text* that read as Python code rather than prose or markup."""
    found = []
    for raw in text.splitlines():
        segments = [part for part in _TAG.split(raw) if part.strip()]  # <source>class A: ... </source></code>
        line = segments[-1] if segments else ""
        if not line.strip() or _PROSE.match(line):
            continue
        if _CODE_START.match(line) or _STATEMENT.match(line) or (_CONTINUATION.match(line) and _looks_like_code(line)):
            found.append(line)
    return found


def _looks_like_code(line: str) -> bool:
    """An indented line that has code punctuation and not a run of plain words."""
    return bool(re.search(r"[()\[\]=:.]", line)) and not re.search(r"(?:\b[a-z]+ ){5,}", line)


def is_library(module: str, project: frozenset[str]) -> bool:
    """A module imported by absolute name that is not one of the project's own packages."""
    if module.startswith("."):
        return False
    top = module.split(".", 1)[0]
    return top in sys.stdlib_module_names or top not in project


def missing(view: CodeView, project: frozenset[str]) -> list[Wanted]:
    """Called project names whose definition is not in the prompt, in prompt order."""
    wanted = []
    for call in view.calls():
        root, *rest = call.name.split(".")
        last = call.name.rsplit(".", 1)[-1]
        if keyword.iskeyword(root) or last in view.defined:
            continue
        if root in _SELF:
            if rest:
                wanted.append(call)
            continue
        origin = view.imported.get(view.made_by.get(root, root))
        if origin is not None:
            if not is_library(origin, project):
                wanted.append(call)
            continue
        if root in _BUILTINS or root in view.local or root in sys.stdlib_module_names:
            continue
        wanted.append(call)
    return wanted


def suspected_types(view: CodeView) -> list[str]:
    """The vulnerability types whose sink calls appear in the code shown."""
    code = "\n".join(view.lines)
    return [name for name, pattern in _SINKS if pattern.search(code)]


def answer(request: FakeRequest, project: frozenset[str], max_requests: int = MAX_REQUESTS) -> dict[str, Any]:
    """The JSON answer: the types the code suggests and the first missing names."""
    view = CodeView.of(request.prompt)
    asked = missing(view, project)[:max_requests]
    types = suspected_types(view)
    return {
        "scratchpad": f"Read {len(view.lines)} lines of code; {len(asked)} called definitions are not shown.",
        "analysis": "Following the request data into code not shown yet." if asked else "Every called definition is shown.",
        "poc": "",
        "confidence_score": 3 if types else 0,
        "vulnerability_types": types,
        "context_code": [
            {"name": w.name, "reason": "called here, definition not shown", "code_line": w.code_line} for w in asked
        ],
    }


def prefill_of(request: FakeRequest) -> str | None:
    """The text of a trailing assistant turn (an Anthropic prefill), if the request ends with one."""
    messages = request.body.get("messages") or []
    if not messages or messages[-1].get("role") != "assistant":
        return None
    content = messages[-1].get("content")
    if isinstance(content, list):
        content = "".join(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return str(content or "")


def continuation(prefill: str, obj: dict[str, Any]) -> str:
    """The text that, appended to *prefill*, makes *obj* as JSON (the prefill opens its first string)."""
    full = json.dumps(obj)
    if full.startswith(prefill):
        return full[len(prefill):]
    match = _PREFILL.match(prefill.strip())
    if match is None or match.group(1) not in obj:
        return full
    key, opened = match.group(1), match.group(2)
    value = json.loads(f'"{opened}"') + " " + str(obj[key])
    rest = {k: v for k, v in obj.items() if k != key}
    tail = json.dumps(value)[1 + len(opened):]  # past the opening quote and the prefilled characters
    return tail + ("}" if not rest else ", " + json.dumps(rest)[1:])


def wants_summary(request: FakeRequest) -> bool:
    """A README summary call: it asks for <summary> tags and no structured analysis."""
    text = html.unescape(request.prompt + request.system)
    return "<summary>" in text and "context_code" not in text and request.schema is None


class MissingDefinitions:
    """FakeLLM responder: answers every analysis call with the names its prompt lacks.

    ``project`` holds the project's own top-level module names (folders and
    ``.py`` stems of the scanned repository): an absolute import from any other
    module is a library, whose code a reviewer never asks for.
    """

    def __init__(self, project: Iterable[str] = (), max_requests: int = MAX_REQUESTS) -> None:
        self.project = frozenset(project)
        self.max_requests = max_requests

    def __call__(self, request: FakeRequest) -> Reply:
        if wants_summary(request):
            return Reply("<summary>A Python web application serving HTTP requests.</summary>")
        obj = answer(request, self.project, self.max_requests)
        prefill = prefill_of(request)
        return Reply(obj if prefill is None else continuation(prefill, obj))
