"""What ``--help`` promises about options kept only for compatibility."""

from __future__ import annotations

import pytest

from vulnhuntr.cli import main


def test_help_says_parallel_has_no_effect(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one option per line, so the text is not wrapped mid-phrase
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("--parallel"))
    assert "has no effect" in line and "compatibility with the original vulnhuntr" in line
