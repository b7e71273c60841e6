"""Living with findings in CI: inline suppressions, the triage file and baselines, through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from vulnhuntr.cli import main

from llm_helpers import EXAMPLES


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A private copy of examples/flask_notes that a test may edit."""
    root = tmp_path / "flask_notes"
    shutil.copytree(EXAMPLES / "flask_notes", root)
    return root


def scan(root: Path, tmp: Path, *extra: str, label: str = "report") -> tuple[int, dict[str, Any]]:
    out = tmp / f"{label}.json"
    code = main(["-r", str(root), "-l", "none", "-q", "--format", "json", "-o", str(out),
                 "--log-file", str(tmp / "log"), "--cache-dir", str(tmp / "cache"), *extra])
    return code, json.loads(out.read_text())


def sarif(root: Path, tmp: Path, *extra: str) -> list[dict[str, Any]]:
    out = tmp / "report.sarif"
    main(["-r", str(root), "-l", "none", "-q", "--format", "sarif", "-o", str(out), "--log-file", str(tmp / "log"),
          "--cache-dir", str(tmp / "cache"), *extra])
    return json.loads(out.read_text())["runs"][0]["results"]


def add_comment(root: Path, file: str, line: int, comment: str) -> None:
    """Append *comment* to line *line* of *file* (no line moves)."""
    path = root / file
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line - 1] += f"  {comment}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def flat(text: str) -> str:
    """Console text without the line wrapping and table borders rich adds at 80 columns."""
    return re.sub(r"[\s│┃]", "", text)


def keys(report: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f["type"], f["entry_function"]) for f in report["findings"])


# -- inline suppressions ------------------------------------------------------------------


def test_a_comment_on_the_reported_line_silences_exactly_that_finding(app: Path, tmp_path: Path, capsys) -> None:
    _, before = scan(app, tmp_path)
    target = next(f for f in before["findings"] if f["type"] == "SQLI")
    add_comment(app, target["file"], target["start_line"], "# vulnhuntr: ignore[SQLI] -- term is bound by the ORM")
    code, after = scan(app, tmp_path)
    assert code == 1  # the other findings are still reported
    assert keys(after) == [k for k in keys(before) if k != ("SQLI", target["entry_function"])]
    (silenced,) = after["suppressed"]
    assert silenced["fingerprint"] == target["fingerprint"]
    assert silenced["suppression"] == {
        "source": "inline", "reason": "term is bound by the ORM", "where": f"{target['file']}:{target['start_line']}",
        "status": None,
    }
    assert after["summary"]["suppressed"] == 1
    results = sarif(app, tmp_path)
    suppressed = [r for r in results if r.get("suppressions")]
    assert len(results) == len(before["findings"]) and len(suppressed) == 1
    assert suppressed[0]["suppressions"][0]["kind"] == "inSource"
    assert suppressed[0]["partialFingerprints"]["vulnhuntr/v1"] == target["fingerprint"]


def test_a_comment_for_another_type_silences_nothing_and_can_be_reported_unused(app: Path, tmp_path: Path, capsys) -> None:
    _, before = scan(app, tmp_path)
    target = next(f for f in before["findings"] if f["type"] == "SQLI")
    add_comment(app, target["file"], target["start_line"], "# vulnhuntr: ignore[XSS]")
    _, after = scan(app, tmp_path, "--report-unused-suppressions")
    assert keys(after) == keys(before) and after["suppressed"] == []
    assert after["unused_suppressions"] == [
        {"file": target["file"], "line": target["start_line"], "text": "# vulnhuntr: ignore[XSS]"}
    ]


def test_a_comment_on_the_line_above_or_on_the_handler_def_works_too(app: Path, tmp_path: Path) -> None:
    _, before = scan(app, tmp_path)
    lfi = next(f for f in before["findings"] if f["type"] == "LFI")
    rce = next(f for f in before["findings"] if f["type"] == "RCE")
    add_comment(app, rce["entry_file"], rce["entry_line"], "# vulnhuntr: ignore -- admin-only banner")
    add_comment(app, lfi["file"], lfi["start_line"] - 1, "# vulnhuntr: ignore[LFI]")
    _, after = scan(app, tmp_path)
    assert {s["fingerprint"] for s in after["suppressed"]} == {lfi["fingerprint"], rce["fingerprint"]}
    assert len(after["findings"]) == len(before["findings"]) - 2


def test_show_suppressed_lists_them_in_the_console(app: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "240")  # one table row per line
    _, before = scan(app, tmp_path)
    target = before["findings"][0]
    add_comment(app, target["file"], target["start_line"], "# vulnhuntr: ignore -- reviewed in SEC-101")
    capsys.readouterr()
    main(["-r", str(app), "-l", "none", "-q", "--show-suppressed", "--log-file", str(tmp_path / "log"),
          "--cache-dir", str(tmp_path / "cache")])
    out = flat(capsys.readouterr().out)
    assert "Suppressedfindings(1)" in out and "SEC-101" in out and target["fingerprint"] in out


# -- baselines ------------------------------------------------------------------------------


def test_baseline_create_then_an_unchanged_rerun_reports_nothing_new(app: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert main(["baseline", "create", "-r", str(app), "-l", "none", "-q", "-o", str(baseline),
                 "--log-file", str(tmp_path / "log"), "--cache-dir", str(tmp_path / "cache")]) == 0
    recorded = json.loads(baseline.read_text())
    assert len(recorded["findings"]) == 5
    code, report = scan(app, tmp_path, "--baseline", str(baseline))
    assert code == 0 and report["findings"] == []
    assert report["baseline"]["new"] == 0 and len(report["baseline"]["unchanged"]) == 5
    states = [r["baselineState"] for r in sarif(app, tmp_path, "--baseline", str(baseline))]
    assert states == ["unchanged"] * 5


def test_only_a_newly_added_vulnerable_route_is_new(app: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    main(["baseline", "create", "-r", str(app), "-l", "none", "-q", "-o", str(baseline),
          "--log-file", str(tmp_path / "log"), "--cache-dir", str(tmp_path / "cache")])
    with open(app / "app.py", "a", encoding="utf-8") as handle:
        handle.write(
            "\n\n@app.get(\"/admin/ping\")\ndef ping_host():\n"
            "    import subprocess\n"
            "    return subprocess.check_output(\"ping -c 1 \" + request.args.get(\"host\", \"\"), shell=True)\n"
        )
    code, report = scan(app, tmp_path, "--baseline", str(baseline))
    assert code == 1
    assert keys(report) == [("RCE", "ping_host")]
    assert report["baseline"]["new"] == 1 and len(report["baseline"]["unchanged"]) == 5
    states = sorted(r["baselineState"] for r in sarif(app, tmp_path, "--baseline", str(baseline)))
    assert states == ["new"] + ["unchanged"] * 5


def test_fingerprints_survive_code_moving_down_twenty_lines(app: Path, tmp_path: Path) -> None:
    _, before = scan(app, tmp_path, label="before")
    for path in app.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        cut = next((i for i, line in enumerate(lines) if line.startswith(("def ", "class ", "@"))), len(lines))
        path.write_text("".join(lines[:cut]) + "".join(f"# note {i}\n" for i in range(20)) + "".join(lines[cut:]),
                        encoding="utf-8")
    _, after = scan(app, tmp_path, label="after")
    assert [f["start_line"] for f in after["findings"]] != [f["start_line"] for f in before["findings"]]
    assert sorted(f["fingerprint"] for f in after["findings"]) == sorted(f["fingerprint"] for f in before["findings"])


def test_a_baseline_that_is_not_a_report_is_a_clear_error(app: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text("[1, 2]")
    assert main(["-r", str(app), "-l", "none", "-q", "--baseline", str(bad), "--log-file", str(tmp_path / "log")]) == 2
    assert "notavulnhuntrJSONreport" in flat(capsys.readouterr().err)


# -- the triage file ---------------------------------------------------------------------------


def _triage(app: Path, fingerprint: str, expires: dt.date | None) -> None:
    entry = f"  - fingerprint: {fingerprint}\n    status: false_positive\n    reason: the id is the session user's\n"
    if expires is not None:
        entry += f"    expires: {expires.isoformat()}\n"
    (app / ".vulnhuntr-triage.yaml").write_text("findings:\n" + entry, encoding="utf-8")


def test_the_triage_file_silences_a_finding_until_its_expiry_date(app: Path, tmp_path: Path) -> None:
    _, before = scan(app, tmp_path)
    idor = next(f for f in before["findings"] if f["type"] == "IDOR")
    _triage(app, idor["fingerprint"], dt.date.today() + dt.timedelta(days=30))
    _, judged = scan(app, tmp_path)
    assert idor["fingerprint"] not in {f["fingerprint"] for f in judged["findings"]}
    (silenced,) = judged["suppressed"]
    assert silenced["suppression"]["source"] == "triage" and silenced["suppression"]["status"] == "false_positive"
    results = sarif(app, tmp_path)
    assert [r["suppressions"][0]["kind"] for r in results if r.get("suppressions")] == ["external"]

    _triage(app, idor["fingerprint"], dt.date.today() - dt.timedelta(days=1))
    _, expired = scan(app, tmp_path)
    assert idor["fingerprint"] in {f["fingerprint"] for f in expired["findings"]}
    assert any("expired" in note for note in expired["notes"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("findings:\n  - fingerprint: abc\n    status: wontfix\n    reason: r\n", "status"),
        ("findings:\n  - fingerprint: abc\n    status: accepted\n", "reason"),
        ("findings: [1]\n", "findings[0]"),
        ("findings:\n  - fingerprint: abc\n    status: accepted\n    reason: r\n    expires: soon\n", "expires"),
    ],
)
def test_a_malformed_triage_file_is_an_error_that_names_the_entry(app, tmp_path, capsys, text, message) -> None:
    (app / ".vulnhuntr-triage.yaml").write_text(text, encoding="utf-8")
    assert main(["-r", str(app), "-l", "none", "-q", "--log-file", str(tmp_path / "log")]) == 2
    err = flat(capsys.readouterr().err)
    assert ".vulnhuntr-triage.yaml" in err and message in err


# -- a readable console on a big repository ------------------------------------------------------


def test_a_scan_prints_a_summary_of_the_attack_surface_not_the_whole_table(app: Path, tmp_path: Path, capsys) -> None:
    main(["-r", str(app), "-l", "none", "-q", "--log-file", str(tmp_path / "log"), "--cache-dir", str(tmp_path / "c")])
    out = capsys.readouterr().out
    assert "Attack surface: 10 entry points in 1 file" in out and "busiest files: app.py (10)" in out
    assert "share_banner" not in out.split("Attack surface")[1].split("\n")[0]
    main(["-r", str(app), "--list-entrypoints", "--log-file", str(tmp_path / "log")])
    assert "share_banner" in capsys.readouterr().out  # the full table stays available
