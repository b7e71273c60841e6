"""The answer cache through the CLI: re-runs are free, interrupted runs resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from vulnhuntr.cli import main
from vulnhuntr.store import Store
from fakes import FakeLLM
from fakes.scripted_model import ScriptedModel

from llm_helpers import EXAMPLES, point_providers_at, run_scan

DJANGO = EXAMPLES / "django_shop"


def without_volatile(report: dict) -> dict:
    """The report minus what legitimately differs between a paid and a cached run."""
    report = json.loads(json.dumps(report))
    for key in ("llm_calls", "input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens",
                "estimated_cost_usd", "cache"):
        report["summary"].pop(key)
    return report


def test_rerun_with_nothing_changed_is_free_and_identical(tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        point_providers_at(fake, monkeypatch)
        _, cold = run_scan(DJANGO, "claude", tmp_path)
        paid = len(fake.requests)
        _, warm = run_scan(DJANGO, "claude", tmp_path)
        assert len(fake.requests) == paid  # zero calls the second time
    assert without_volatile(warm) == without_volatile(cold)
    assert warm["summary"]["llm_calls"] == 0
    assert warm["summary"]["cache"]["hits"] == paid and warm["summary"]["cache"]["misses"] == 0
    assert warm["summary"]["cache"]["saved_input_tokens"] == cold["summary"]["input_tokens"]


def test_no_cache_and_refresh_ask_again(tmp_path, monkeypatch) -> None:
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        point_providers_at(fake, monkeypatch)
        run_scan(DJANGO, "gpt", tmp_path)
        paid = len(fake.requests)
        _, report = run_scan(DJANGO, "gpt", tmp_path, "--no-cache")
        assert len(fake.requests) == 2 * paid and report["summary"]["cache"] is None
        _, report = run_scan(DJANGO, "gpt", tmp_path, "--refresh")
        assert len(fake.requests) == 3 * paid and report["summary"]["cache"]["misses"] == paid
        run_scan(DJANGO, "gpt", tmp_path)
        assert len(fake.requests) == 3 * paid


def full_run_calls(tmp_path, monkeypatch) -> int:
    """How many calls a complete, uncached scan of the app makes with the scripted model."""
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        point_providers_at(fake, monkeypatch)
        run_scan(DJANGO, "gpt", tmp_path, "--no-cache")
        return len(fake.requests)


def test_interrupted_run_pays_only_for_what_was_not_answered(tmp_path, monkeypatch) -> None:
    full_run = full_run_calls(tmp_path, monkeypatch)
    cache_dir = tmp_path / "cache"
    base = ["-r", str(DJANGO), "-l", "gpt", "--quiet", "--workers", "1", "--cache-dir", str(cache_dir),
            "--log-file", str(tmp_path / "log")]
    with FakeLLM(ScriptedModel([DJANGO]), latency=0.3) as fake:
        env = {**os.environ, "OPENAI_API_KEY": "k", "OPENAI_BASE_URL": fake.openai_base_url}
        process = subprocess.Popen([sys.executable, "-m", "vulnhuntr", *base], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while len([r for r in fake.requests if r.ended is not None]) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 130, err
        store = Store.open(cache_dir)
        answered = store.stats().entries["answers"]  # what the first run received before it stopped
        store.close()
        first_run = len(fake.requests)

        resumed = subprocess.run([sys.executable, "-m", "vulnhuntr", *base], env=env,
                                 capture_output=True, text=True, timeout=60)
        second_run = len(fake.requests) - first_run
    assert resumed.returncode == 1, resumed.stderr
    assert 0 < answered < full_run
    assert second_run == full_run - answered  # pays only for what the first run had not received
    assert "hits" in resumed.stdout


def test_cache_commands(tmp_path, monkeypatch, capsys) -> None:
    full_run = full_run_calls(tmp_path, monkeypatch)
    cache_dir = tmp_path / "store"
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        point_providers_at(fake, monkeypatch)
        run_scan(DJANGO, "ollama", tmp_path, "--cache-dir", str(cache_dir))
        run_scan(DJANGO, "ollama", tmp_path, "--cache-dir", str(cache_dir))
    capsys.readouterr()
    assert main(["cache", "--cache-dir", str(cache_dir), "stats"]) == 0
    out = capsys.readouterr().out
    assert "answers" in out and f"{full_run} hits, 0 misses" in out
    assert main(["cache", "--cache-dir", str(cache_dir), "clear", "--older-than", "1"]) == 0
    assert "removed 0 entries older than 1 days" in capsys.readouterr().out
    assert main(["cache", "--cache-dir", str(cache_dir), "clear"]) == 0
    assert "removed" in capsys.readouterr().out
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        point_providers_at(fake, monkeypatch)
        run_scan(DJANGO, "ollama", tmp_path, "--cache-dir", str(cache_dir), "--clear-cache")
        assert len(fake.requests) == full_run


def test_a_corrupt_store_warns_once_and_the_scan_goes_on(tmp_path, monkeypatch, capsys) -> None:
    cache_dir = tmp_path / "store"
    cache_dir.mkdir()
    (cache_dir / "store.sqlite3").write_bytes(b"this is not a database" * 100)
    with FakeLLM(ScriptedModel([DJANGO])) as fake:
        point_providers_at(fake, monkeypatch)
        code, report = run_scan(DJANGO, "gpt", tmp_path, "--cache-dir", str(cache_dir))
    assert code == 1 and len(report["findings"]) == 5 and report["complete"] is True
    err = capsys.readouterr().err
    assert err.count("cache clear") == 1 and "store.sqlite3" in err
