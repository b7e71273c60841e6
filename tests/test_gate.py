"""The LLM call gate: concurrency bounded by --workers, the budget, progress; and dry run, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time


from vulnhuntr.cli import main
from fakes import FakeLLM
from fakes.scripted_model import ScriptedModel

from llm_helpers import EXAMPLES, point_providers_at, run_scan

FASTAPI = EXAMPLES / "fastapi_files"


def finding_keys(report) -> list[tuple]:
    return [(f["type"], f["file"], f["start_line"], f["entry_function"], f["cwe"]) for f in report["findings"]]


def test_workers_overlap_calls_and_one_worker_never_does(tmp_path, monkeypatch) -> None:
    reports, concurrency = {}, {}
    for workers in (8, 1):
        with FakeLLM(ScriptedModel([FASTAPI]), latency=0.15) as fake:
            point_providers_at(fake, monkeypatch)
            code, reports[workers] = run_scan(FASTAPI, "gpt", tmp_path, "--workers", str(workers))
            concurrency[workers] = fake.max_concurrency
            calls = fake.requests
        assert code == 1
        if workers == 1:
            assert not any(a.overlaps(b) for i, a in enumerate(calls) for b in calls[i + 1 :])
    assert concurrency[8] > 1 and concurrency[1] == 1
    assert finding_keys(reports[8]) == finding_keys(reports[1])
    assert reports[8]["findings"] == reports[1]["findings"]


def test_budget_stops_new_calls_and_reports_what_was_skipped(tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([FASTAPI])) as fake:
        point_providers_at(fake, monkeypatch)
        _, report = run_scan(FASTAPI, "gpt", tmp_path, "--budget", "0.02", "--workers", "1")
        calls = len(fake.requests)
    assert report["complete"] is False and report["stop_reason"] == "budget"
    assert 0 < calls < 5  # a full run of this app takes 5 calls, $0.021
    assert report["summary"]["estimated_cost_usd"] <= 0.02
    skipped = [e for e in report["errors"] if e["stage"] == "budget"]
    assert skipped and all("budget of $0.02 reached" in e["reason"] for e in skipped)


def test_dry_run_calls_nothing_and_needs_no_key(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["-r", str(FASTAPI), "--dry-run", "--log-file", str(tmp_path / "log")]) == 0
    out = capsys.readouterr().out
    assert "main.py" in out and "api.py" in out and "claude-sonnet-5" in out
    assert "typical:" in out and "$" in out


def test_dry_run_plans_no_triage_for_files_a_static_path_opens(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)

    def typical_calls(*extra: str) -> int:
        assert main(["-r", str(FASTAPI), "--dry-run", "--log-file", str(tmp_path / "log"), *extra]) == 0
        line = next(x for x in capsys.readouterr().out.splitlines() if "typical:" in x)
        return int(line.split("typical:")[1].split("calls")[0].replace(",", ""))

    config = tmp_path / "triage.yaml"
    config.write_text("analysis:\n  always_initial_pass: true\n")
    assert typical_calls("--config", str(config)) - typical_calls() == 2  # both files have static paths


def test_progress_lines_when_not_a_terminal_and_quiet(tmp_path, monkeypatch, capsys) -> None:
    with FakeLLM(ScriptedModel([FASTAPI])) as fake:
        point_providers_at(fake, monkeypatch)
        run_scan(FASTAPI, "gpt", tmp_path)
        assert "analysing 2 entry-point files" in capsys.readouterr().err
        run_scan(FASTAPI, "gpt", tmp_path, "--quiet")
        assert "analysing" not in capsys.readouterr().err


def test_ctrl_c_writes_the_partial_report_and_exits_130(tmp_path) -> None:
    output = tmp_path / "report.json"
    with FakeLLM(ScriptedModel([FASTAPI]), latency=0.3) as fake:
        env = {
            **os.environ,
            "OPENAI_API_KEY": "k",
            "OPENAI_BASE_URL": fake.openai_base_url,
            "PYTHONUNBUFFERED": "1",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "vulnhuntr", "-r", str(FASTAPI), "-l", "gpt", "--quiet", "--workers", "1",
             "--format", "json", "-o", str(output), "--log-file", str(tmp_path / "log")],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 30
        while len(fake.requests) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        calls = len(fake.requests)
        settle = time.monotonic() + 5  # the server thread of a call cut off by the exit may still be sleeping
        while fake.in_flight and time.monotonic() < settle:
            time.sleep(0.05)
        in_flight = fake.in_flight
    assert process.returncode == 130, err
    report = json.loads(output.read_text())  # complete JSON: written atomically
    assert report["complete"] is False and report["stop_reason"] == "interrupted"
    assert any(e["stage"] == "interrupted" for e in report["errors"])
    assert calls < 11 and in_flight == 0
    assert not list(tmp_path.glob("*.tmp*"))  # no partial write left behind


def test_a_429_storm_slows_down_instead_of_losing_work(tmp_path, monkeypatch) -> None:
    """More workers than the server allows: 429s arrive, concurrency adapts, nothing is lost."""
    django = EXAMPLES / "django_shop"
    with FakeLLM(ScriptedModel([django]), latency=0.1, concurrency_limit=1, retry_after="0.05") as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(django, "gpt", tmp_path, "--workers", "8")
        rejected, in_flight = fake.rejected_429, fake.in_flight
    assert rejected > 0 and in_flight == 0
    assert code == 1 and report["errors"] == [] and report["complete"] is True
    assert len(report["findings"]) == 5


def test_dry_run_with_incremental_plans_only_what_would_be_reanalysed(tmp_path, monkeypatch, capsys) -> None:
    app = tmp_path / "app"
    import shutil

    shutil.copytree(FASTAPI, app, ignore=shutil.ignore_patterns("expected.yaml"))
    base = ["-r", str(app), "-l", "gpt", "--incremental", "--log-file", str(tmp_path / "log")]
    assert main([*base, "--dry-run"]) == 0
    assert "Plan: 2 entry-point files" in capsys.readouterr().out
    with FakeLLM(ScriptedModel([FASTAPI], root=None)) as fake:
        point_providers_at(fake, monkeypatch)
        main([*base, "--quiet"])
    (app / "pages.py").write_text((app / "pages.py").read_text() + "\n# touched\n")
    capsys.readouterr()
    assert main([*base, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Plan: 1 entry-point files" in out and "re-analyse main.py" in out
    assert "1 entry-point files would be reused" in out


def test_the_dry_runs_guidance_size_is_the_prompts_own() -> None:
    # --dry-run prices a chain's types by this constant: it must follow the guidance the prompts really send
    from vulnhuntr.analysis.plan import GUIDANCE_TOKENS_PER_TYPE
    from vulnhuntr.analysis.prompts import GUIDANCE
    from vulnhuntr.tokens import approx_tokens

    mean = sum(approx_tokens(text) for text in GUIDANCE.values()) / len(GUIDANCE)
    assert abs(GUIDANCE_TOKENS_PER_TYPE - mean) <= 15
