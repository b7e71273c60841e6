"""Living with findings: what a team has judged is honoured, and only what is new is reported.

After a scan, in this order:

1. inline comments (``# vulnhuntr: ignore[TYPE] -- reason``, :mod:`.inline`) silence findings;
2. the triage file (``.vulnhuntr-triage.yaml``, :mod:`.decisions`) silences fingerprints;
3. a baseline report (``--baseline``, :mod:`.baseline`) moves findings it already had to
   ``baseline.unchanged``, so ``findings`` (and the exit code) hold only new ones.

Silenced findings stay in the report (``suppressed``), so SARIF can mark them as
suppressed and nobody loses track of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from ..findings import Finding, Report, Suppressed
from ..run_summary import UnusedSuppression
from ..repo.paths import resolves_inside
from .baseline import compare, load_baseline
from .decisions import FILE_NAME, Decision, load_decisions
from .inline import Comment, comments_in, matching, unknown_types

if TYPE_CHECKING:  # annotations only: the CLI reads FILE_NAME without importing the pipeline
    from ..config import Settings
    from ..repo.map import RepositoryMap

__all__ = ["FILE_NAME", "Judgements", "apply_triage", "load_judgements"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Judgements:
    """The triage file's decisions and the baseline's findings, read (and checked) before a scan starts."""

    decisions: list[Decision]
    decisions_file: Path | None
    baseline: list[Finding] | None
    baseline_file: Path | None


def load_judgements(settings: Settings) -> Judgements:
    """Read the triage file and the baseline; a bad one is an error before any work is done."""
    decisions_file = _decisions_file(settings.root, settings.triage.triage_file)
    decisions = load_decisions(decisions_file) if decisions_file is not None else []
    baseline_file = settings.triage.baseline
    baseline = load_baseline(baseline_file) if baseline_file is not None else None
    return Judgements(decisions, decisions_file, baseline, baseline_file)


def apply_triage(
    report: Report, repository: RepositoryMap, settings: Settings, judgements: Judgements, today: dt.date | None = None
) -> Report:
    """*report* with suppressed findings set apart and, with a baseline, only new findings left."""
    triage = settings.triage
    notes = list(report.notes)
    findings, suppressed = list(report.findings), list(report.suppressed)
    comments: dict[tuple[str, int], Comment] = {}
    if triage.inline:
        comments = _comments(repository, {f.file for f in findings})
        notes += unknown_types(comments.values())
        findings, silenced = _apply_comments(findings, comments)
        suppressed += silenced
    if judgements.decisions_file is not None:
        findings, silenced, expired = _apply_decisions(
            findings, judgements.decisions, judgements.decisions_file, repository.root, today or dt.date.today()
        )
        suppressed += silenced
        notes += expired
    baseline = None
    if judgements.baseline is not None:
        findings, baseline = compare(findings, judgements.baseline, str(judgements.baseline_file))
    unused = _unused(comments, suppressed) if triage.inline and triage.report_unused_suppressions else None
    return dataclasses.replace(
        report, findings=findings, suppressed=suppressed, baseline=baseline, unused_suppressions=unused, notes=notes
    )


def _comments(repository: RepositoryMap, finding_files: set[str]) -> dict[tuple[str, int], Comment]:
    """Every suppression comment of the scanned Python files, and of other files findings point into."""
    found: list[Comment] = []
    for path, module in repository.index.modules.items():
        found += comments_in(path, module.source)
    for path in sorted(finding_files - set(repository.index.modules)):  # templates and other non-Python files
        text = _read_inside(repository.root, path)
        if text is not None:
            found += comments_in(path, text)
    return {(c.file, c.line): c for c in found}


def _read_inside(root: Path, relpath: str) -> str | None:
    """The text of a file under *root*, or None (outside the root, missing, unreadable)."""
    path = root / relpath
    if not resolves_inside(root, path) or os.path.realpath(path) == os.path.realpath(root):
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _apply_comments(
    findings: list[Finding], comments: dict[tuple[str, int], Comment]
) -> tuple[list[Finding], list[Suppressed]]:
    kept, silenced = [], []
    for finding in findings:
        comment = matching(finding, comments)
        if comment is None:
            kept.append(finding)
        else:
            silenced.append(Suppressed(finding, "inline", comment.reason, f"{comment.file}:{comment.line}"))
    return kept, silenced


def _decisions_file(root: Path, configured: Path | None) -> Path | None:
    """The triage file in use: the configured one (which must exist), else the root's, if any."""
    if configured is not None:
        return configured
    default = root / FILE_NAME
    return default if default.is_file() else None


def _apply_decisions(
    findings: list[Finding], decisions: list[Decision], path: Path, root: Path, today: dt.date
) -> tuple[list[Finding], list[Suppressed], list[str]]:
    by_fingerprint = {d.fingerprint: d for d in decisions}
    where = path.name if path.parent == root else str(path)
    kept, silenced, expired = [], [], []
    for finding in findings:
        decision = by_fingerprint.get(finding.fingerprint)
        if decision is None:
            kept.append(finding)
        elif not decision.in_force(today):
            kept.append(finding)
            expired.append(
                f"triage entry {decision.fingerprint} ({decision.status}) expired on {decision.expires}: "
                f"{finding.type.value} in {finding.file} is reported again"
            )
        else:
            silenced.append(Suppressed(finding, "triage", decision.reason, where, decision.status))
    return kept, silenced, expired


def _unused(comments: dict[tuple[str, int], Comment], suppressed: list[Suppressed]) -> list[UnusedSuppression]:
    used = {s.where for s in suppressed if s.source == "inline"}
    return [
        UnusedSuppression(c.file, c.line, c.text)
        for key, c in sorted(comments.items())
        if f"{c.file}:{c.line}" not in used
    ]
