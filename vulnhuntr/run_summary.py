"""What a run reports about itself besides its findings: faults met, cache savings, incremental reuse,
stale suppressions and the unreached modules looked at. Plain values, filled in by the stages and
rendered by every report format through :class:`~vulnhuntr.findings.Report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Faults:
    """LLM faults of a run: the recovered ones (asked again, retried) and the 429s and timeouts seen."""

    reasks: int = 0  # answers that did not validate, asked again with the reason
    retries: int = 0  # calls sent again after a 429, a server error or a timeout
    rate_limited: int = 0  # 429 (or overloaded) answers
    timeouts: int = 0
    server_errors: int = 0  # 5xx and dropped connections

    def add(self, other: Faults) -> None:
        for name in ("reasks", "retries", "rate_limited", "timeouts", "server_errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def describe(self) -> str:
        """One line, the same words in every report format."""
        return (
            f"{self.reasks} re-asks, {self.retries} retries ({self.rate_limited} rate limited, "
            f"{self.timeouts} timeouts, {self.server_errors} server errors)"
        )


@dataclass
class CacheSummary:
    """What the answer cache saved this run (hits cost nothing and are not counted as calls)."""

    hits: int = 0
    misses: int = 0
    saved_input_tokens: int = 0
    saved_output_tokens: int = 0
    saved_usd: float | None = None


@dataclass(frozen=True)
class FileNote:
    """An entry-point file and why an incremental run treated it the way it did."""

    file: str
    reason: str  # "changed", "helper services.py changed", "new", "deleted", "unchanged"...


@dataclass
class IncrementalSummary:
    """What an incremental (``--incremental`` / ``--since``) run re-used and re-analysed, and why."""

    mode: str  # "incremental" or "since"
    baseline: str  # the previous run compared against, in words ("no previous run" without one)
    since: str | None = None  # the git ref of ``--since``
    reused: list[FileNote] = field(default_factory=list)  # findings taken from the previous run
    reanalysed: list[FileNote] = field(default_factory=list)
    not_analysed: list[FileNote] = field(default_factory=list)  # --since without previous results
    removed: list[FileNote] = field(default_factory=list)  # entry-point files gone: their findings too
    notes: list[str] = field(default_factory=list)  # e.g. a two-dot diff on a shallow clone


@dataclass(frozen=True)
class UnusedSuppression:
    """A ``# vulnhuntr: ignore`` comment that matched no finding: stale, or on the wrong line."""

    file: str
    line: int
    text: str


@dataclass
class UnreachedSummary:
    """Modules with dangerous sinks that no entry point reaches: analysed on their own, or left out by the cap."""

    analysed: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # over ``analysis.unreached_modules``
    cap: int = 0
