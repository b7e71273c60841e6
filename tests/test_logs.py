"""The JSON-lines log: appended by every run, never wiped, never holding a key."""

from __future__ import annotations

import json

import pytest

from vulnhuntr.cli import main
from fakes import FakeLLM
from fakes.scripted_model import ScriptedModel

from llm_helpers import EXAMPLES, point_providers_at, run_scan


def test_runs_append_json_lines_without_secrets(tmp_path, monkeypatch) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text('{"earlier": "run"}\n')
    with FakeLLM(ScriptedModel([EXAMPLES / "flask_notes"])) as fake:
        fake.on(contains="Focus: ", times=1).reply_text("not json")  # one warning worth logging
        point_providers_at(fake, monkeypatch)
        run_scan(EXAMPLES / "flask_notes", "claude", tmp_path)
        run_scan(EXAMPLES / "flask_notes", "gpt", tmp_path)
    lines = log.read_text().splitlines()
    assert lines[0] == '{"earlier": "run"}'
    entries = [json.loads(line) for line in lines[1:]]
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any("unusable answer" in e["message"] for e in entries)
    text = log.read_text()
    assert "sk-ant-test-key" not in text and "sk-test-key" not in text


def test_help_never_touches_the_log(tmp_path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("keep me\n")
    with pytest.raises(SystemExit):
        main(["--help", "--log-file", str(log)])
    assert log.read_text() == "keep me\n"
