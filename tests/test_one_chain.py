"""One chain per view: every suspected type is judged in the same rounds, each by its own verdict.

The rounds a chain needs (the code the model asks for) are the same whatever the
type, so one conversation per file sends them once. Each type still gets its own
guidance, its own static hints and its own findings: a verdict per type decides
whether that type is reported, and a sink stated for one type never places another.

Through the real CLI, the real OpenAI SDK and the fake LLM server, plus the
answer's parsing on its own.
"""

from __future__ import annotations

from fakes import FakeLLM, FakeRequest, Reply
from fakes.scripted_model import focus_of

from conftest import write_tree
from llm_helpers import point_providers_at, run_scan
from vulnhuntr.analysis import prompts
from vulnhuntr.analysis.response import for_type, parse_answer
from vulnhuntr.findings import VulnType

APP = {
    "app.py": """
        import sqlite3
        import subprocess
        from flask import Flask, request

        from db import lookup

        app = Flask(__name__)


        @app.route("/search")
        def search():
            return str(lookup(request.args["q"]))


        @app.route("/ping")
        def ping():
            return subprocess.check_output("ping -c1 " + request.args["host"], shell=True)
        """,
    "db.py": """
        import sqlite3


        def lookup(term):
            return sqlite3.connect("app.db").execute("SELECT * FROM t WHERE name = '%s'" % term).fetchall()
        """,
}


def _model(request: FakeRequest) -> Reply:
    """Suspects SQLI and RCE; in the chain confirms SQLI only, quoting its sink with its type."""
    if "<readme>" in request.prompt:
        return Reply("<summary>app</summary>")
    if not focus_of(request.prompt):
        return Reply({"analysis": "search and ping pass request data on", "confidence_score": 6,
                      "vulnerability_types": ["SQLI", "RCE"], "context_code": []})
    return Reply({
        "analysis": "search builds SQL from q; the ping command is fixed by an allow-list upstream",
        "poc": "curl '/search?q=%27%20OR%201=1--'",
        "confidence_score": 9,
        "vulnerability_types": ["SQLI"],
        "verdicts": [{"type": "SQLI", "confidence_score": 9, "poc": "q=' OR 1=1--"}, {"type": "RCE", "confidence_score": 0}],
        "sinks": [{"code_line": "return sqlite3.connect(\"app.db\").execute(\"SELECT * FROM t WHERE name = '%s'\" % term).fetchall()",
                   "entry_point": "search", "type": "SQLI", "cwe": 89}],
        "context_code": [],
    })


def test_a_file_with_two_suspected_types_gets_one_chain_and_a_verdict_per_type(tmp_path, monkeypatch) -> None:
    write_tree(tmp_path / "app", APP)
    with FakeLLM(_model) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(tmp_path / "app", "gpt", tmp_path, "--no-cache")
        rounds = [r.prompt for r in fake.requests if focus_of(r.prompt)]
    assert code == 1
    assert len(rounds) == 1 and set(focus_of(rounds[0])) == {"SQLI", "RCE"}  # one round judged both types
    chain = rounds[0]
    assert prompts.GUIDANCE[VulnType.SQLI].split("\n")[0] in chain and prompts.GUIDANCE[VulnType.RCE].split("\n")[0] in chain
    assert "def lookup(term):" in chain  # what either type needs is shown to both
    (finding,) = report["findings"]  # RCE's verdict was 0: not reported, although the answer's own score is 9
    assert finding["type"] == "SQLI" and finding["poc"] == "q=' OR 1=1--"
    assert finding["entry_function"] == "search" and finding["sink"]["file"] == "db.py"  # placed where it is fixed


def test_a_verdict_and_typed_sinks_give_each_type_its_own_answer() -> None:
    answer, warnings = parse_answer("""{
        "analysis": "both", "poc": "shared", "confidence_score": 8, "vulnerability_types": ["SQLI", "XSS"],
        "verdicts": {"SQLI": 8, "XSS": "12", "BOGUS": 3},
        "sinks": [{"code_line": "cur.execute(q)", "type": "sql"}, {"code_line": "Markup(x)", "cwe": "CWE-79"},
                  {"code_line": "helper(x)"}]
    }""")
    assert any("BOGUS" in w for w in warnings) and any("adjusted to 10" in w for w in warnings)
    sqli, xss, rce = (for_type(answer, t) for t in (VulnType.SQLI, VulnType.XSS, VulnType.RCE))
    assert (sqli.confidence_score, sqli.vulnerability_types, sqli.poc) == (8, [VulnType.SQLI], "shared")
    assert [s.code_line for s in sqli.sinks] == ["cur.execute(q)", "helper(x)"]  # the CWE-79 one is XSS's
    assert xss.confidence_score == 10 and [s.code_line for s in xss.sinks] == ["Markup(x)", "helper(x)"]
    assert rce.confidence_score == 0 and rce.vulnerability_types == []  # neither listed nor given a verdict


def test_without_verdicts_the_answer_counts_for_every_type_it_lists() -> None:
    answer, _ = parse_answer('{"confidence_score": 7, "vulnerability_types": ["LFI"], "poc": "../../etc/passwd"}')
    assert for_type(answer, VulnType.LFI).confidence_score == 7
    assert for_type(answer, VulnType.AFO).confidence_score == 0


def test_a_one_type_round_reads_as_before_and_a_two_type_round_asks_for_verdicts() -> None:
    one, _ = prompts.type_request(VulnType.SQLI, "app.py", "x = 1\n", [], "")
    two, _ = prompts.type_request([VulnType.SQLI, VulnType.XSS], "app.py", "x = 1\n", [], "")
    assert "Focus: SQLI only." in one and "verdicts" not in one
    assert focus_of(two) == ["SQLI", "XSS"] and "`verdicts`" in two and "Focus: SQLI only." not in two
