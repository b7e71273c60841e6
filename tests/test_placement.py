"""Where a finding points: the line a security engineer fixes, the sink as a related location."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Callable

import pytest

from vulnhuntr.analysis.locate import Place, confirmed_leads
from vulnhuntr.findings import EntryRef, Finding, Location, Report, VulnType
from vulnhuntr.report.markdown import render_markdown
from vulnhuntr.report.sarif import render_sarif
from vulnhuntr.repo.entrypoints import find_entry_points
from vulnhuntr.repo.index import RepoIndex
from vulnhuntr.repo.map import RepositoryMap
from vulnhuntr.repo.resolve import Resolver
from vulnhuntr.static import Candidate, StaticResult, run_static
from fakes import FakeLLM
from fakes import FakeRequest, Reply
from fakes.scripted_model import focus_of

from conftest import write_tree
from llm_helpers import point_providers_at, run_scan

Scan = Callable[[dict[str, str]], StaticResult]


@pytest.fixture
def scan(make_index: Callable[[dict[str, str]], RepoIndex], tmp_path: Path) -> Scan:
    def run(files: dict[str, str]) -> StaticResult:
        index = make_index(files)
        resolver = Resolver(index)
        entry_points = find_entry_points(index, resolver)
        repository = RepositoryMap(
            root=tmp_path, files=tuple(sorted(files)), entry_points=entry_points, skipped=[], readme=None, index=index
        )
        return run_static(repository, resolver)

    return run


def line(source: str, marker: str) -> int:
    text = textwrap.dedent(source).lstrip("\n")
    return next(n for n, text_line in enumerate(text.splitlines(), 1) if marker in text_line)


def placed(result: StaticResult) -> set[tuple[str, str, int, str, int]]:
    """(entry point, primary file, primary line, sink file, sink line) of every finding."""
    return {
        (f.entry_function, f.file, f.start_line, f.sink_location.file, f.sink_location.start_line)
        for f in result.findings
    }


DB = """
import sqlite3

def run(sql):
    return sqlite3.connect("app.db").execute(sql).fetchall()

def by_name(name):
    return sqlite3.connect("app.db").execute("SELECT * FROM users WHERE name = '" + name + "'").fetchall()
"""


def test_a_query_built_in_the_handler_is_placed_where_it_is_handed_to_the_shared_helper(scan: Scan) -> None:
    app = """
from flask import Flask, request
import db
app = Flask(__name__)

@app.route("/search")
def search():
    term = request.args["q"]
    sql = "SELECT * FROM items WHERE name LIKE '%" + term + "%'"
    return str(db.run(sql))

@app.route("/tags")
def tags():
    return str(db.run("SELECT * FROM tags WHERE tag = '" + request.args["t"] + "'"))
"""
    result = scan({"app.py": app, "db.py": DB})
    sink = line(DB, ".execute(sql)")
    assert placed(result) == {
        ("search", "app.py", line(app, "db.run(sql)"), "db.py", sink),
        ("tags", "app.py", line(app, "FROM tags"), "db.py", sink),
    }
    finding = next(f for f in result.findings if f.entry_function == "search")
    assert finding.sink == Location("db.py", sink, sink)
    assert "app.py:" + str(line(app, "db.run(sql)")) in finding.analysis
    assert finding.points_at("db.py", sink, sink) and finding.points_at("app.py", 1, 100)
    assert not finding.points_at("db.py", 1, sink - 1)


def test_a_sink_in_the_handler_is_the_primary_location(scan: Scan) -> None:
    app = """
import os
from flask import Flask, request
app = Flask(__name__)

@app.route("/ping")
def ping():
    host = request.args["host"]
    os.system("ping -c1 " + host)
    return "ok"
"""
    finding = scan({"app.py": app}).findings[0]
    assert (finding.file, finding.start_line, finding.sink) == ("app.py", line(app, "os.system"), None)
    assert finding.sink_location == finding.location


def test_a_helper_reading_the_request_itself_is_fixed_in_the_helper_and_lists_every_entry_point(scan: Scan) -> None:
    views = """
from django.http import HttpResponse
import helpers

def search(request):
    helpers.term(request)
    return HttpResponse("ok")

def browse(request):
    helpers.term(request)
    return HttpResponse("ok")
"""
    helpers = """
import os

def term(request):
    os.system("grep " + request.GET.get("q"))
"""
    urls = """
from django.urls import path
import views
urlpatterns = [path("s/", views.search), path("b/", views.browse)]
"""
    result = scan({"views.py": views, "helpers.py": helpers, "urls.py": urls})
    assert len(result.findings) == 1
    finding = result.findings[0]
    assert (finding.file, finding.start_line, finding.sink) == ("helpers.py", line(helpers, "os.system"), None)
    assert finding.entry_function == "browse"
    assert [(e.file, e.function) for e in finding.other_entry_points] == [("views.py", "search")]


def _finding(**changes: object) -> Finding:
    values: dict[str, object] = dict(
        type=VulnType.SQLI,
        cwe=89,
        file="app.py",
        start_line=12,
        end_line=12,
        entry_file="app.py",
        entry_function="search",
        entry_line=9,
        confidence=7,
        analysis="request.args reaches execute",
        poc="q=' OR 1=1 --",
        route="/search",
        kind="static",
        sink=Location("db.py", 5, 5),
        other_entry_points=(EntryRef("api.py", "api_search", 30, "/api/search"),),
    )
    values.update(changes)
    return Finding(**values)  # type: ignore[arg-type]


def _report(finding: Finding) -> Report:
    return Report(root="/repo", provider="none", model=None, min_confidence=0, entry_points_total=2,
                  entry_points_analysed=2, findings=[finding])


def test_the_json_form_round_trips_and_stays_readable_by_old_readers() -> None:
    finding = _finding()
    data = finding.to_dict()
    assert data["sink"] == {"file": "db.py", "start_line": 5, "end_line": 5}
    assert data["other_entry_points"] == [{"file": "api.py", "function": "api_search", "line": 30, "route": "/api/search"}]
    assert Finding.from_dict(json.loads(json.dumps(data))) == finding
    at_sink = _finding(sink=None, other_entry_points=())
    assert at_sink.to_dict()["sink"] == {"file": "app.py", "start_line": 12, "end_line": 12}
    assert Finding.from_dict(at_sink.to_dict()) == at_sink
    old = {k: v for k, v in data.items() if k not in ("sink", "other_entry_points")}  # a report of an older version
    assert Finding.from_dict(old) == _finding(sink=None, other_entry_points=())


def test_the_fingerprint_follows_the_sink_so_it_survives_the_move() -> None:
    moved = _finding()
    at_sink = _finding(file="db.py", start_line=5, end_line=5, sink=None)
    assert moved.fingerprint == at_sink.fingerprint


def test_sarif_puts_the_sink_and_the_other_entry_points_in_related_locations() -> None:
    sarif = json.loads(render_sarif(_report(_finding())))
    result = sarif["runs"][0]["results"][0]
    region = result["locations"][0]["physicalLocation"]
    assert (region["artifactLocation"]["uri"], region["region"]["startLine"]) == ("app.py", 12)
    related = {
        (r["physicalLocation"]["artifactLocation"]["uri"], r["physicalLocation"]["region"]["startLine"]): r["message"]["text"]
        for r in result["relatedLocations"]
    }
    assert related[("db.py", 5)].startswith("Sink")
    assert "api_search" in related[("api.py", 30)]
    assert [r["id"] for r in result["relatedLocations"]] == list(range(len(result["relatedLocations"])))
    assert result["properties"]["sink"] == {"file": "db.py", "startLine": 5, "endLine": 5}
    assert result["properties"]["otherEntryPoints"][0]["function"] == "api_search"


def test_markdown_names_the_sink_and_the_other_entry_points() -> None:
    text = render_markdown(_report(_finding()))
    assert "`db.py:5`" in text and "api_search" in text and "`app.py:12`" in text


SERVICE = """
import os
import subprocess

def read(name):
    with open(os.path.join("/srv/notes", name)) as fh:
        return fh.read()

def ping(host):
    return subprocess.check_output("ping -c1 " + host, shell=True)
"""
APP = """
import sqlite3
from flask import Flask, request
import service
app = Flask(__name__)

@app.route("/read")
def read_note():
    name = request.args["name"]
    return service.read(name)

@app.route("/search")
def search():
    db = sqlite3.connect("app.db")
    return str(db.execute("SELECT * FROM notes WHERE title = '" + request.args["q"] + "'").fetchall())

@app.route("/ping")
def ping():
    return service.ping(request.args["host"])
"""


def _no_sink_model(request: FakeRequest) -> Reply:
    """A model that confirms every type it is asked about but never quotes a sink or names a handler."""
    if "<readme>" in request.prompt:
        return Reply("<summary>notes</summary>")
    focus = focus_of(request.prompt)
    if not focus:
        return Reply({"analysis": "Handlers pass request data on.", "confidence_score": 6,
                      "vulnerability_types": ["LFI", "SQLI", "RCE"], "context_code": []})
    return Reply({"analysis": "The request data reaches a dangerous call unchanged.", "poc": "x",
                  "confidence_score": 8, "vulnerability_types": focus, "context_code": []})


def test_llm_findings_without_a_sink_line_take_the_place_and_entry_point_of_the_static_path(tmp_path, monkeypatch) -> None:
    write_tree(tmp_path / "app", {"app.py": APP, "service.py": SERVICE})
    with FakeLLM(_no_sink_model) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(tmp_path / "app", "gpt", tmp_path)
    assert code == 1
    got = {
        f["type"]: (f["entry_function"], f["file"], f["start_line"], f["sink"]["file"], f["sink"]["start_line"])
        for f in report["findings"]
    }
    assert got == {
        "LFI": ("read_note", "app.py", line(APP, "service.read(name)"), "service.py", line(SERVICE, "open(")),
        "SQLI": ("search", "app.py", line(APP, "db.execute"), "app.py", line(APP, "db.execute")),
        "RCE": ("ping", "app.py", line(APP, "service.ping("), "service.py", line(SERVICE, "check_output")),
    }
    assert all(f["kind"] == "llm" and f["path"] for f in report["findings"])
    assert all(f["path"][-1]["line"] == f["sink"]["start_line"] for f in report["findings"])


def _lead(entry: str, sink_line: int, fix_line: int = 0, confidence: int = 7) -> Candidate:
    return Candidate(
        VulnType.LFI, 22, entry, 1, "app.py", 2, "request.args", (), "store.py", sink_line, confidence,
        fix_file="app.py" if fix_line else "", fix_line=fix_line,
    )


def test_confirmed_leads_follow_the_named_entry_point_the_quoted_line_or_the_analysis() -> None:
    seeds = [_lead("read", 5, 10), _lead("read", 8, 11, confidence=9), _lead("export", 5, 20), _lead("admin.show", 8)]
    assert confirmed_leads(seeds, entry="read", place=None, analysis="") == [seeds[1]]  # the most confident
    assert confirmed_leads(seeds, entry=None, place=Place("store.py", 5), analysis="") == [seeds[2], seeds[0]]
    assert confirmed_leads(seeds, entry=None, place=Place("app.py", 20), analysis="") == [seeds[2]]  # its fix line
    assert confirmed_leads(seeds, entry=None, place=None, analysis="show() passes the id on") == [seeds[3]]
    assert confirmed_leads(seeds, entry=None, place=None, analysis="reading") == [seeds[3], seeds[2], seeds[1]]
    assert confirmed_leads(seeds, entry="other", place=None, analysis="") == []


TWO_PINGS = """
from flask import Flask, request
import service
app = Flask(__name__)

@app.route("/ping")
def ping():
    return service.ping(request.args["host"])

@app.route("/trace")
def trace():
    host = request.form["target"]
    return service.ping(host)
"""


def _helper_sink_model(request: FakeRequest) -> Reply:
    """Quotes the helper's sink line but names no handler."""
    if "<readme>" in request.prompt:
        return Reply("<summary>tools</summary>")
    if "Focus: RCE only." not in request.prompt:
        return Reply({"analysis": "Hosts go to a shell.", "confidence_score": 6, "vulnerability_types": ["RCE"]})
    if 'file="service.py"' not in request.prompt:
        return Reply({"analysis": "Need the helper.", "confidence_score": 5, "vulnerability_types": ["RCE"],
                      "context_code": [{"name": "service.ping", "reason": "sink", "code_line": ""}]})
    sink = 'return subprocess.check_output("ping -c1 " + host, shell=True)'
    return Reply({"analysis": "The host reaches a shell.", "poc": "x; id", "confidence_score": 8,
                  "vulnerability_types": ["RCE"], "sinks": [{"code_line": sink, "entry_point": ""}]})


def test_a_quoted_helper_sink_belongs_to_every_handler_whose_static_path_reaches_it(tmp_path, monkeypatch) -> None:
    write_tree(tmp_path / "app", {"app.py": TWO_PINGS, "service.py": SERVICE})
    with FakeLLM(_helper_sink_model) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(tmp_path / "app", "gpt", tmp_path)
    assert code == 1
    sink = line(SERVICE, "check_output")
    assert sorted((f["entry_function"], f["file"], f["start_line"], f["sink"]["start_line"]) for f in report["findings"]) == [
        ("ping", "app.py", line(TWO_PINGS, "service.ping(request"), sink),
        ("trace", "app.py", line(TWO_PINGS, "service.ping(host)"), sink),
    ]
