"""Modules with dangerous sinks that no entry point reaches get a chain of their own."""

from __future__ import annotations

import json
import re
from pathlib import Path

from vulnhuntr.analysis.context import ContextBuilder
from vulnhuntr.analysis.unreached import callee_step, reached_files, select_unreached
from vulnhuntr.cli import main
from vulnhuntr.config import PruningSettings
from vulnhuntr.findings import VulnType
from vulnhuntr.repo.entrypoints import find_entry_points
from vulnhuntr.repo.index import build_index
from vulnhuntr.repo.resolve import Resolver
from fakes import FakeLLM
from fakes import Reply
from fakes.scripted_model import focus_of

from conftest import write_tree
from llm_helpers import point_providers_at, run_scan

APP = {
    "app.py": """
        from flask import Flask, request
        from rq import Queue
        from helpers import clean_name

        app = Flask(__name__)
        jobs = Queue("jobs")

        @app.route("/run/<job>")
        def run_job(job):
            jobs.enqueue("tasks." + clean_name(job) + ".main", request.args.get("arg", ""))
            return "queued"
        """,
    "helpers.py": """
        import os

        def clean_name(name):
            return _strip(name)

        def _strip(name):
            return deeper(name)

        def deeper(name):
            os.system(name)  # reached two calls deep: not an unreached module
            return name
        """,
    "tasks/__init__.py": "",
    "tasks/backup.py": """
        import subprocess

        def main(target):
            subprocess.run("tar czf /tmp/backup.tgz " + target, shell=True)
            return "done"

        def size():
            return subprocess.run(["du", "-sh", "/tmp"], capture_output=True)
        """,
    "tasks/report.py": """
        import sqlite3

        def main(name):
            db = sqlite3.connect("app.db")
            db.execute(f"SELECT * FROM reports WHERE name = '{name}'")
            db.execute("SELECT count(*) FROM reports")
            open(name).read()
        """,
    "tasks/static_only.py": """
        import subprocess

        def main():
            subprocess.run(["ls", "-l"])
        """,
    "tests/test_tasks.py": """
        import os

        def test_it(cmd):
            os.system(cmd)
        """,
}


def _select(root: Path, cap: int = 10):
    write_tree(root, APP)
    index = build_index(root, sorted(APP))
    resolver = Resolver(index)
    entries = find_entry_points(index, resolver)
    return entries, index, resolver, select_unreached(index, resolver, entries, cap=cap)


def test_reached_means_an_entry_point_file_or_the_callee_walk_at_any_depth(tmp_path) -> None:
    entries, index, resolver, _ = _select(tmp_path)
    assert reached_files(entries, callee_step(index, resolver)) == {"app.py", "helpers.py"}
    # the same as the context builder's own walk, which also follows the resolver's repo-wide search
    context = ContextBuilder(index, resolver, PruningSettings())
    assert reached_files(entries, context._called_from) == {"app.py", "helpers.py"}


def test_modules_with_dynamic_sinks_no_entry_point_reaches_are_selected(tmp_path) -> None:
    *_, selection = _select(tmp_path)
    # tasks/report.py: two sinks (an f-string query, a file read); a literal query is no sink;
    # tasks/backup.py: one shell command (the argv of literals is none); static_only.py and tests: none
    assert [m.file for m in selection.modules] == ["tasks/report.py", "tasks/backup.py"]
    report, backup = selection.modules
    assert [(s.line, s.function, s.vuln_type) for s in report.sinks] == [
        (5, "main", VulnType.SQLI), (7, "main", VulnType.LFI)
    ]
    assert [(s.line, s.call) for s in backup.sinks] == [(4, "subprocess.run")]
    assert backup.functions == ("main",) and selection.left_out == ()


def test_the_cap_keeps_the_modules_with_most_sinks_and_names_the_rest(tmp_path) -> None:
    *_, selection = _select(tmp_path, cap=1)
    assert [m.file for m in selection.modules] == ["tasks/report.py"]
    assert selection.left_out == ("tasks/backup.py",)
    *_, none = _select(tmp_path / "again", cap=0)
    assert none.modules == () and none.left_out == ()


# -- through the real CLI, the real OpenAI SDK and the fake server -----------------------------


def _model(request):
    """Flags RCE where a shell command is built from a parameter; silent about everything else."""
    prompt = request.prompt
    if "<readme>" in prompt:
        return {"analysis": "", "confidence_score": 0}
    shown = "subprocess.run(\"tar czf /tmp/backup.tgz \" + target, shell=True)" in prompt
    if "Focus: RCE only." in prompt and shown:
        return {
            "analysis": "target reaches a shell command",
            "confidence_score": 8,
            "vulnerability_types": ["RCE"],
            "sinks": [{"code_line": 'subprocess.run("tar czf /tmp/backup.tgz " + target, shell=True)',
                       "entry_point": "main", "cwe": 78}],
        }
    if "Focus:" not in prompt and shown:
        return {"analysis": "main builds a shell command", "confidence_score": 6, "vulnerability_types": ["RCE"]}
    return {"analysis": "nothing", "confidence_score": 0, "vulnerability_types": []}


def _scan(tmp_path, monkeypatch, *extra):
    write_tree(tmp_path / "app", APP)
    with FakeLLM(lambda r: Reply(_model(r))) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(tmp_path / "app", "gpt", tmp_path, *extra)
        requests = list(fake.requests)
    return code, report, requests


def test_under_a_budget_an_unreached_module_is_analysed_after_the_reached_ones_and_marked(tmp_path, monkeypatch) -> None:
    # without a budget it runs beside them at a lower rank (tests/test_ranked_slots.py): the order is not fixed
    code, report, requests = _scan(
        tmp_path, monkeypatch, "--format", "sarif", "--format", "markdown", "--budget", "100", "--workers", "1"
    )
    assert code == 1
    files = [m.group(1) for r in requests if (m := re.search(r'<file path="([^"]+)">', r.prompt))]
    assert files.index("tasks/backup.py") > max(i for i, f in enumerate(files) if f == "app.py")
    assert files.index("tasks/backup.py") < files.index("tasks/report.py")  # the longer module starts first
    initial = next(r.prompt for r in requests if '<file path="tasks/backup.py">' in r.prompt)
    assert "no detected entry point reaches this file" in initial and "parameters of main" in initial
    rce = [r.prompt for r in requests if '<file path="tasks/backup.py">' in r.prompt and "RCE" in focus_of(r.prompt)]
    assert rce and "treat the parameters of main as attacker-controlled" in rce[0]
    assert "dangerous call: subprocess.run in main at line 4" in rce[0]
    # the SQLI and LFI chains of tasks/report.py run too: its sinks opened them although the model said nothing
    assert any('<file path="tasks/report.py">' in r.prompt and "SQLI" in focus_of(r.prompt) for r in requests)

    (finding,) = report["findings"]
    assert finding["reached"] is False and finding["entry_function"] == "main"
    assert (finding["file"], finding["start_line"], finding["type"]) == ("tasks/backup.py", 4, "RCE")
    assert "unreached module" in finding["note"]
    assert report["unreached_modules"] == {"analysed": ["tasks/report.py", "tasks/backup.py"], "left_out": [], "cap": 10}
    assert any("no entry point reaches were analysed on their own" in n for n in report["notes"])


def test_sarif_and_markdown_say_the_finding_is_unreached(tmp_path, monkeypatch) -> None:
    write_tree(tmp_path / "app", APP)
    out = tmp_path / "out"
    out.mkdir()
    with FakeLLM(lambda r: Reply(_model(r))) as fake:
        point_providers_at(fake, monkeypatch)
        code = main(["-r", str(tmp_path / "app"), "-l", "gpt", "--format", "sarif", "--format", "markdown",
                     "-o", str(out), "--log-file", str(tmp_path / "log")])
    assert code == 1
    sarif = json.loads(next(out.glob("*.sarif")).read_text())
    (result,) = sarif["runs"][0]["results"]
    assert result["properties"]["reached"] is False and "unreached module" in result["message"]["text"]
    assert sarif["runs"][0]["properties"]["unreachedModules"]["analysed"] == ["tasks/report.py", "tasks/backup.py"]
    markdown = next(out.glob("*.md")).read_text()
    assert "unreached module: no detected entry point reaches this code" in markdown


def test_the_cap_is_said_in_the_report(tmp_path, monkeypatch) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / ".vulnhuntr.yaml").write_text("analysis: {unreached_modules: 1}\n")
    code, report, requests = _scan(tmp_path, monkeypatch)
    assert report["unreached_modules"] == {"analysed": ["tasks/report.py"], "left_out": ["tasks/backup.py"], "cap": 1}
    assert any("1 more such module(s) were left out (analysis.unreached_modules: 1): tasks/backup.py" in n
               for n in report["notes"])
    assert not any('<file path="tasks/backup.py">' in r.prompt for r in requests)
    assert code == 0


def test_dry_run_counts_unreached_modules(tmp_path, capsys) -> None:
    write_tree(tmp_path / "app", APP)
    assert main(["-r", str(tmp_path / "app"), "-l", "gpt", "--dry-run", "--log-file", str(tmp_path / "log")]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "2 unreached sink modules (no entry point reaches them), each analysed after the entry-point files" in out
    assert "tasks/report.py" in out and "tasks/backup.py" in out
    # least: the README summary, one initial pass for app.py and one per unreached module
    assert re.search(r"least: 4 calls", out)


def test_prefilter_leaves_unreached_modules_out_and_says_why(tmp_path, monkeypatch) -> None:
    code, report, requests = _scan(tmp_path, monkeypatch, "--prefilter")
    assert not any("tasks/" in r.prompt for r in requests)
    assert report["unreached_modules"]["analysed"] == []
    assert report["unreached_modules"]["left_out"] == ["tasks/report.py", "tasks/backup.py"]
    assert any("were left out (--prefilter)" in n for n in report["notes"])


def test_an_incremental_run_leaves_unreached_modules_to_full_scans(tmp_path, monkeypatch) -> None:
    code, report, requests = _scan(tmp_path, monkeypatch, "--incremental")
    assert report["unreached_modules"] is None
    assert not any('<file path="tasks/' in r.prompt for r in requests)
    assert any("are analysed by full scans only" in n for n in report["notes"])
