"""A scripted "model" that knows the answers of the example apps.

It reads each app's ``expected.yaml`` and answers vulnhuntr's prompts the way a
good model would: the initial pass names the types expected in the file; a
type round asks for the definition holding the sink until that code is in the
prompt, then confirms the vulnerability and quotes the sink line. It exercises
every part of the loop (context requests, resolution, sink location) with
answers that are known to be right, so reports can be checked exactly.

With ``root`` the apps may sit below the scanned folder (``examples/`` holding
all three apps, or a generated repository of ``app_NNNN_<name>/`` copies): file
names are then relative to ``root`` and definitions are asked for by their
fully qualified module name, the only name that tells one copy from another.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vulnhuntr.repo.index import MODULE_SCOPE, ModuleIndex, index_file
from vulnhuntr.repo.resolve import scope_at
from .script import FakeRequest, Reply

FILE_TAG = re.compile(r'<file path="([^"]+)">')
"""The entry-point file a prompt is about."""
FOCUS = re.compile(r"Focus: ([A-Z]+(?:, [A-Z]+)*)(?: only\.|; judge each on its own\.)")
"""The vulnerability types of a chain's round (absent from the initial pass): one, or several."""


def focus_of(prompt: str) -> list[str]:
    """The types a chain's round is about (empty for the initial pass and other calls)."""
    match = FOCUS.search(prompt)
    return match.group(1).split(", ") if match else []


_DEFINITION = re.compile(r'<definition name="[^"]*" file="([^"]+)" lines="(\d+)-(\d+)">')


@dataclass(frozen=True)
class ExpectedVulnerability:
    app: str
    id: str
    type: str
    cwe: int
    entry_file: str
    entry_function: str
    sink_file: str
    sink_line: int
    sink_code: str
    sink_definition: str | None  # module-qualified name of the definition holding the sink


class ScriptedModel:
    """A FakeLLM responder answering from ``expected.yaml`` files (one app or several).

    Without ``root`` each app folder is the scan root. With ``root``, every app
    folder must lie below it and ``expected.yaml`` is read from ``expected_from``
    (by the folder's name) when the folder itself has none, as for generated copies.
    """

    def __init__(
        self,
        app_dirs: Iterable[Path],
        *,
        root: Path | None = None,
        expected_from: Iterable[Path] = (),
    ) -> None:
        self.expected: dict[str, list[ExpectedVulnerability]] = defaultdict(list)  # by entry file
        originals = {original.name: original for original in expected_from}
        documents: dict[Path, dict[str, Any]] = {}  # expected.yaml by folder: copies share their original's
        for app in app_dirs:
            source = _expected_source(app, originals)
            if source not in documents:
                documents[source] = _read_expected(source)
            copy = app if root is not None else None
            for vulnerability in _vulnerabilities(documents[source], source, root=root, copy=copy):
                self.expected[vulnerability.entry_file].append(vulnerability)

    def __call__(self, request: FakeRequest) -> Reply:
        if "<readme>" in request.prompt:
            return Reply("<summary>A small web application used to exercise vulnhuntr.</summary>")
        file_match = FILE_TAG.search(request.prompt)
        if file_match is None:
            return Reply({"analysis": "no file in the prompt", "confidence_score": 0})
        file = file_match.group(1)
        focus = FOCUS.search(request.prompt)
        if focus is None:
            return Reply(self._initial(file))
        types = focus.group(1).split(", ")
        if len(types) == 1:
            return Reply(self._round(file, types[0], request.prompt))
        return Reply(combined([self._round(file, t, request.prompt) for t in types], types))

    def _initial(self, file: str) -> dict[str, Any]:
        expected = self.expected.get(file, [])
        types = sorted({v.type for v in expected})
        return {
            "scratchpad": "Reading the handlers of the file.",
            "analysis": f"Handlers in {file} pass request data to helpers." if types else "Nothing reaches a sink.",
            "poc": "",
            "confidence_score": 6 if types else 0,
            "vulnerability_types": types,
            "context_code": [],
            "suspects": [  # the handlers behind each suspicion, as a good model names them
                {"type": t, "functions": sorted({v.entry_function for v in expected if v.type == t})} for t in types
            ],
        }

    def _round(self, file: str, vuln_type: str, prompt: str) -> dict[str, Any]:
        wanted = [v for v in self.expected.get(file, []) if v.type == vuln_type]
        shown = [(m.group(1), int(m.group(2)), int(m.group(3))) for m in _DEFINITION.finditer(prompt)]
        missing = [v for v in wanted if not _visible(v, file, shown)]
        if missing:
            return {
                "scratchpad": "The data leaves this file; I need the helper.",
                "analysis": "Following the request data into project code not shown yet.",
                "poc": "",
                "confidence_score": 5,
                "vulnerability_types": [vuln_type],
                "context_code": [
                    {"name": v.sink_definition or "", "reason": "the data flows into it", "code_line": ""}
                    for v in missing
                    if v.sink_definition
                ],
            }
        if not wanted:
            return {"analysis": f"No {vuln_type} path.", "confidence_score": 0, "vulnerability_types": []}
        return {
            "scratchpad": "Source to sink traced.",
            "analysis": "; ".join(f"{v.id}: request data reaches {v.sink_code.strip()}" for v in wanted),
            "poc": f"curl 'http://localhost/{wanted[0].entry_function}?x=../../etc/passwd'",
            "confidence_score": 9,
            "vulnerability_types": [vuln_type],
            "context_code": [],
            "sinks": [{"code_line": v.sink_code, "entry_point": v.entry_function, "cwe": v.cwe} for v in wanted],
        }


def combined(answers: list[dict[str, Any]], types: list[str]) -> dict[str, Any]:
    """One answer judging several types: each type's verdict, every request and every (typed) sink."""
    requests = {c["name"]: c for a in answers for c in a.get("context_code", [])}
    confirmed = [t for t, a in zip(types, answers) if a.get("vulnerability_types")]
    return {
        "scratchpad": " ".join(a.get("scratchpad", "") for a in answers).strip(),
        "analysis": " ".join(a["analysis"] for a in answers),
        "poc": next((a["poc"] for a in answers if a.get("poc")), ""),
        "confidence_score": max(a["confidence_score"] for a in answers),
        "vulnerability_types": confirmed,
        "context_code": list(requests.values()),
        "verdicts": [
            {"type": t, "confidence_score": a["confidence_score"], "poc": a.get("poc", "")} for t, a in zip(types, answers)
        ],
        "sinks": [dict(sink, type=t) for t, a in zip(types, answers) for sink in a.get("sinks", [])],
    }


def _visible(vulnerability: ExpectedVulnerability, file: str, shown: list[tuple[str, int, int]]) -> bool:
    if vulnerability.sink_file == file:
        return True
    return any(f == vulnerability.sink_file and a <= vulnerability.sink_line <= b for f, a, b in shown)


def _expected_source(app: Path, originals: dict[str, Path]) -> Path:
    """The folder holding the app's expected.yaml: itself, or the original it was copied from."""
    if (app / "expected.yaml").exists():
        return app
    matching = [name for name in originals if app.name == name or app.name.endswith(f"_{name}")]
    if matching:
        return originals[max(matching, key=len)]  # "flask_notes" beats a shorter "notes"
    raise FileNotFoundError(f"no expected.yaml for {app} (pass the originals as expected_from)")


def load_expected(app: Path, *, root: Path | None = None, copy: Path | None = None) -> list[ExpectedVulnerability]:
    """The vulnerabilities of one example app, with each sink's line of code and definition.

    Paths in ``expected.yaml`` are relative to *app*. With *root*, they are
    rewritten relative to *root* for the app's files at *copy* (default: *app*),
    and definitions are named by the module path seen from *root*.
    """
    return _vulnerabilities(_read_expected(app), app, root=root, copy=copy)


def _read_expected(app: Path) -> dict[str, Any]:
    return yaml.safe_load((app / "expected.yaml").read_text(encoding="utf-8"))


def _vulnerabilities(
    data: dict[str, Any], app: Path, *, root: Path | None, copy: Path | None
) -> list[ExpectedVulnerability]:
    """:func:`load_expected` for an already parsed expected.yaml."""
    base = root if root is not None else app
    prefix = _prefix(copy or app, root)
    modules: dict[str, ModuleIndex] = {}  # several sinks may share a file: index it once
    found: list[ExpectedVulnerability] = []
    for item in data.get("vulnerabilities", []):
        sink = item["sink"]
        sink_file = prefix + sink["file"]
        if not sink_file.endswith(".py"):  # a template line: no Python definition holds it
            found.append(_template_sink(data["app"], item, base, prefix))
            continue
        if sink_file not in modules:
            indexed = index_file(base, sink_file)
            assert isinstance(indexed, ModuleIndex), f"{base / sink_file} does not index"
            modules[sink_file] = indexed
        module = modules[sink_file]
        found.append(
            ExpectedVulnerability(
                app=data["app"],
                id=item["id"],
                type=item["type"],
                cwe=item["cwe"],
                entry_file=prefix + item["entry_point"]["file"],
                entry_function=item["entry_point"]["function"],
                sink_file=sink_file,
                sink_line=sink["line"],
                sink_code=module.lines[sink["line"] - 1].strip(),
                sink_definition=_innermost(module, sink["line"]),
            )
        )
    return found


def _template_sink(app: str, item: dict[str, Any], base: Path, prefix: str) -> ExpectedVulnerability:
    """A vulnerability whose sink is a template line: its code is that line, no definition holds it."""
    sink_file = prefix + item["sink"]["file"]
    lines = (base / sink_file).read_text(encoding="utf-8").splitlines()
    return ExpectedVulnerability(
        app=app,
        id=item["id"],
        type=item["type"],
        cwe=item["cwe"],
        entry_file=prefix + item["entry_point"]["file"],
        entry_function=item["entry_point"]["function"],
        sink_file=sink_file,
        sink_line=item["sink"]["line"],
        sink_code=lines[item["sink"]["line"] - 1].strip(),
        sink_definition=None,
    )


def _prefix(app: Path, root: Path | None) -> str:
    """``app_0003_flask_notes/`` for an app below *root*; empty when the app is the root."""
    if root is None:
        return ""
    relative = app.resolve().relative_to(root.resolve()).as_posix()
    return "" if relative == "." else relative + "/"


def _innermost(module: ModuleIndex, line: int) -> str | None:
    """``render.share_banner``: module-qualified, as a model names code in another file.

    The module name follows the index root: below a scan root it is
    ``app_0003_flask_notes.render``, which the resolver cannot confuse with a sibling copy.
    """
    scope = scope_at(module, line)
    return None if scope == MODULE_SCOPE else f"{module.module}.{scope}"
