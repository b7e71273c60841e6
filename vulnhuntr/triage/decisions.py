"""The triage file: a team's judgements on findings, kept in the repository, keyed by fingerprint.

``.vulnhuntr-triage.yaml`` at the root::

    findings:
      - fingerprint: 1f0e3dad99908345
        status: false_positive        # or: accepted (a known risk, taken on purpose)
        reason: the name is checked against ALLOWED_REPORTS in the caller
        expires: 2027-06-30           # optional: judged again after this day

An expired entry no longer silences its finding, and the report says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError

FILE_NAME = ".vulnhuntr-triage.yaml"
STATUSES = ("false_positive", "accepted")


@dataclass(frozen=True)
class Decision:
    """One judged finding."""

    fingerprint: str
    status: str
    reason: str
    expires: dt.date | None = None

    def in_force(self, today: dt.date) -> bool:
        return self.expires is None or today <= self.expires


def load_decisions(path: Path) -> list[Decision]:
    """Every decision of the triage file at *path*; a malformed file is an error that names the entry."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the triage file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("findings", []), list) or set(data) - {"findings"}:
        raise ConfigError(f"{path}: expected a mapping with one key, 'findings', holding a list")
    return [_decision(entry, f"{path}: findings[{i}]") for i, entry in enumerate(data.get("findings") or [])]


def _decision(entry: Any, where: str) -> Decision:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with fingerprint, status and reason")
    unknown = set(entry) - {"fingerprint", "status", "reason", "expires"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    fingerprint, status, reason = entry.get("fingerprint"), entry.get("status"), entry.get("reason")
    if not isinstance(fingerprint, str) or not fingerprint.strip():
        raise ConfigError(f"{where}: fingerprint: expected the finding's fingerprint (from any report)")
    if status not in STATUSES:
        raise ConfigError(f"{where}: status: expected one of {', '.join(STATUSES)}, got {status!r}")
    if not isinstance(reason, str) or not reason.strip():
        raise ConfigError(f"{where}: reason: say why (a judgement without a reason cannot be reviewed)")
    expires = entry.get("expires")
    if expires is not None and not isinstance(expires, dt.date):
        raise ConfigError(f"{where}: expires: expected a date such as 2027-06-30, got {expires!r}")
    return Decision(fingerprint.strip(), status, reason.strip(), expires)
