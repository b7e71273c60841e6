"""Which entry points get an initial pass: a route that reads no request data and reaches no sink gets none."""

from __future__ import annotations

from vulnhuntr.analysis.context import ContextBuilder
from vulnhuntr.analysis.reach import SinkReach
from vulnhuntr.analysis.selection import select_entries
from vulnhuntr.cli import main
from vulnhuntr.config import PruningSettings
from vulnhuntr.repo.entrypoints import find_entry_points
from vulnhuntr.repo.resolve import Resolver

from conftest import write_tree

HELPERS = """
    import os
    import subprocess
    from datetime import datetime, timezone


    def now():
        return datetime.now(timezone.utc).isoformat()


    def restart():
        subprocess.run(f"systemctl restart {os.environ['SERVICE']}", shell=True, check=True)
    """


def _left_out(make_index, app: str, **options) -> list[str]:
    index = make_index({"app.py": app, "helpers.py": HELPERS, "forms.py": FORMS})
    resolver = Resolver(index)
    entries = find_entry_points(index, resolver)
    targets: dict[str, list] = {}
    for entry in entries:
        targets.setdefault(entry.file, []).append(entry)
    context = ContextBuilder(index, resolver, PruningSettings())
    selection = select_entries(targets, context, SinkReach(index, resolver, context), **options)
    return sorted(x.entry.function for x in selection.left_out)


FORMS = """
    from flask_wtf import FlaskForm
    from wtforms import StringField


    class CommentForm(FlaskForm):
        body = StringField("body")


    class ReplyForm(CommentForm):
        pass
    """

APP = """
    from flask import Flask, request, session
    import flask

    from helpers import now, restart
    from forms import ReplyForm

    app = Flask(__name__)


    @app.route("/health")
    def health():
        return {"ok": True, "time": now()}


    @app.route("/search")
    def search():
        return {"q": request.args.get("q", "")}


    @app.route("/agent")
    def agent():
        return {"ua": flask.request.headers.get("User-Agent")}


    @app.route("/item/<name>")
    def item(name):
        return {"name": name}


    @app.route("/restart")
    def do_restart():
        restart()
        return {"ok": True}


    @app.route("/reply")
    def reply():
        form = ReplyForm()
        return {"ok": form.validate_on_submit()}


    @app.before_request
    def check():
        return None
    """


def test_only_a_route_reading_nothing_and_reaching_no_sink_is_left_out(make_index) -> None:
    # search and agent read the request proxy, item has a parameter, do_restart reaches a shell
    # command through a helper, reply builds a submitted form (through a subclass), check is a hook
    assert _left_out(make_index, APP) == ["health"]


def test_all_entrypoints_and_a_forced_file_keep_everything(make_index) -> None:
    assert _left_out(make_index, APP, analyse_all=True) == []
    assert _left_out(make_index, APP, forced=("app.py",)) == []


def test_a_static_candidate_keeps_its_entry_point(make_index) -> None:
    from vulnhuntr.findings import VulnType
    from vulnhuntr.static import Candidate

    seed = Candidate(VulnType.XSS, 79, "health", 12, "app.py", 12, "x", (), "app.py", 13, 5)
    assert _left_out(make_index, APP, candidates={"app.py": [seed]}) == []


def test_files_are_ordered_by_evidence(make_index) -> None:
    index = make_index({"a_quiet.py": APP, "b_sink.py": APP, "helpers.py": HELPERS, "forms.py": FORMS})
    resolver = Resolver(index)
    targets: dict[str, list] = {}
    for entry in find_entry_points(index, resolver):
        targets.setdefault(entry.file, []).append(entry)
    from vulnhuntr.findings import VulnType
    from vulnhuntr.static import Candidate

    seed = Candidate(VulnType.RCE, 78, "do_restart", 1, "b_sink.py", 1, "x", (), "helpers.py", 11, 8)
    context = ContextBuilder(index, resolver, PruningSettings())
    selection = select_entries(targets, context, SinkReach(index, resolver, context), candidates={"b_sink.py": [seed]})
    assert list(selection.targets) == ["b_sink.py", "a_quiet.py"]


def test_dry_run_says_what_is_left_out_and_a_scan_reports_it(tmp_path, capsys) -> None:
    write_tree(tmp_path / "app", {"app.py": APP, "helpers.py": HELPERS, "forms.py": FORMS})
    assert main(["-r", str(tmp_path / "app"), "--dry-run", "-l", "gpt"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "left out app.py:health: reads no request data" in out and "--all-entrypoints" in out
    assert "app.py:search" not in out
    assert main(["-r", str(tmp_path / "app"), "--dry-run", "-l", "gpt", "--all-entrypoints"]) == 0
    assert "left out" not in capsys.readouterr().out


def test_dry_run_plans_the_files_a_prefiltered_scan_would_send(tmp_path, capsys) -> None:
    """The plan is the scan's own choice of targets: with --prefilter, only files with a static candidate."""
    write_tree(tmp_path / "app", {
        "vulnerable.py": """
            import os
            from flask import Flask, request
            app = Flask(__name__)

            @app.route("/run")
            def run():
                return os.popen(request.args["cmd"]).read()
            """,
        "clean.py": """
            from flask import Blueprint, request
            bp = Blueprint("b", __name__)

            @bp.route("/echo")
            def echo():
                return {"length": len(request.args.get("q", ""))}
            """,
    })
    assert main(["-r", str(tmp_path / "app"), "--dry-run", "-l", "gpt"]) == 0
    everything = capsys.readouterr().out
    assert "vulnerable.py" in everything and "clean.py" in everything
    assert main(["-r", str(tmp_path / "app"), "--dry-run", "-l", "gpt", "--prefilter"]) == 0
    prefiltered = capsys.readouterr().out
    assert "vulnerable.py" in prefiltered and "clean.py" not in prefiltered
    assert "Plan: 1 entry-point files" in " ".join(prefiltered.split())


def test_a_scan_reports_what_it_left_out_and_sends_it_nowhere(tmp_path, monkeypatch) -> None:
    from fakes import FakeLLM
    from fakes import Reply

    from llm_helpers import point_providers_at, run_scan

    write_tree(tmp_path / "app", {"app.py": APP, "helpers.py": HELPERS, "forms.py": FORMS})
    quiet = {"analysis": "nothing", "confidence_score": 0, "vulnerability_types": [], "context_code": []}
    with FakeLLM(lambda request: Reply(content=quiet)) as fake:
        point_providers_at(fake, monkeypatch)
        _code, report = run_scan(tmp_path / "app", "gpt", tmp_path, "--no-cache")
        prompts = [r.prompt for r in fake.requests if "its entry points are" in r.prompt]
    assert prompts and all("def health():" not in p for p in prompts)  # a marker at most, never a handler
    assert "health" not in prompts[0].split("its entry points are:", 1)[1].split("\n", 1)[0]
    assert any("got no initial pass" in n and "app.py:health" in n for n in report["notes"])
    summary = report["summary"]
    assert summary["entry_points_analysed"] == summary["entry_points_total"] - 1 and report["complete"] is True
