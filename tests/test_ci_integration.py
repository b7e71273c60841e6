"""The pre-commit hook and the GitHub Action run what they say, on a real git repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from vulnhuntr import precommit

from llm_helpers import EXAMPLES

PROJECT = Path(__file__).resolve().parent.parent
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
NEW_ROUTE = (
    "\n\n@app.get(\"/admin/ping\")\ndef ping_host():\n    import subprocess\n"
    "    return subprocess.check_output(\"ping -c 1 \" + request.args.get(\"host\", \"\"), shell=True)\n"
)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True, capture_output=True,
                          text=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """flask_notes as a git repository on main, with an 'origin' remote that has main."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    work = tmp_path / "work"
    shutil.copytree(EXAMPLES / "flask_notes", work)
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "notes app")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main")
    return work


# -- pre-commit -----------------------------------------------------------------------


def test_the_hook_definition_runs_the_installed_script() -> None:
    (hook,) = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "vulnhuntr" and hook["language"] == "python" and hook["types"] == ["python"]
    assert f'{hook["entry"]} = "vulnhuntr.precommit:main"' in (PROJECT / "pyproject.toml").read_text()


def test_the_hook_reports_the_findings_of_the_committed_files_entry_points(repo: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(repo.parent / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(repo.parent / "xdg-state"))
    monkeypatch.chdir(repo)
    assert precommit.main(["config.py"]) == 0  # no entry point there, nothing it reports
    assert precommit.main([]) == 0
    assert precommit.main(["app.py", "config.py"]) == 1
    out = capsys.readouterr().out
    assert "SQLI" in out and "download_note" in out


@pytest.mark.skipif(
    shutil.which("pre-commit") is None or not os.environ.get("VULNHUNTR_TRY_REPO"),
    reason="installs the hook into a new virtualenv from PyPI (a minute or two): set VULNHUNTR_TRY_REPO=1",
)
def test_pre_commit_try_repo(repo: Path) -> None:
    with open(repo / "app.py", "a", encoding="utf-8") as handle:
        handle.write(NEW_ROUTE)
    done = subprocess.run(["pre-commit", "try-repo", str(PROJECT), "vulnhuntr", "--files", "app.py"], cwd=repo,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 1 and "ping_host" in done.stdout


# -- the GitHub Action -------------------------------------------------------------------


def _expression(text: str, inputs: dict[str, str], github: dict[str, str]) -> str:
    """The few GitHub expressions the action uses: ``inputs.x``, ``github.x`` and ``a || b``."""

    def value(term: str) -> str:
        scope, _, name = term.strip().partition(".")
        return {"inputs": inputs, "github": github}[scope].get(name, "")

    def evaluate(match: re.Match[str]) -> str:
        for term in match.group(1).split("||"):
            if value(term):
                return value(term)
        return ""

    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", evaluate, text)


def _run_step(step: dict[str, Any], cwd: Path, inputs: dict[str, str], github: dict[str, str], output: Path) -> int:
    env = {**os.environ, "GITHUB_OUTPUT": str(output),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.update({k: _expression(str(v), inputs, github) for k, v in (step.get("env") or {}).items()})
    script = _expression(step["run"], inputs, github)
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env, timeout=600).returncode


def _action() -> dict[str, Any]:
    return yaml.safe_load((PROJECT / "action.yml").read_text())


def test_the_action_is_a_composite_that_installs_itself_and_uploads_sarif() -> None:
    action = _action()
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    install = next(s for s in steps if s.get("name") == "Install vulnhuntr")
    assert '"$VH_ACTION_PATH"' in install["run"] and install["env"]["VH_ACTION_PATH"] == "${{ github.action_path }}"
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert all(s.get("shell") == "bash" for s in steps if "run" in s)


def test_the_action_scan_step_reports_only_what_a_pull_request_adds(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "admin.py").write_text("from flask import request\n\nfrom .app import app\n" + NEW_ROUTE, encoding="utf-8")
    git(repo, "add", "admin.py")
    git(repo, "commit", "-qm", "ping endpoint")
    git(repo, "branch", "-q", "-D", "main")
    git(repo, "update-ref", "-d", "refs/remotes/origin/main")  # as after a shallow checkout: the step fetches it
    action = _action()
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs["args"] = f"--cache-dir {tmp_path / 'cache'} --log-file {tmp_path / 'log'}"
    scan = next(s for s in action["runs"]["steps"] if s.get("id") == "scan")
    output = tmp_path / "github_output"
    code = _run_step(scan, repo, inputs, {"base_ref": "main", "action_path": str(PROJECT)}, output)
    assert code == 0  # findings are not a failure of the step: the last step decides
    assert output.read_text().strip() == "exit-code=1"
    results = json.loads((repo / "vulnhuntr.sarif").read_text())["runs"][0]["results"]
    assert [r["properties"]["entryPoint"]["function"] for r in results] == ["ping_host"]
