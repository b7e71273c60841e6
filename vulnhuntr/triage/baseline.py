"""A baseline: the JSON report of an earlier run, so a pull request shows only what it adds.

Findings are matched by fingerprint (see :attr:`vulnhuntr.findings.Finding.fingerprint`),
which leaves line numbers out, so code moving or being reformatted keeps its findings.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import UsageError
from ..findings import BaselineSummary, Finding


def load_baseline(path: Path) -> list[Finding]:
    """The findings of a vulnhuntr JSON report: reported ones and those its own baseline had filtered."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--baseline {path}: cannot read it: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise UsageError(f"--baseline {path}: not JSON ({exc}); give a report written with --format json") from exc
    if not isinstance(data, dict) or (data.get("tool") or {}).get("name") != "vulnhuntr":
        raise UsageError(f"--baseline {path}: not a vulnhuntr JSON report (write one with --format json)")
    earlier = [*data.get("findings", []), *((data.get("baseline") or {}).get("unchanged", []))]
    try:
        return [Finding.from_dict(f) for f in earlier]
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"--baseline {path}: a finding could not be read ({exc!r}); re-create the baseline") from exc


def compare(findings: list[Finding], baseline: list[Finding], file: str) -> tuple[list[Finding], BaselineSummary]:
    """The new findings, and the summary holding the unchanged and the absent ones."""
    earlier = {f.fingerprint: f for f in baseline}
    now = {f.fingerprint for f in findings}
    new = [f for f in findings if f.fingerprint not in earlier]
    unchanged = [f for f in findings if f.fingerprint in earlier]
    absent = [f for fp, f in earlier.items() if fp not in now]
    return new, BaselineSummary(file, len(new), unchanged, absent)

