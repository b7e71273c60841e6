"""What a chain and the initial pass are shown beyond the static pass's taint paths.

* A type's chain keeps whole the handlers that reach a dangerous call of that
  type (a sink-table call with a non-literal argument), even when no taint path
  and no pointer of the initial answer names them: the taint pass is incomplete.
* The initial pass is shown the definitions the entry points call directly (those
  no static path already runs through), so a sink one call away can raise a type.

Through the real CLI, the real OpenAI SDK and the fake LLM server.
"""

from __future__ import annotations

from fakes import FakeLLM
from fakes import Reply
from fakes.scripted_model import focus_of

from conftest import write_tree
from llm_helpers import point_providers_at, run_scan

BOARD = {
    "app.py": """
        from flask import Flask, request

        from helpers import render_motd
        from store import read_motd

        app = Flask(__name__)


        @app.route("/search")
        def search():
            q = request.args.get("q", "")
            return f"<h1>Results for {q}</h1>"


        @app.route("/motd")
        def motd():
            text = read_motd()
            return render_motd(text)


        @app.route("/health")
        def health():
            status = {"ok": True, "version": "1.4.2"}
            status["checks"] = ["db", "cache", "queue"]
            return status
        """,
    "helpers.py": """
        from markupsafe import Markup


        def render_motd(text):
            return Markup("<div class='motd'>" + text + "</div>")
        """,
    "store.py": """
        import json


        def read_motd():
            with open("/var/lib/board/motd.json", encoding="utf-8") as handle:
                return json.load(handle)["text"]
        """,
}
MOTD_SINK = """return Markup("<div class='motd'>" + text + "</div>")"""


def _prompts(tmp_path, monkeypatch, files: dict[str, str], respond) -> tuple[list[str], dict]:
    write_tree(tmp_path / "app", files)
    with FakeLLM(respond) as fake:
        point_providers_at(fake, monkeypatch)
        _code, report = run_scan(tmp_path / "app", "gpt", tmp_path, "--no-cache")
        return [r.prompt for r in fake.requests], report


def _untargeted_xss(request):
    """An initial pass that suspects XSS but points at nothing; XSS rounds conclude at once."""
    if "<readme>" in request.prompt:
        return Reply({"analysis": "", "confidence_score": 0})
    if "Focus:" not in request.prompt:
        return Reply({"analysis": "HTML is built from input.", "confidence_score": 5, "vulnerability_types": ["XSS"]})
    return Reply({"analysis": "done", "confidence_score": 0})


def test_a_handler_reaching_a_sink_of_the_type_stays_in_its_chain_without_a_taint_path(tmp_path, monkeypatch) -> None:
    prompts, report = _prompts(tmp_path, monkeypatch, BOARD, _untargeted_xss)
    xss = [p for p in prompts if "Focus: XSS only." in p]
    assert xss, "the XSS chain ran"
    first = xss[0]
    assert "traced request.args in search" in first  # the static pass seeded the chain with search only
    assert "    return render_motd(text)" in first  # motd is whole: it reaches Markup(<non-literal>)
    assert MOTD_SINK in first  # ... and what it calls is fetched with it
    assert "def health():" not in first  # reaching no XSS sink: still a marker
    assert not report.get("errors")


def test_the_initial_pass_sees_what_the_entry_points_call(tmp_path, monkeypatch) -> None:
    files = {
        "app.py": """
            from flask import Flask, request

            import pages

            app = Flask(__name__)


            @app.errorhandler(404)
            def page_not_found(error):
                return pages.not_found(error), 404
            """,
        "pages.py": """
            def not_found(error):
                return (
                    "<h1>Page not found</h1>"
                    f"<p>{error.description}</p>"
                )
            """,
    }
    # the static pass takes the exception for server data, so only a model shown pages.py can judge it
    sink = 'f"<p>{error.description}</p>"'

    def respond(request):
        prompt = request.prompt
        if "<readme>" in prompt:
            return Reply({"analysis": "", "confidence_score": 0})
        if sink not in prompt:  # judges only what it is shown
            return Reply({"analysis": "Nothing reaches a sink.", "confidence_score": 0})
        if "Focus:" not in prompt:
            return Reply({"analysis": "The 404 page echoes the path.", "confidence_score": 6, "vulnerability_types": ["XSS"]})
        if "Focus: XSS only." not in prompt:
            return Reply({"analysis": "no", "confidence_score": 0})
        return Reply({"analysis": "request.path is printed unescaped", "confidence_score": 8, "vulnerability_types": ["XSS"],
                      "sinks": [{"code_line": sink, "entry_point": "page_not_found", "cwe": 79}]})

    prompts, report = _prompts(tmp_path, monkeypatch, files, respond)
    initial = next(p for p in prompts if "Focus:" not in p and "<readme>" not in p)
    assert "Project code the entry points call:" in initial and sink in initial
    assert any("Focus: XSS only." in p for p in prompts)
    assert [(f["type"], f["file"], f["start_line"]) for f in report["findings"]] == [("XSS", "pages.py", 4)]


def _first(prompts: list[str]) -> str:
    """The first prompt about the app: its opening round when a static path leaves it no initial pass."""
    return next(p for p in prompts if "<readme>" not in p)


def test_the_first_round_is_shown_each_direct_callee_once(tmp_path, monkeypatch) -> None:
    prompts, _report = _prompts(tmp_path, monkeypatch, BOARD, _untargeted_xss)
    first = _first(prompts)
    assert "Focus:" in first  # the static XSS path in search: the chain opens at once
    assert first.count(MOTD_SINK) == 1 and first.count("def read_motd():") == 1  # as a triage would see them

    traced = {
        "app.py": """
            from flask import Flask, request

            from db import find

            app = Flask(__name__)


            @app.route("/search")
            def search():
                return {"rows": find(request.args["q"])}
            """,
        "db.py": """
            import sqlite3


            def find(term):
                return sqlite3.connect("app.db").execute("SELECT * FROM t WHERE name = '" + term + "'").fetchall()
            """,
    }
    prompts, _report = _prompts(tmp_path / "traced", monkeypatch, traced, _untargeted_xss)
    first = _first(prompts)
    assert "SQLI" in focus_of(first) and first.count("def find(term):") == 1  # on the static SQLI path, shown once
    assert "Project code the entry points call:" not in first  # an initial pass's heading: there was none


def test_without_pruning_the_first_round_gets_no_callees(tmp_path, monkeypatch) -> None:
    write_tree(tmp_path / "app", BOARD)
    with FakeLLM(_untargeted_xss) as fake:
        point_providers_at(fake, monkeypatch)
        run_scan(tmp_path / "app", "gpt", tmp_path, "--no-cache", "--no-prune")
        first = _first([r.prompt for r in fake.requests])
    assert "def read_motd():" not in first and "<definition " not in first  # whole files: the model asks


ERRORS = {
    "app.py": """
        from flask import Flask, request

        import pages

        app = Flask(__name__)


        @app.route("/search")
        def search():
            q = request.args.get("q", "")
            return f"<h1>Results for {q}</h1>"


        @app.errorhandler(404)
        def page_not_found(error):
            return pages.not_found(request.path), 404


        @app.route("/health")
        def health():
            status = {"ok": True, "version": "1.4.2"}
            status["checks"] = ["db", "cache", "queue"]
            return status
        """,
    "pages.py": """
        def not_found(path):
            return (
                "<h1>Page not found</h1>"
                f"<p>There is nothing at <code>{path}</code>.</p>"
            )
        """,
}
NOT_FOUND_SINK = 'f"<p>There is nothing at <code>{path}</code>.</p>"'


def test_a_sink_line_quoted_from_a_callee_keeps_that_callee_and_its_caller_in_the_chain(tmp_path, monkeypatch) -> None:
    def respond(request):
        prompt = request.prompt
        if "<readme>" in prompt:
            return Reply({"analysis": "", "confidence_score": 0})
        if "Focus:" not in prompt:  # quotes the helper's line, names no handler
            return Reply({"analysis": "HTML is built from the path.", "confidence_score": 6, "vulnerability_types": ["XSS"],
                          "sinks": [{"code_line": NOT_FOUND_SINK, "cwe": 79}]})
        return Reply({"analysis": "done", "confidence_score": 0})

    prompts, _report = _prompts(tmp_path, monkeypatch, ERRORS, respond)
    xss = [p for p in prompts if "Focus: XSS only." in p]
    assert xss and "traced request.args in search" in xss[0]
    assert "    return pages.not_found(request.path), 404" in xss[0]  # its caller is whole
    assert '<definition name="not_found" file="pages.py"' in xss[0]  # the quoted callee is fetched
    assert "def health():" not in xss[0]


def test_sink_reach_types_follow_the_callees_and_skip_literal_arguments(tmp_path) -> None:
    from vulnhuntr.analysis.context import ContextBuilder
    from vulnhuntr.analysis.reach import SinkReach
    from vulnhuntr.config import PruningSettings
    from vulnhuntr.findings import VulnType
    from vulnhuntr.repo.entrypoints import find_entry_points
    from vulnhuntr.repo.index import build_index
    from vulnhuntr.repo.resolve import Resolver

    files = {
        "app.py": """
            import subprocess

            from flask import Flask, request

            from tools import convert

            app = Flask(__name__)


            @app.route("/convert")
            def convert_view():
                return convert(request.args["name"])


            @app.route("/version")
            def version():
                return subprocess.run(["git", "describe"], capture_output=True).stdout
            """,
        "tools.py": """
            import subprocess


            def convert(name):
                return subprocess.run(f"convert {name} out.png", shell=True)
            """,
    }
    write_tree(tmp_path, files)
    index = build_index(tmp_path, sorted(files))
    resolver = Resolver(index)
    entries = {e.function: e for e in find_entry_points(index, resolver)}
    reach = SinkReach(index, resolver, ContextBuilder(index, resolver, PruningSettings()))
    assert VulnType.RCE in reach.types("app.py", entries["convert_view"])  # one call away
    assert reach.types("app.py", entries["version"]) == frozenset()  # argv of literals only
    assert reach.entries_reaching("app.py", list(entries.values()), VulnType.RCE) == [entries["convert_view"]]
