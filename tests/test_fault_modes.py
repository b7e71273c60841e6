"""A misbehaving model server never yields a clean report: the fault-mode suite, through the real SDKs.

Every LLM call failing (always 500, always garbage, always truncated JSON, a 200
text/html page) gives no traceback, ``complete: false``, an error entry per file
and exit 2 (nothing could be analysed); some calls failing gives exit 3 when
nothing was found, or 1 with the findings; recovered faults are counted.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from vulnhuntr.cli import EXIT_INCOMPLETE, EXIT_USAGE, exit_code
from vulnhuntr.findings import Report
from vulnhuntr.report.markdown import render_markdown
from fakes import FakeLLM, Reply
from fakes.scripted_model import ScriptedModel, focus_of

from llm_helpers import EXAMPLES, PROVIDERS, point_providers_at, run_scan

FLASK = EXAMPLES / "flask_notes"
FASTAPI = EXAMPLES / "fastapi_files"
HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"

ALWAYS = {
    "500": lambda _r: Reply("internal error", status=500),
    "garbage": lambda _r: Reply("Sure! Here is what I think about the code: it looks fine."),
    "truncated": lambda _r: Reply('{"scratchpad": "The handler reads request.args and", "analysis": "', truncated=True),
    "html200": lambda _r: Reply(body=HTML, headers={"content-type": "text/html; charset=utf-8"}),
}


def config(tmp_path: Path, **analysis: object) -> str:
    path = tmp_path / "vulnhuntr.yaml"
    path.write_text(json.dumps({"analysis": {"retries": 0, "reasks": 1, **analysis}}))
    return str(path)


@pytest.mark.parametrize("fault", sorted(ALWAYS))
@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_scan_where_every_call_fails_is_not_clean(provider, fault, tmp_path, monkeypatch, capsys) -> None:
    with FakeLLM(ALWAYS[fault]) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(FLASK, provider, tmp_path, "--config", config(tmp_path), "--no-cache")
    err = " ".join(capsys.readouterr().err.split())
    assert "Traceback" not in err
    assert code == EXIT_USAGE and "nothing could be analysed" in err
    assert report["complete"] is False and report["stop_reason"] == "errors"
    assert report["summary"]["entry_points_analysed"] == 0 and report["summary"]["analyses_failed"] == 1
    (error,) = [e for e in report["errors"] if e["stage"] == "llm"]
    assert error["file"] == "app.py" and "analysis failed" in error["reason"]  # its first round: nothing answered
    if fault == "html200":
        assert "is not a valid" in error["reason"] and "502 Bad Gateway" in error["reason"]
        assert len(error["reason"]) < 400  # the page's start, not the whole page
    if fault in ("garbage", "truncated"):
        assert report["summary"]["faults"]["reasks"] == 1  # asked again once, then gave up


def test_a_500_on_every_call_is_retried_and_counted(tmp_path, monkeypatch) -> None:
    with FakeLLM(ALWAYS["500"]) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(FLASK, "gpt", tmp_path, "--config", config(tmp_path, retries=1), "--no-cache")
    faults = report["summary"]["faults"]
    assert code == EXIT_USAGE
    assert faults["retries"] == 2 and faults["server_errors"] == 4  # README and app.py: each tried twice


def test_some_calls_failing_with_nothing_found_exits_3(tmp_path, monkeypatch) -> None:
    scripted = ScriptedModel([FLASK])
    first = {"analysis": "The connection handling decides it.", "confidence_score": 0,
             "context_code": [{"name": "close_db", "reason": "where the connection ends", "code_line": ""}]}

    def respond(request):
        if not focus_of(request.prompt):
            return scripted(request)
        if "<previous_analysis>" in request.prompt:  # the file's chain fails after its first round was answered
            return Reply("upstream timeout", status=503)
        return Reply(first)  # nothing found yet, more code wanted

    with FakeLLM(respond) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(FLASK, "claude", tmp_path, "--config", config(tmp_path), "--no-cache", "--all-entrypoints")
    assert code == EXIT_INCOMPLETE and report["findings"] == []
    assert report["complete"] is False and report["stop_reason"] == "errors"
    assert report["summary"]["entry_points_analysed"] == report["summary"]["entry_points_total"]
    (error,) = report["errors"]
    assert {"LFI", "SQLI", "XSS"} <= set(error["vuln_type"].split(","))  # one chain judged the file's types
    assert any(n.startswith("incomplete: 1 analysis step(s) failed or were not run in 1 file(s) (app.py)") for n in report["notes"])


def test_some_calls_failing_with_findings_exits_1_and_says_incomplete(tmp_path, monkeypatch) -> None:
    scripted = ScriptedModel([FASTAPI])

    def respond(request):
        if focus_of(request.prompt) and '<file path="main.py">' in request.prompt:  # one file's chain fails
            return Reply(body=HTML, headers={"content-type": "text/html"})
        return scripted(request)

    with FakeLLM(respond) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(FASTAPI, "ollama", tmp_path, "--config", config(tmp_path), "--no-cache")
    assert code == 1 and {f["entry_file"] for f in report["findings"]} == {"api.py"}
    assert {f["type"] for f in report["findings"]} == {"AFO", "RCE"}
    assert report["complete"] is False and report["stop_reason"] == "errors"
    (error,) = report["errors"]
    assert error["file"] == "main.py" and "is not a valid Ollama API response" in error["reason"]
    markdown = render_markdown(_report_from(report))
    assert "**Incomplete run**: some analyses failed" in markdown
    assert "| Complete | **no** |" in markdown and "| Recovered faults | 0 re-asks, 0 retries" in markdown


def _report_from(data: dict) -> Report:
    return Report(root=data["root"], provider=data["provider"], model=data["model"], min_confidence=7,
                  entry_points_total=1, entry_points_analysed=1, complete=data["complete"],
                  stop_reason=data["stop_reason"])


def test_recovered_faults_are_counted_and_the_report_stays_complete(tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([FLASK])) as fake:
        fake.on(contains="; judge each on its own.", times=1).reply_error(429, "slow down", headers={"retry-after": "0.05"})
        fake.on(contains="; judge each on its own.", times=1).reply(Reply("{not json"))
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(FLASK, "gpt", tmp_path, "--no-cache")
    faults = report["summary"]["faults"]
    assert code == 1 and report["complete"] is True and report["errors"] == []
    assert faults == {"reasks": 1, "retries": 1, "rate_limited": 1, "timeouts": 0, "server_errors": 0}


def test_an_ollama_401_with_a_json_body_is_a_credentials_error(tmp_path, monkeypatch, capsys) -> None:
    with FakeLLM(lambda _r: Reply({"error": {"message": "unauthorized", "type": "auth"}}, status=401)) as fake:
        point_providers_at(fake, monkeypatch)
        code, _report = run_scan(FLASK, "ollama", tmp_path, "--no-cache")
    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_USAGE and "Traceback" not in err
    assert "refused the credentials (HTTP 401): unauthorized" in err


def test_exit_codes_from_the_report() -> None:
    def report(**fields) -> Report:
        return Report(root=".", provider="gpt", model="m", min_confidence=7, entry_points_total=2,
                      entry_points_analysed=2, **fields)

    assert exit_code(report()) == 0
    assert exit_code(report(complete=False, stop_reason="budget")) == EXIT_INCOMPLETE
    assert exit_code(report(complete=False, stop_reason="errors", analyses_total=2, analyses_failed=1)) == 3
    assert exit_code(report(complete=False, stop_reason="errors", analyses_total=2, analyses_failed=2)) == 2
    assert exit_code(report(complete=False, stop_reason="interrupted")) == 130


def test_an_unexpected_error_is_one_line_and_never_the_findings_code(tmp_path, monkeypatch, capsys) -> None:
    import vulnhuntr.cli as cli

    def broken(*_args, **_kwargs):
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(cli, "scan", broken)
    code, _ = run_scan(FLASK, "none", tmp_path)
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and "Traceback" not in err
    assert "internal error: RuntimeError: something nobody expected (-vv shows the traceback)" in " ".join(err.split())
    with pytest.raises(RuntimeError):
        run_scan(FLASK, "none", tmp_path, "-vv")


APPS_UNDER_EXAMPLES = sorted(p.parent for p in EXAMPLES.glob("*/expected.yaml"))


def fake_calls(fake: FakeLLM) -> int:
    return len(fake.requests)


class _OneInFour:
    """The scripted model, but every fifth call meets a fault, in turn: 500, garbage, cut JSON, 429, a hang."""

    def __init__(self, hang_seconds: float) -> None:
        self.model = ScriptedModel(APPS_UNDER_EXAMPLES, root=EXAMPLES)
        self.calls = 0
        self.lock = threading.Lock()
        self.faults = [
            Reply("internal error", status=500),
            Reply("I could not decide, sorry."),
            Reply('{"scratchpad": "cut', truncated=True),
            Reply("slow down", status=429, headers={"retry-after": "0.05"}),
            Reply({"analysis": "late"}, delay=hang_seconds),
        ]

    def __call__(self, request):  # noqa: ANN001 - a FakeRequest
        with self.lock:
            self.calls += 1
            number = self.calls
        if number % 4 == 0:
            return self.faults[(number // 4 - 1) % len(self.faults)]
        return self.model(request)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_one_call_in_four_failing_in_every_way_never_gives_a_clean_lie(provider, tmp_path, monkeypatch, capsys) -> None:
    """Faults of every kind, a hang beyond the timeout included: no traceback, and complete only if it is."""
    with FakeLLM(_OneInFour(hang_seconds=3.0)) as fake:
        point_providers_at(fake, monkeypatch)
        settings = config(tmp_path, retries=1, reasks=1, timeout_seconds=1)
        code, report = run_scan(EXAMPLES, provider, tmp_path, "--config", settings, "--no-cache", "--workers", "4")
    err = capsys.readouterr().err
    assert fake_calls(fake) >= 20  # every kind of fault was met at least once
    assert "Traceback" not in err
    failed = [e for e in report["errors"] if e["stage"] in ("llm", "analysis")]
    assert report["complete"] is (not failed)
    assert code == (1 if report["findings"] else 0 if not failed else EXIT_INCOMPLETE)
    faults = report["summary"]["faults"]
    assert sum(faults.values()) > 0  # what was met and recovered from is counted, not only logged
