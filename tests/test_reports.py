"""Report formats: JSON, SARIF (schema-valid), Markdown (escaped), console (no markup), writing."""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console

from vulnhuntr.findings import ContextItem, ErrorEntry, Finding, Report, Usage, VulnType
from vulnhuntr.report import FORMATS, print_report, render_json, render_markdown, render_sarif, write_reports
from vulnhuntr.report.markdown import code_block, escape_text, inline_code
from vulnhuntr.report.sarif import root_uri

HOSTILE_POC = 'curl "http://x/?q=<script>alert(1)</script>"\n```\necho done\n```'
HOSTILE_ANALYSIS = "Reads [/etc/passwd] via [bold]x[/bold] and [bold red]y[/] | <img src=x onerror=alert(1)> & `cmd`"


def make_report(complete: bool = False, root: str = "/srv/my app#1") -> Report:
    lfi = Finding(
        type=VulnType.LFI,
        cwe=22,
        file="app/files.py",
        start_line=40,
        end_line=42,
        entry_file="app/views.py",
        entry_function="download",
        entry_line=12,
        confidence=9,
        analysis=HOSTILE_ANALYSIS,
        poc=HOSTILE_POC,
        route="/download/<name>",
        context=(
            ContextItem("read_file", "app/files.py", 38, 45),
            ContextItem("os.path.join", None, None, None),
        ),
    )
    rce = Finding(
        type=VulnType.RCE,
        cwe=502,
        file="app/jobs.py",
        start_line=7,
        end_line=7,
        entry_file="app/views.py",
        entry_function="import_job",
        entry_line=30,
        confidence=7,
        analysis="pickle.loads on the request body",
        poc="python -c 'import pickle'",
    )
    rce_cmd = replace(rce, cwe=78, file="app/shell.py", entry_function="ping", confidence=10, kind="static")
    sqli = Finding(
        type=VulnType.SQLI,
        cwe=89,
        file="app/dir with space/db.py",
        start_line=5,
        end_line=6,
        entry_file="app/api.py",
        entry_function="search",
        entry_line=3,
        confidence=8,
        analysis="f-string into cursor.execute",
        poc="GET /search?q=' OR 1=1--",
    )
    return Report(
        root=root,
        provider="anthropic",
        model="claude-x",
        min_confidence=5,
        entry_points_total=10,
        entry_points_analysed=7,
        findings=[lfi, rce, rce_cmd, sqli],
        below_threshold=2,
        errors=[
            ErrorEntry("app/broken.py", "index", "syntax error <b>|x|</b>"),
            ErrorEntry(None, "llm", "invalid JSON [red]answer[/red]", entry_function="upload", vuln_type="AFO"),
        ],
        skipped=[{"path": "app/huge.py", "reason": "larger than 1 MB"}],
        usage=Usage(calls=14, input_tokens=120_000, output_tokens=8_000, cached_input_tokens=50_000),
        cost_usd=0.4321,
        complete=complete,
        tool_version="0.1.0",
    )


# -- JSON -------------------------------------------------------------------


def test_json_round_trips_with_summary() -> None:
    report = make_report()
    text = render_json(report)
    assert text.endswith("}\n")
    data = json.loads(text)
    assert data == json.loads(json.dumps(report.to_dict()))
    summary = data["summary"]
    assert summary["findings"] == 4
    assert summary["findings_by_type"] == {"LFI": 1, "RCE": 2, "SQLI": 1}
    assert summary["entry_points_analysed"] == 7
    assert summary["errors"] == 2
    assert summary["llm_calls"] == 14
    assert summary["estimated_cost_usd"] == pytest.approx(0.4321)
    assert data["complete"] is False
    assert data["findings"][0]["poc"] == HOSTILE_POC
    assert render_json(report) == text  # deterministic


# -- SARIF ------------------------------------------------------------------


def sarif_of(report: Report) -> dict:
    text = render_sarif(report)
    assert text.endswith("\n")
    return json.loads(text)


@pytest.mark.parametrize("validator", [jsonschema.Draft7Validator, jsonschema.Draft4Validator])
@pytest.mark.parametrize("complete", [True, False])
def test_sarif_is_schema_valid(sarif_schema: dict, validator: type, complete: bool) -> None:
    log = sarif_of(make_report(complete=complete))
    errors = sorted(validator(sarif_schema).iter_errors(log), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_sarif_empty_report_is_schema_valid(sarif_schema: dict) -> None:
    report = replace(make_report(complete=True), findings=[], errors=[], skipped=[], cost_usd=None)
    log = sarif_of(report)
    jsonschema.Draft7Validator(sarif_schema).validate(log)
    assert log["runs"][0]["results"] == []
    assert "toolExecutionNotifications" not in log["runs"][0]["invocations"][0]


def test_sarif_top_level_and_driver() -> None:
    log = sarif_of(make_report())
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "vulnhuntr"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")


def test_sarif_one_result_per_finding_at_its_location() -> None:
    report = make_report()
    results = sarif_of(report)["runs"][0]["results"]
    assert len(results) == len(report.findings)
    for result, finding in zip(results, report.findings):
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert physical["region"] == {"startLine": finding.start_line, "endLine": finding.end_line}
        assert result["ruleId"] == f"VH-{finding.type.value}"
        assert result["level"] == ("error" if finding.confidence >= 8 else "warning")
        assert result["properties"]["confidence"] == finding.confidence
        assert result["properties"]["cwe"] == finding.cwe
        assert result["properties"]["kind"] == finding.kind
        assert result["properties"]["entryPoint"]["function"] == finding.entry_function
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris == ["app/files.py", "app/jobs.py", "app/shell.py", "app/dir%20with%20space/db.py"]


def test_sarif_rule_index_points_at_rule() -> None:
    run = sarif_of(make_report())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [f"VH-{t.value}" for t in VulnType]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_rule_tags_and_severity() -> None:
    rules = {r["id"]: r for r in sarif_of(make_report())["runs"][0]["tool"]["driver"]["rules"]}
    rce = rules["VH-RCE"]["properties"]
    assert rce["tags"][0] == "security"
    assert {"external/cwe/cwe-78", "external/cwe/cwe-502"} <= set(rce["tags"])
    assert rules["VH-LFI"]["properties"]["tags"] == ["security", "external/cwe/cwe-22"]
    assert rules["VH-SSRF"]["properties"]["tags"] == ["security", "external/cwe/cwe-918"]
    assert rce["security-severity"] == "9.8"
    for rule in rules.values():
        float(rule["properties"]["security-severity"])
        assert rule["properties"]["precision"] in {"very-high", "high", "medium", "low"}
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]


def test_sarif_message_and_related_locations() -> None:
    result = sarif_of(make_report())["runs"][0]["results"][0]
    text = result["message"]["text"]
    assert HOSTILE_ANALYSIS in text
    assert HOSTILE_POC in text
    assert "download" in text and "9/10" in text
    related = result["relatedLocations"]
    entry = related[0]["physicalLocation"]
    assert entry["artifactLocation"]["uri"] == "app/views.py"
    assert entry["region"]["startLine"] == 12
    assert len(related) == 2  # the context item without a file is left out
    assert related[1]["physicalLocation"]["region"] == {"startLine": 38, "endLine": 45}
    assert [r["id"] for r in related] == [0, 1]


def test_sarif_fingerprints_stable() -> None:
    report = make_report()
    first = [r["partialFingerprints"] for r in sarif_of(report)["runs"][0]["results"]]
    moved = [replace(f, start_line=f.start_line + 20, end_line=f.end_line + 20) for f in report.findings]
    shifted = replace(report, findings=moved)
    second = [r["partialFingerprints"] for r in sarif_of(shifted)["runs"][0]["results"]]
    assert first == second
    assert first[0] == {"vulnhuntr/v1": report.findings[0].fingerprint}
    assert len({fp["vulnhuntr/v1"] for fp in first}) == len(first)


def test_sarif_invocation_and_notifications() -> None:
    invocation = sarif_of(make_report(complete=False))["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["error", "error", "warning"]
    assert "syntax error" in notes[0]["message"]["text"]
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/broken.py"
    assert "locations" not in notes[1]
    assert notes[2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/huge.py"
    assert sarif_of(make_report(complete=True))["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_sarif_root_uri_is_encoded_with_trailing_slash() -> None:
    base = sarif_of(make_report())["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == "file:///srv/my%20app%231/"
    assert root_uri("/") == "file:///"
    assert root_uri("relative/dir").endswith("/relative/dir/")


# -- Markdown ---------------------------------------------------------------


def test_markdown_escapes_untrusted_text() -> None:
    md = render_markdown(make_report())
    poc_block = code_block(HOSTILE_POC, "text")
    outside = md.replace(poc_block, "")
    assert "<script>" not in outside
    assert "<img" not in outside and "&lt;img src=x onerror=alert(1)&gt;" in outside
    assert "<b>" not in outside
    assert "\\[/etc/passwd\\]" in outside
    assert "&amp; \\`cmd\\`" in outside
    # the error table stays one row per error: the reason's pipes are escaped
    row = next(line for line in md.splitlines() if "syntax error" in line)
    assert row.count("|") - row.count("\\|") == 6


def test_markdown_fence_survives_backticks_in_poc() -> None:
    md = render_markdown(make_report())
    assert "\n````text\n" + HOSTILE_POC + "\n````\n" in md
    assert "<script>alert(1)</script>" in md  # verbatim, but inside the code block
    assert code_block("a ````` b").startswith("``````\n")
    assert code_block("plain").startswith("```\n")


def test_markdown_content() -> None:
    md = render_markdown(make_report())
    assert md.startswith("# vulnhuntr report")
    assert md.endswith("\n")
    assert "https://cwe.mitre.org/data/definitions/22.html" in md
    assert "https://cwe.mitre.org/data/definitions/502.html" in md
    assert "`app/files.py:40-42`" in md
    assert "`download`" in md and "`app/views.py:12`" in md
    assert "Confidence: 9/10" in md
    assert "| Entry points analysed | 7 of 10 |" in md
    assert "| Findings by type | LFI: 1, RCE: 2, SQLI: 1 |" in md
    assert "| LLM calls | 14 |" in md
    assert "120,000 input" in md
    assert "$0.4321" in md
    assert "| Complete | **no** |" in md
    assert "Incomplete run" in md
    assert "## Errors" in md and "## Skipped files" in md and "app/huge.py" in md
    assert "`read_file` in `app/files.py:38-45`" in md


def test_markdown_unknown_cost_and_complete() -> None:
    md = render_markdown(replace(make_report(complete=True), cost_usd=None, findings=[]))
    assert "unknown" in md
    assert "| Complete | yes |" in md
    assert "No findings at or above confidence 5." in md


def test_markdown_helpers() -> None:
    assert inline_code("a`b") == "``a`b``"
    assert inline_code("`x") == "`` `x ``"
    assert escape_text("<a href='x'>&</a>") == "&lt;a href='x'&gt;&amp;&lt;/a&gt;"
    assert escape_text("[link](javascript:x)") == "\\[link\\](javascript:x)"


# -- console ----------------------------------------------------------------


def console_text(report: Report) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None, force_terminal=False)
    print_report(report, console)
    return buffer.getvalue()


def test_console_prints_markup_literally() -> None:
    out = console_text(make_report())
    assert "[/etc/passwd]" in out
    assert "[bold]x[/bold]" in out
    assert "[bold red]y[/]" in out
    assert "invalid JSON [red]answer[/red]" in out
    assert "/download/<name>" in out


def test_console_recorded_output_is_literal() -> None:
    console = Console(record=True, width=200, file=io.StringIO())
    print_report(make_report(), console)
    text = console.export_text()
    assert "[bold]x[/bold]" in text and "[/etc/passwd]" in text


def test_console_shows_findings_and_summary() -> None:
    out = console_text(make_report())
    for expected in (
        "Local file inclusion",
        "CWE-22",
        "CWE-502",
        "app/files.py:40-42",
        "download",
        "app/views.py:12",
        "9/10",
        "curl",
        "7 of 10",
        "LFI 1, RCE 2, SQLI 1",
        "120,000 input",
        "8,000 output",
        "50,000 cached input",
        "$0.4321",
        "INCOMPLETE",
        "app/broken.py",
        "app/huge.py",
    ):
        assert expected in out, expected


def test_console_unknown_price_and_complete() -> None:
    out = console_text(replace(make_report(complete=True), cost_usd=None))
    assert "unknown price" in out
    assert "INCOMPLETE" not in out


def test_console_neutralises_terminal_escapes() -> None:
    report = make_report()
    evil = replace(report.findings[0], analysis="before \x1b[2J\x1b]0;pwned\x07 after")
    out = console_text(replace(report, findings=[evil]))
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J" in out


# -- writing ----------------------------------------------------------------


def test_formats_registry() -> None:
    assert FORMATS == {"json": render_json, "sarif": render_sarif, "markdown": render_markdown}


def test_write_single_format_to_file(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "out.sarif"
    paths = write_reports(make_report(), ["sarif"], target)
    assert paths == [target]
    assert json.loads(target.read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.sarif"]  # no temp file left


def test_write_several_formats_to_directory(tmp_path: Path) -> None:
    paths = write_reports(make_report(), ["json", "sarif", "markdown"], tmp_path)
    names = ["vulnhuntr-report.json", "vulnhuntr-report.sarif", "vulnhuntr-report.md"]
    assert paths == [tmp_path / n for n in names]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    assert json.loads(paths[0].read_text(encoding="utf-8"))["summary"]["findings"] == 4
    assert paths[2].read_text(encoding="utf-8").startswith("# vulnhuntr report")


@pytest.mark.parametrize("given", ["scan", "scan.json", "scan.md"])
def test_write_several_formats_to_base_path(tmp_path: Path, given: str) -> None:
    paths = write_reports(make_report(), ["markdown", "json"], tmp_path / given)
    assert paths == [tmp_path / "scan.md", tmp_path / "scan.json"]
    assert all(p.is_file() for p in paths)


def test_write_single_format_into_directory(tmp_path: Path) -> None:
    assert write_reports(make_report(), ["markdown"], tmp_path) == [tmp_path / "vulnhuntr-report.md"]


def test_write_to_stdout(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert write_reports(make_report(), ["json"], None) == []
    out = capsys.readouterr().out
    assert json.loads(out)["summary"]["findings"] == 4


def test_write_replaces_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        # the new content is complete in a sibling temp file before it takes the name
        assert Path(src).parent == tmp_path and Path(src).read_text(encoding="utf-8").endswith("}\n")
        assert target.read_text(encoding="utf-8") == "old"
        replaced.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_reports(make_report(), ["json"], target)
    assert replaced and Path(replaced[0][1]) == target
    assert json.loads(target.read_text(encoding="utf-8"))["complete"] is False


def test_failed_write_keeps_old_report_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.md"
    target.write_text("old", encoding="utf-8")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_reports(make_report(), ["markdown"], target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_unknown_format_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        write_reports(make_report(), ["html"], tmp_path / "x")
    assert not list(tmp_path.iterdir())


def test_new_report_file_mode_follows_umask(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("POSIX modes only")
    old = os.umask(0o022)
    try:
        (path,) = write_reports(make_report(), ["json"], tmp_path / "r.json")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_rendered_reports_are_valid_utf8_with_odd_text(tmp_path: Path) -> None:
    report = make_report()
    odd = replace(report.findings[0], analysis='quote " backslash \\ nul \x00 emoji \U0001f600 "}]', poc="\u2028x")
    report = replace(report, findings=[odd])
    paths = write_reports(report, ["json", "sarif", "markdown"], tmp_path)
    data = json.loads(paths[0].read_text(encoding="utf-8"))
    assert data["findings"][0]["analysis"] == odd.analysis
    sarif = json.loads(paths[1].read_text(encoding="utf-8"))
    assert odd.analysis in sarif["runs"][0]["results"][0]["message"]["text"]
    assert re.search("emoji", paths[2].read_text(encoding="utf-8"))


def test_notes_and_incremental_summary_reach_markdown_and_sarif(sarif_schema: dict) -> None:
    from vulnhuntr.run_summary import FileNote, IncrementalSummary

    report = make_report(complete=True)
    report.notes.append("LLM confirmation is off <b>")
    report.incremental = IncrementalSummary(
        mode="since",
        baseline="the run of abc123",
        since="origin/main",
        reused=[FileNote("views.py", "unchanged")],
        reanalysed=[FileNote("api.py", "helper services.py changed")],
        removed=[FileNote("old.py", "deleted")],
    )
    markdown = render_markdown(report)
    assert "| Incremental | 1 files reused, 1 re-analysed |" in markdown
    assert "`api.py`: helper services.py changed" in markdown and "LLM confirmation is off &lt;b&gt;" in markdown
    sarif = sarif_of(report)
    jsonschema.Draft4Validator(sarif_schema).validate(sarif)
    properties = sarif["runs"][0]["properties"]
    assert properties["incremental"]["reanalysed"] == {"api.py": "helper services.py changed"}
    assert properties["notes"] == ["LLM confirmation is off <b>"]
