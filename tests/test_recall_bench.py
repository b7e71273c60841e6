"""bench/recall.py: which lines a prompt shows, what the simulated model asks for, and the score."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import pytest

from vulnhuntr.analysis import prompts
from vulnhuntr.analysis.context import prune
from vulnhuntr.findings import VulnType
from vulnhuntr.repo.entrypoints import find_entry_points
from vulnhuntr.repo.index import RepoIndex
from vulnhuntr.repo.resolve import Resolver
from fakes import FakeRequest

from example_apps import STATIC_APPS
from llm_helpers import EXAMPLES

BENCH = EXAMPLES.parent / "bench"


@pytest.fixture(scope="module")
def recall() -> ModuleType:
    """bench/recall.py (bench/ is not a package; its siblings are imported from sys.path)."""
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_recall", BENCH / "recall.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


FILLER = "".join(f"    total += {i}\n" for i in range(25))
APP = (
    "from flask import Flask, request\n"
    "from . import db\n"
    "\n"
    "app = Flask(__name__)\n"
    "\n\n"
    "def report():\n    total = 0\n" + FILLER + "    return str(total)\n"
    "\n\n"
    '@app.get("/search")\n'
    "def search():\n"
    '    term = request.args.get("q", "")\n'
    "    return db.find(term)\n"
)
DB = (
    "import sqlite3\n"
    "\n\n"
    "def find(term):\n"
    "    conn = sqlite3.connect('x.db')\n"
    '    return conn.execute(f"SELECT * FROM t WHERE n = \'{term}\'").fetchall()\n'
    "\n\n"
    "def total():\n"
    "    return str(0)\n"
)


def type_prompt(index: RepoIndex, vuln_type: VulnType = VulnType.SQLI) -> tuple[str, frozenset[int]]:
    """A real type-round prompt for app.py: the pruned file plus ``db.find`` fetched."""
    resolver = Resolver(index)
    entries = [e for e in find_entry_points(index, resolver) if e.file == "app.py"]
    view = prune(index.modules["app.py"], entries, keep_small=10)
    symbol = resolver.resolve("db.find", "app.py").symbol
    assert symbol is not None
    text, _ = prompts.type_request(vuln_type, "app.py", view.code, [symbol], "")
    return text, view.kept_lines


def test_shown_lines_follow_the_omission_markers_and_definition_ranges(
    recall: ModuleType, make_index: Callable[[dict[str, str]], RepoIndex], tmp_path: Path
) -> None:
    index = make_index({"app.py": APP, "db.py": DB})
    text, kept = type_prompt(index)
    shown = recall.shown_lines(text, recall.Sources(tmp_path))
    assert {line for file, line in shown if file == "app.py"} == set(kept)
    assert len(kept) < APP.count("\n")  # report() really was pruned to a marker
    assert {line for file, line in shown if file == "db.py"} == {4, 5, 6}


def test_a_line_is_shown_by_position_not_by_its_text(recall: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "h.py").write_text("def a():\n    return str(0)\n\n\ndef b():\n    return str(0)\n")
    prompt = '<definition name="b" file="h.py" lines="5-6">\ndef b():\n    return str(0)\n</definition>'
    assert recall.shown_lines(prompt, recall.Sources(tmp_path)) == {("h.py", 5), ("h.py", 6)}
    lying = '<definition name="b" file="h.py" lines="1-2">\ndef b():\n    return str(0)\n</definition>'
    assert recall.shown_lines(lying, recall.Sources(tmp_path)) == {("h.py", 2)}  # only the line whose text matches


def test_a_block_naming_a_file_without_a_range_is_aligned(recall: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "t.html").write_text("<ul>\n{% for p in posts %}\n<li>{{ p.body|safe }}</li>\n{% endfor %}\n</ul>\n")
    prompt = 'Template:\n<template path="t.html">\n{% for p in posts %}\n<li>{{ p.body|safe }}</li>\n</template>'
    assert recall.shown_lines(prompt, recall.Sources(tmp_path)) == {("t.html", 2), ("t.html", 3)}


def test_a_path_outside_the_root_shows_nothing(recall: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "secret.py").write_text("x = 1\n")
    prompt = '<file path="../secret.py">\nx = 1\n</file>'
    assert recall.shown_lines(prompt, recall.Sources(tmp_path / "app")) == set()


SERVER = (
    "import json\n"
    "import subprocess\n"
    "from http.server import BaseHTTPRequestHandler\n"
    "\n"
    "from . import jobs, pages\n"
    "from .registry import TASKS\n"
    "\n"
    "HANDLERS = {'resize': jobs.resize, 'convert': jobs.convert}\n"
    "\n\n"
    "class Handler(BaseHTTPRequestHandler):\n"
    "    routes = {'/': 'show_index', '/logs': 'show_log'}\n"
    "\n"
    "    def do_GET(self):\n"
    "        route = self.routes.get(self.path)\n"
    "        getattr(self, route)({})\n"
    "\n"
    "    def do_POST(self):\n"
    "        body = json.loads(self.rfile.read(10))\n"
    "        handler = HANDLERS.get(body['kind'])\n"
    "        handler(body)\n"
    "        TASKS[body['task']](body)\n"
    "        subprocess.run(['true'])\n"
    "        self.wfile.write(pages.done(len(body)).encode())\n"
    "\n"
    "    def show_index(self, params):\n"
    "        self.send_response(200)\n"
    "\n"
    "    def show_log(self, params):\n"
    "        self._send(open('x').read())\n"
    "\n"
    "    def _send(self, text):\n"
    "        self.wfile.write(text.encode())\n"
)


def model_for(recall: ModuleType, root: Path, files: dict[str, str]) -> Any:
    for name, text in files.items():
        (root / name).write_text(text)
    return recall.RecallModel(root, [])


def ask(model: Any, prompt: str) -> dict[str, Any]:
    request = FakeRequest("openai", "m", "", prompt, None, {}, {})
    reply = model(request)
    assert isinstance(reply.content, dict)
    return reply.content


def whole_file_prompt(file: str, text: str, vuln_type: str = "RCE", notes: str = "") -> str:
    return f"Focus: {vuln_type} only.\nguidance\n\n<file path=\"{file}\">\n{text.rstrip()}\n</file>{notes}\n\nTask: ..."


def test_the_model_asks_for_project_code_and_dispatch_targets_never_library_code(
    recall: ModuleType, tmp_path: Path
) -> None:
    model = model_for(recall, tmp_path, {"server.py": SERVER})
    reader = model.reader
    shown = recall.shown_lines(whole_file_prompt("server.py", SERVER), model.sources)
    names = [w.name for w in reader.wanted(["server.py"], shown, set())]
    # the route table's methods are shown in the file, so they are not asked for; HANDLERS is shown: its values are
    assert names == ["jobs.resize", "jobs.convert", "TASKS", "pages.done"]
    answer = ask(model, whole_file_prompt("server.py", SERVER))
    assert [c["name"] for c in answer["context_code"]] == names[:3]  # at most three per answer
    assert answer["context_code"][0]["code_line"] == "HANDLERS = {'resize': jobs.resize, 'convert': jobs.convert}"


def test_the_model_follows_a_class_route_table_to_methods_it_cannot_see(recall: ModuleType, tmp_path: Path) -> None:
    model = model_for(recall, tmp_path, {"server.py": SERVER})
    lines = SERVER.splitlines()
    pruned = "\n".join(lines[:25]) + "\n    # ... 8 lines omitted: def Handler.show_index, def Handler.show_log, def Handler._send"
    shown = recall.shown_lines(whole_file_prompt("server.py", pruned), model.sources)
    assert ("server.py", 26) not in shown and ("server.py", 25) in shown
    names = [w.name for w in model.reader.wanted(["server.py"], shown, set())]
    assert names == ["jobs.resize", "jobs.convert", "Handler.show_index", "Handler.show_log", "TASKS", "pages.done"]


def test_names_that_did_not_resolve_are_not_asked_again(recall: ModuleType, tmp_path: Path) -> None:
    model = model_for(recall, tmp_path, {"server.py": SERVER})
    notes = "\nNotes:\n- jobs.resize: not found in the repository\n- jobs.convert: not found in the repository"
    answer = ask(model, whole_file_prompt("server.py", SERVER, notes=notes))
    assert [c["name"] for c in answer["context_code"]] == ["TASKS", "pages.done"]


def test_initial_pass_names_only_types_whose_sink_it_can_see(recall: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "db.py").write_text(DB)
    vulns = [
        recall.Vulnerability("a", "sqli", "SQLI", ("db.py", 6), None, "conn.execute("),
        recall.Vulnerability("a", "xss", "XSS", ("t.html", 3), ("db.py", 9), "{{ x|safe }}"),
        recall.Vulnerability("a", "lfi", "LFI", ("other.py", 2), None, "open("),
    ]
    model = recall.RecallModel(tmp_path, vulns)
    answer = ask(model, f'<file path="db.py">\n{DB.rstrip()}\n</file>\n\nTask: list types')
    assert answer["vulnerability_types"] == ["SQLI", "XSS"]  # XSS: the render line of its template is shown
    hinted = ask(model, '<file path="x.py">\nx = 1\n</file>\nNotes:\n- a static pass traced an SSRF candidate')
    assert hinted["vulnerability_types"] == ["SSRF"]


def test_score_gives_each_miss_one_cause(recall: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "db.py").write_text(DB)
    vulns = [recall.Vulnerability("a", f"v{line}", t, ("db.py", line), None, "") for t, line in
             (("SQLI", 4), ("SQLI", 5), ("SQLI", 6), ("SQLI", 9))]
    lines = DB.splitlines()

    def block(first: int, last: int) -> str:
        body = "\n".join(lines[first - 1:last])
        return f'<definition name="x" file="db.py" lines="{first}-{last}">\n{body}\n</definition>'

    requests = [
        FakeRequest("openai", "m", "", "<readme>\nabout\n</readme>", None, {}, {}),
        FakeRequest("openai", "m", "", "Focus: SQLI only.\n" + block(4, 4), None, {}, {}),
        FakeRequest("openai", "m", "", "Focus: XSS only.\n" + block(5, 5), None, {}, {}),
        FakeRequest("openai", "m", "", "Task: initial\n" + block(5, 6), None, {}, {}),
    ]
    result = recall.score("a", vulns, requests, recall.Sources(tmp_path))
    assert (result.calls, result.found, result.expected) == (4, {"SQLI": 1}, {"SQLI": 4})
    assert [(m["id"], m["cause"]) for m in result.misses] == [
        ("v5", "wrong type"), ("v6", "initial only"), ("v9", "never shown"),
    ]


@pytest.mark.parametrize("app", ["flask_notes"])
def test_every_vulnerability_of_an_app_that_works_today_is_shown(
    recall: ModuleType, app: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert app in STATIC_APPS
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        monkeypatch.setenv(name, "unset")  # run_cli points them at the fake; monkeypatch restores them afterwards
    result = recall.measure(EXAMPLES / app, tmp_path)
    assert result.misses == [] and result.found == result.expected and result.calls > 0
    assert json.loads(json.dumps(vars(result)))["app"] == app
