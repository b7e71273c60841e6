"""The static pass in a scan: the answer without a key, the starting point with one."""

from __future__ import annotations

import json
import re

from vulnhuntr.cli import main
from fakes import FakeLLM
from fakes.scripted_model import focus_of
from fakes.scripted_model import ScriptedModel

from conftest import write_tree
from llm_helpers import EXAMPLES, point_providers_at, run_scan

FLASK = EXAMPLES / "flask_notes"


def test_no_key_and_no_choice_runs_the_static_pass(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    output = tmp_path / "r.json"
    code = main(["-r", str(FLASK), "--format", "json", "-o", str(output), "--log-file", str(tmp_path / "log")])
    report = json.loads(output.read_text())
    assert code == 1
    assert report["provider"] == "none" and report["summary"]["llm_calls"] == 0
    assert {f["kind"] for f in report["findings"]} == {"static"}
    assert {f["type"] for f in report["findings"]} == {"LFI", "SQLI", "IDOR", "XSS", "RCE"}
    assert all(f["path"] for f in report["findings"])
    assert "LLM confirmation is off: ANTHROPIC_API_KEY is not set" in report["notes"][0]
    assert "LLM confirmation is off" in capsys.readouterr().err


def test_dash_l_none_says_how_to_turn_the_llm_on(tmp_path) -> None:
    code, report = run_scan(FLASK, "none", tmp_path)
    assert code == 1 and len(report["findings"]) == 5
    assert "set ANTHROPIC_API_KEY" in report["notes"][0]


def test_candidates_seed_types_and_the_first_prompt(tmp_path, monkeypatch) -> None:
    scripted = ScriptedModel([FLASK])

    def initial_suspects_nothing(request):
        reply = scripted(request)
        if "Focus:" not in request.prompt and "<readme>" not in request.prompt:
            reply.content = {"analysis": "looks fine", "confidence_score": 0, "vulnerability_types": []}
        return reply

    with FakeLLM(initial_suspects_nothing) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(FLASK, "gpt", tmp_path)
        prompts = [r.prompt for r in fake.requests if "LFI" in focus_of(r.prompt)]
    # the model's initial pass suspected nothing; the static candidates still opened every chain
    assert code == 1 and {f["type"] for f in report["findings"]} == {"LFI", "SQLI", "IDOR", "XSS", "RCE"}
    first = prompts[0]
    assert "static pass traced request.args in download_note" in first
    assert 'with open(path, encoding="utf-8") as fh:' in first  # the sink's definition is already there
    # the file's one chain keeps whole the handlers some type's path runs through; the others are markers
    assert "def download_note():" in first and "def search():" in first and "def index():" not in first
    assert re.search(r"# \.\.\. \d+ lines omitted: .*def index", first)


def test_prefilter_sends_only_files_with_candidates(tmp_path, monkeypatch) -> None:
    write_tree(tmp_path / "app", {
        "vuln.py": """
            from flask import Flask, request
            app = Flask(__name__)

            @app.route("/read")
            def read():
                return open(request.args["p"]).read()
            """,
        "safe.py": """
            from flask import Blueprint
            bp = Blueprint("b", __name__)

            @bp.route("/ping")
            def ping():
                return "pong"
            """,
    })
    seen = set()

    def answer(request):
        from fakes import Reply
        for name in ("vuln.py", "safe.py"):
            if f'<file path="{name}">' in request.prompt:
                seen.add(name)
        if "<readme>" in request.prompt:
            return Reply("<summary>x</summary>")
        return Reply({"analysis": "", "confidence_score": 0, "vulnerability_types": []})

    with FakeLLM(answer) as fake:
        point_providers_at(fake, monkeypatch)
        run_scan(tmp_path / "app", "gpt", tmp_path, "--prefilter")
        assert seen == {"vuln.py"}
        seen.clear()
        run_scan(tmp_path / "app", "gpt", tmp_path, "--no-cache", "--all-entrypoints")  # ping reads nothing
        assert seen == {"vuln.py", "safe.py"}
