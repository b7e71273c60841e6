"""A chain that opens at once: static evidence stands in for the triage, and its first round may add types.

When the static pass traced a path in a view, the types to judge are known before
any call; the chain's first round shows what a triage would have seen (the whole
view, the entry points' direct callees, which functions are entry points) and asks
for any further type. A type it adds is judged from the next round on, with its
own guidance and verdict. Where the first round would cost much more than a triage
(a large context to pre-resolve), or with ``analysis.always_initial_pass``, the
initial pass comes first as before.

Through the real CLI, the real OpenAI SDK and the fake LLM server.
"""

from __future__ import annotations

from fakes import FakeLLM, FakeRequest, Reply
from fakes.scripted_model import focus_of

from conftest import write_tree
from llm_helpers import point_providers_at, run_scan
from vulnhuntr.analysis.prompts import FIRST_LOOK

APP = {
    "app.py": """
        import sqlite3
        from flask import Flask, current_app, request

        app = Flask(__name__)


        @app.route("/search")
        def search():
            term = request.args["q"]
            return str(sqlite3.connect("app.db").execute("SELECT * FROM t WHERE name = '%s'" % term).fetchall())


        @app.route("/preview")
        def preview():
            return current_app.extensions["fetcher"].fetch(request.args["url"])
        """,
}
SQLI_SINK = """return str(sqlite3.connect("app.db").execute("SELECT * FROM t WHERE name = '%s'" % term).fetchall())"""
SSRF_SINK = 'return current_app.extensions["fetcher"].fetch(request.args["url"])'


def _model(request: FakeRequest) -> Reply:
    """First look: SQLI confirmed, SSRF suspected in preview; once SSRF is in focus, both get a verdict."""
    prompt = request.prompt
    if "<readme>" in prompt:
        return Reply("<summary>app</summary>")
    sqli = {"code_line": SQLI_SINK, "entry_point": "search", "type": "SQLI", "cwe": 89}
    if "SSRF" not in focus_of(prompt):
        return Reply({"analysis": "search formats q into SQL; preview fetches a user URL", "confidence_score": 8,
                      "vulnerability_types": ["SQLI", "SSRF"], "suspects": [{"type": "SSRF", "functions": ["preview"]}],
                      "verdicts": [{"type": "SQLI", "confidence_score": 8}], "sinks": [sqli]})
    return Reply({"analysis": "both confirmed", "confidence_score": 8, "vulnerability_types": ["SQLI", "SSRF"],
                  "verdicts": [{"type": "SQLI", "confidence_score": 8}, {"type": "SSRF", "confidence_score": 7}],
                  "sinks": [sqli, {"code_line": SSRF_SINK, "entry_point": "preview", "type": "SSRF", "cwe": 918}]})


def _scan(tmp_path, monkeypatch, files: dict[str, str], *options: str) -> tuple[list[str], dict]:
    write_tree(tmp_path / "app", files)
    with FakeLLM(_model) as fake:
        point_providers_at(fake, monkeypatch)
        _code, report = run_scan(tmp_path / "app", "gpt", tmp_path, "--no-cache", *options)
        return [r.prompt for r in fake.requests if "<readme>" not in r.prompt], report


def test_a_traced_file_gets_no_initial_pass_and_its_first_look_adds_a_type(tmp_path, monkeypatch) -> None:
    prompts, report = _scan(tmp_path, monkeypatch, APP)
    assert all(focus_of(p) for p in prompts)  # no triage call
    first, second = prompts
    assert focus_of(first) == ["SQLI"] and FIRST_LOOK in first
    assert "its entry points are: preview, search" in first and SSRF_SINK in first  # as a triage would see it
    assert focus_of(second) == ["SQLI", "SSRF"] and "Server-side request forgery (SSRF)" in second
    assert FIRST_LOOK not in second  # only the first round triages
    assert {(f["type"], f["entry_function"]) for f in report["findings"]} == {("SQLI", "search"), ("SSRF", "preview")}


def test_a_first_round_much_larger_than_a_triage_waits_for_the_initial_pass(tmp_path, monkeypatch) -> None:
    body = "\n".join(f"    step_{i} = len(term) + {i}  # normalise the term, stage {i}" for i in range(120))
    files = {
        "app.py": """
            from flask import Flask, request

            from db import lookup

            app = Flask(__name__)


            @app.route("/search")
            def search():
                return str(lookup(request.args["q"]))
            """,
        "db.py": "import sqlite3\n\n\ndef lookup(term):\n" + body + "\n"
                 "    return sqlite3.connect('app.db').execute(\"SELECT * FROM t WHERE name = '%s'\" % term).fetchall()\n",
    }
    prompts, _report = _scan(tmp_path, monkeypatch, files)
    assert not focus_of(prompts[0]) and "its entry points are: search" in prompts[0]  # the triage first
    assert any("SQLI" in focus_of(p) and "def lookup(term):" in p and FIRST_LOOK not in p for p in prompts[1:])


def test_always_initial_pass_gives_a_traced_file_its_triage(tmp_path, monkeypatch) -> None:
    config = tmp_path / "vulnhuntr.yaml"
    config.write_text("analysis:\n  always_initial_pass: true\n")
    prompts, _report = _scan(tmp_path, monkeypatch, APP, "--config", str(config))
    assert not focus_of(prompts[0]) and all(FIRST_LOOK not in p for p in prompts)
