"""End-to-end tests of the command line, run in-process through ``main()``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vulnhuntr.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_entrypoints_json_matches_expected(capsys) -> None:
    code, out, _ = run(capsys, "-r", str(EXAMPLES / "flask_notes"), "--list-entrypoints", "--format", "json")
    assert code == 0
    report = json.loads(out)
    found = {(e["file"], e["function"], e["line"]) for e in report["entry_points"]}
    assert ("app.py", "download_note", 63) in found
    assert all(e["framework"] == "flask" for e in report["entry_points"])


def test_table_output_never_interprets_markup(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the route cell on one line
    (tmp_path / "app.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/[bold]x[/bold]/[/etc/passwd]')\ndef view():\n    return ''\n"
    )
    code, out, _ = run(capsys, "-r", str(tmp_path), "--list-entrypoints")
    assert code == 0
    assert "[bold]x[/bold]" in out.replace("\n", "") or "[bold]x[/bol" in out
    assert "[/etc/passwd]" in out.replace("\n", "").replace(" ", "") or "[/etc/pass" in out


def test_usage_errors_exit_2_in_one_line(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "-r/--root" in err

    code, _, err = run(capsys, "-r", str(tmp_path / "missing"), "--list-entrypoints")
    assert code == 2 and str(tmp_path / "missing") in err


def test_config_error_names_key_and_file(tmp_path: Path, capsys) -> None:
    (tmp_path / ".vulnhuntr.yaml").write_text("performance:\n  parallel:\n    workrs: 3\n")
    code, _, err = run(capsys, "-r", str(tmp_path), "--list-entrypoints")
    assert code == 2
    assert "workrs" in err and ".vulnhuntr.yaml" in err


def test_bad_files_are_listed_and_the_scan_finishes(tmp_path: Path, capsys, monkeypatch) -> None:
    """Non-UTF-8, syntax error, 20 MB, unreadable and a symlink loop: all listed, the rest scanned."""
    (tmp_path / "app.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef home():\n    return 'ok'\n"
    )
    (tmp_path / "latin1.py").write_bytes(b"# caf\xe9\nx = 1\n")
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    (tmp_path / "huge.py").write_bytes(b"x = 1\n" * (20 * 1024 * 1024 // 6))
    locked = tmp_path / "locked.py"
    locked.write_text("x = 1\n")
    locked.chmod(0)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path / "pkg", target_is_directory=True)
    if os.geteuid() == 0:  # root reads any file: make this one fail to read the way a permission error would
        original = Path.read_bytes

        def read_bytes(self: Path) -> bytes:
            if self.name == "locked.py":
                raise PermissionError(13, "Permission denied", str(self))
            return original(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)

    code, out, _ = run(capsys, "-r", str(tmp_path), "--list-entrypoints", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert [e["function"] for e in report["entry_points"]] == ["home"]
    reasons = {s["path"]: s["reason"] for s in report["skipped"]}
    assert reasons["latin1.py"].startswith("not UTF-8")
    assert reasons["broken.py"].startswith("syntax error at line 1")
    assert reasons["huge.py"].startswith("file too large")
    assert reasons["locked.py"].startswith("unreadable")
    assert any("loop" in path and "symlink loop" in reason for path, reason in reasons.items())


def test_the_command_exits_with_mains_code_and_every_report_written(tmp_path: Path) -> None:
    # the command freezes the heap before exiting (vulnhuntr.cli.entry): the code and the files must not suffer
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "vulnhuntr", "-r", str(EXAMPLES / "flask_notes"), "-l", "none", "--format", "json",
         "-o", str(report), "--log-file", str(tmp_path / "log.jsonl")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1, result.stderr  # findings
    assert len(json.loads(report.read_text())["findings"]) >= 5
    assert "report written to" in result.stderr.replace("\n", " ")
    assert (tmp_path / "log.jsonl").read_text().strip().splitlines()[-1].startswith("{")


def test_python_dash_m_and_help(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vulnhuntr", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "--list-entrypoints" in result.stdout and "exit codes" in result.stdout
