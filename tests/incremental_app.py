"""A five-route Flask app in a git repository, for the incremental-analysis tests.

Each route lives in its own file under ``routes/`` and hands request data to a
helper in its own file under ``helpers/``, where the sink is. ``expected.yaml``
tells :class:`~fakes.scripted_model.ScriptedModel` the answers.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from vulnhuntr.cli import main
from fakes import FakeLLM, FakeRequest, Reply
from fakes.scripted_model import FILE_TAG, ScriptedModel

# name: (vulnerability type, CWE, route function, helper function, helper body, sink text)
ROUTES: dict[str, tuple[str, int, str, str, str, str]] = {
    "files": ("LFI", 22, "show_file", "read_file", """\
        import os


        def read_file(name):
            path = os.path.join("/srv/files", name)
            with open(path) as handle:
                return handle.read()
        """, "with open(path)"),
    "users": ("SQLI", 89, "show_user", "find_user", """\
        import sqlite3


        def find_user(user_id):
            db = sqlite3.connect("app.db")
            return db.execute(f"SELECT name FROM users WHERE id = {user_id}").fetchall()
        """, "return db.execute("),
    "proxy": ("SSRF", 918, "fetch_page", "fetch", """\
        import requests


        def fetch(url):
            return requests.get(url, timeout=5).text
        """, "return requests.get("),
    "pages": ("XSS", 79, "preview", "render_preview", """\
        from markupsafe import Markup


        def render_preview(text):
            return Markup(f"<p>{text}</p>")
        """, "return Markup("),
    "tools": ("RCE", 78, "ping", "run_ping", """\
        import subprocess


        def run_ping(host):
            return subprocess.run(f"ping -c 1 {host}", shell=True, capture_output=True).stdout
        """, "return subprocess.run("),
}

ROUTE_SOURCE = """\
    from flask import Blueprint, request

    from helpers.{name} import {helper}

    bp = Blueprint("{name}", __name__)


    @bp.route("/{name}")
    def {function}():
        return {helper}(request.args.get("value", ""))
    """

ALL_ROUTES = {f"routes/{name}.py" for name in ROUTES}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


@pytest.fixture(autouse=True)
def git_identity(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commits need a name; the user's own git configuration must not matter."""
    config = tmp_path_factory.mktemp("git") / "gitconfig"
    config.write_text("[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def write(root: Path, relpath: str, source: str) -> None:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")


def build_app(root: Path, *, with_git: bool = True) -> Path:
    """The five routes, their helpers and expected.yaml; committed on ``main`` when *with_git*."""
    write(root, "routes/__init__.py", "")
    write(root, "helpers/__init__.py", "")
    vulnerabilities: list[dict[str, Any]] = []
    for name, (vuln_type, cwe, function, helper, body, sink) in ROUTES.items():
        write(root, f"routes/{name}.py", ROUTE_SOURCE.format(name=name, helper=helper, function=function))
        write(root, f"helpers/{name}.py", body)
        line = next(n for n, text in enumerate((root / f"helpers/{name}.py").read_text().splitlines(), 1) if sink in text)
        vulnerabilities.append({
            "id": f"{name}-{vuln_type.lower()}", "type": vuln_type, "cwe": cwe,
            "entry_point": {"file": f"routes/{name}.py", "function": function},
            "sink": {"file": f"helpers/{name}.py", "line": line},
        })
    (root / "expected.yaml").write_text(yaml.safe_dump({"app": "five_routes", "vulnerabilities": vulnerabilities}))
    if with_git:
        git(root, "init", "-q", "-b", "main")
        commit(root, "five routes")
    return root


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def touch_helper(root: Path, name: str) -> None:
    """Change a helper without moving its sink line (the scripted answers stay right)."""
    with (root / f"helpers/{name}.py").open("a", encoding="utf-8") as handle:
        handle.write("\n\ndef unused():\n    return None\n")


class Run:
    """One CLI run against a fresh fake LLM: exit code, JSON report, and what the model was asked."""

    def __init__(self, code: int, report: dict[str, Any], fake: FakeLLM) -> None:
        self.code = code
        self.report = report
        self.calls = len(fake.requests)
        self.files = {m.group(1) for r in fake.requests for m in [FILE_TAG.search(r.prompt)] if m}

    @property
    def entry_files(self) -> set[str]:
        return {f["entry_file"] for f in self.report.get("findings", [])}

    @property
    def incremental(self) -> dict[str, Any]:
        return self.report["incremental"]

    def reasons(self, group: str) -> dict[str, str]:
        return {note["file"]: note["reason"] for note in self.incremental[group]}


def scan_app(
    root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *extra: str,
    responder: Callable[[FakeRequest], Reply] | None = None,
) -> Run:
    """Scan *root* with ``-l gpt --no-cache`` (the answer cache must not hide re-analysis).

    The fake model answers from the app's expected.yaml unless *responder* is given.
    """
    output = tmp_path / "report.json"
    output.unlink(missing_ok=True)
    with FakeLLM(responder or ScriptedModel([root])) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-0000000000")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.openai_base_url)
        monkeypatch.delenv("OPENAI_MODEL", raising=False)
        code = main(["-r", str(root), "-l", "gpt", "--no-cache", "--quiet", "--format", "json", "-o", str(output),
                     "--log-file", str(tmp_path / "log.jsonl"), *extra])
        report = json.loads(output.read_text()) if output.exists() else {}
        return Run(code, report, fake)
