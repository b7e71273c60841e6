"""A chain keeps in view what the initial pass pointed at for its type, not only the static pass's paths."""

from __future__ import annotations

import json

import pytest

from vulnhuntr.analysis.response import parse_answer
from vulnhuntr.analysis.suspicion import pointed_at
from vulnhuntr.findings import VulnType
from vulnhuntr.repo.entrypoints import find_entry_points
from vulnhuntr.repo.index import build_index
from vulnhuntr.repo.resolve import Resolver
from fakes import FakeLLM
from fakes import Reply
from fakes.scripted_model import ScriptedModel

from conftest import write_tree
from llm_helpers import point_providers_at, run_scan

SHOP = {
    "app.py": """
        import sqlite3

        from flask import Flask, request

        from reports import summary

        app = Flask(__name__)


        def connect():
            return sqlite3.connect("shop.db")


        @app.route("/search")
        def search():
            term = request.args.get("q", "")
            db = connect()
            rows = db.execute(f"SELECT name FROM products WHERE name LIKE '%{term}%'").fetchall()
            return {"rows": rows}


        @app.route("/report")
        def report():
            column = request.args.get("sort", "name")
            db = connect()
            run = getattr(db, "execute")
            rows = run("SELECT name, price FROM products ORDER BY " + column).fetchall()
            return summary(rows)


        @app.route("/health")
        def health():
            db = connect()
            ok = db.execute("SELECT 1").fetchone()
            return {"db": "ok" if ok else "down"}
        """,
    "reports.py": """
        def summary(rows):
            lines = [f"{name}: {price}" for name, price in rows]
            lines.append(f"total: {sum(price for _name, price in rows)}")
            return "\\n".join(lines)
        """,
}
REPORT_SINK = 'rows = run("SELECT name, price FROM products ORDER BY " + column).fetchall()'
SEARCH_SINK = "rows = db.execute(f\"SELECT name FROM products WHERE name LIKE '%{term}%'\").fetchall()"


@pytest.fixture
def shop(tmp_path):
    write_tree(tmp_path, SHOP)
    index = build_index(tmp_path, sorted(SHOP))
    entries = [e for e in find_entry_points(index, Resolver(index)) if e.file == "app.py"]
    return index.modules["app.py"], entries


def _pointed(shop, answer: dict, vuln_type: VulnType = VulnType.SQLI):
    module, entries = shop
    parsed, _warnings = parse_answer(json.dumps(answer))
    return pointed_at(parsed, vuln_type, module, entries)


def test_suspects_name_handlers_per_type(shop) -> None:
    answer = {"suspects": [{"type": "SQLI", "functions": ["report", "app.search"]}, {"type": "XSS", "functions": ["health"]}]}
    assert _pointed(shop, answer).entry_functions == {"report", "search"}
    assert _pointed(shop, answer, VulnType.XSS).entry_functions == {"health"}
    assert _pointed(shop, answer, VulnType.LFI).entry_functions == set()


def test_suspects_also_name_definitions_outside_the_handlers(shop) -> None:
    pointed = _pointed(shop, {"suspects": {"SQLI": ["reports.summary", "report"]}})
    assert pointed.entry_functions == {"report"} and pointed.names == ("reports.summary",)


def test_sinks_point_by_handler_or_by_quoted_line_typed_by_their_cwe(shop) -> None:
    by_line = {"sinks": [{"code_line": REPORT_SINK, "cwe": 89}]}
    assert _pointed(shop, by_line).entry_functions == {"report"}
    assert _pointed(shop, by_line, VulnType.XSS).entry_functions == set()  # CWE-89 is SQL injection only
    untyped = {"sinks": [{"code_line": "x", "entry_point": "report"}]}
    assert _pointed(shop, untyped, VulnType.XSS).entry_functions == {"report"}


def test_analysis_sentences_point_at_handlers_and_lines_of_the_types_they_name(shop) -> None:
    answer = {
        "analysis": "report() concatenates the sort parameter into ORDER BY: SQL injection. "
                    "health only runs a constant query.\nThe search handler may echo input (XSS).",
        "scratchpad": "Check line 26 too.",
    }
    # a sentence naming no type points for every type: "health ..." and "line 26" (in report)
    assert _pointed(shop, answer).entry_functions == {"report", "health"}
    assert _pointed(shop, answer, VulnType.XSS).entry_functions == {"search", "health", "report"}
    assert _pointed(shop, answer, VulnType.RCE).entry_functions == {"health", "report"}
    assert _pointed(shop, {"analysis": "The query on line 18 is built from q."}).entry_functions == {"search"}


def test_context_requests_point_at_the_handler_holding_the_call(shop) -> None:
    answer = {"context_code": [{"name": "summary", "reason": "rows flow into it", "code_line": "return summary(rows)"}]}
    assert _pointed(shop, answer).entry_functions == {"report"}
    other_type = {"context_code": [{"name": "summary", "reason": "XSS in the HTML", "code_line": "return summary(rows)"}]}
    assert _pointed(shop, other_type).entry_functions == set()


# -- through the real CLI, the real OpenAI SDK and the fake server -----------------------------


def _model(initial: dict):
    """The initial pass answers *initial*; SQLI rounds confirm every ORDER BY / LIKE query they are shown."""

    def respond(request):
        prompt = request.prompt
        if "<readme>" in prompt:
            return Reply({"analysis": "", "confidence_score": 0})
        if "Focus:" not in prompt:
            return Reply({"confidence_score": 6, "vulnerability_types": ["SQLI"], **initial})
        if "Focus: SQLI only." not in prompt:
            return Reply({"analysis": "nothing", "confidence_score": 0})
        sinks = [{"code_line": line, "entry_point": name, "cwe": 89}
                 for line, name in ((SEARCH_SINK, "search"), (REPORT_SINK, "report")) if line in prompt]
        return Reply({"analysis": "query built from input", "confidence_score": 8, "vulnerability_types": ["SQLI"],
                      "sinks": sinks})

    return respond


def _triage_always(tmp_path) -> list[str]:
    """The options that give the shop its initial pass (its static path would open the chain at once)."""
    path = tmp_path / "triage.yaml"
    path.write_text("analysis:\n  always_initial_pass: true\n")
    return ["--no-cache", "--config", str(path)]


def _sqli_prompts(tmp_path, monkeypatch, initial: dict) -> tuple[list[str], dict]:
    write_tree(tmp_path / "shop", SHOP)
    with FakeLLM(_model(initial)) as fake:
        point_providers_at(fake, monkeypatch)
        _code, report = run_scan(tmp_path / "shop", "gpt", tmp_path, *_triage_always(tmp_path))
        return [r.prompt for r in fake.requests if "Focus: SQLI only." in r.prompt], report


def test_a_handler_the_initial_pass_suspects_stays_in_its_type_chain(tmp_path, monkeypatch) -> None:
    prompts, report = _sqli_prompts(
        tmp_path, monkeypatch, {"suspects": [{"type": "SQLI", "functions": ["search", "report"]}]}
    )
    assert prompts and all(REPORT_SINK in p and SEARCH_SINK in p for p in prompts)
    assert "static pass traced request.args in search" in prompts[0]
    assert "def health():" not in prompts[0]  # pointed at by neither: still pruned to a marker
    assert "def summary(rows):" in prompts[0]  # what the suspected handler calls is fetched with it
    assert {(f["entry_function"], f["start_line"]) for f in report["findings"]} == {("search", 18), ("report", 27)}


def test_without_the_model_pointing_only_the_traced_handler_is_whole(tmp_path, monkeypatch) -> None:
    prompts, report = _sqli_prompts(tmp_path, monkeypatch, {"analysis": "Queries are built from input."})
    assert prompts and SEARCH_SINK in prompts[0] and REPORT_SINK not in prompts[0]
    assert {f["entry_function"] for f in report["findings"]} == {"search"}


def test_a_handler_named_in_the_analysis_text_stays_too(tmp_path, monkeypatch) -> None:
    prompts, _report = _sqli_prompts(
        tmp_path, monkeypatch, {"analysis": "report() puts the sort parameter into ORDER BY (SQL injection)."}
    )
    assert prompts and REPORT_SINK in prompts[0] and "def health():" not in prompts[0]


def test_the_scripted_model_names_its_suspects_and_they_stay_in_view(tmp_path, monkeypatch) -> None:
    """The simulated model of the benchmarks: it flags exactly the labelled vulnerabilities of the file."""
    write_tree(tmp_path / "shop", {**SHOP, "expected.yaml": """
        app: shop
        vulnerabilities:
          - id: shop-sqli-search
            type: SQLI
            cwe: 89
            entry_point: {file: app.py, function: search}
            source: {file: app.py, line: 16}
            sink: {file: app.py, line: 18}
          - id: shop-sqli-report
            type: SQLI
            cwe: 89
            entry_point: {file: app.py, function: report}
            source: {file: app.py, line: 24}
            sink: {file: app.py, line: 27}
        """})
    with FakeLLM(ScriptedModel([tmp_path / "shop"])) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(tmp_path / "shop", "claude", tmp_path, *_triage_always(tmp_path))
        initial = next(r for r in fake.requests if "Focus:" not in r.prompt and "<readme>" not in r.prompt)
        prompts = [r.prompt for r in fake.requests if "Focus: SQLI only." in r.prompt]
    assert "name in `suspects` the entry points or functions behind each" in initial.prompt
    assert prompts and all(REPORT_SINK in p and SEARCH_SINK in p and "def health():" not in p for p in prompts)
    assert code == 1 and {f["entry_function"] for f in report["findings"]} == {"search", "report"}


def test_a_common_word_names_a_handler_only_when_written_as_code(tmp_path) -> None:
    write_tree(tmp_path, {"app.py": """
        from flask import Flask, request
        app = Flask(__name__)

        @app.route("/")
        def index():
            return request.args["q"]
        """})
    index = build_index(tmp_path, ["app.py"])
    entries = find_entry_points(index, Resolver(index))
    module = index.modules["app.py"]

    def pointed(text: str) -> frozenset[str]:
        answer, _ = parse_answer(json.dumps({"analysis": text}))
        return pointed_at(answer, VulnType.XSS, module, entries).entry_functions

    assert pointed("The query string is used as an index into a list.") == frozenset()
    assert pointed("`index` echoes q.") == pointed("index() echoes q.") == {"index"}


def test_without_a_triage_the_first_round_shows_every_handler_and_names_them(tmp_path, monkeypatch) -> None:
    """The static path in search opens the chain at once: nothing pointed yet, so no handler is a marker."""
    write_tree(tmp_path / "shop", SHOP)
    with FakeLLM(_model({})) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(tmp_path / "shop", "gpt", tmp_path, "--no-cache")
        first = next(r.prompt for r in fake.requests if "<readme>" not in r.prompt)
    assert "Focus: SQLI only." in first and SEARCH_SINK in first and REPORT_SINK in first
    assert "its entry points are: report, search" in first and "This is the first look at the file" in first
    assert code == 1 and {f["entry_function"] for f in report["findings"]} == {"search", "report"}
