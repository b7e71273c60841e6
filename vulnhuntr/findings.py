"""What a scan reports: findings, errors and usage, as plain value objects.

Every report format (console, JSON, SARIF, Markdown) is rendered from a
:class:`Report`; nothing else is passed to the formatters.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any


class VulnType(str, Enum):
    """The vulnerability classes vulnhuntr looks for (the original tool's names)."""

    LFI = "LFI"
    RCE = "RCE"
    SSRF = "SSRF"
    AFO = "AFO"
    SQLI = "SQLI"
    XSS = "XSS"
    IDOR = "IDOR"

    @property
    def title(self) -> str:
        return TITLES[self]


TITLES = {
    VulnType.LFI: "Local file inclusion",
    VulnType.RCE: "Remote code execution",
    VulnType.SSRF: "Server-side request forgery",
    VulnType.AFO: "Arbitrary file overwrite",
    VulnType.SQLI: "SQL injection",
    VulnType.XSS: "Cross-site scripting",
    VulnType.IDOR: "Insecure direct object reference",
}

DEFAULT_CWE = {
    VulnType.LFI: 22,
    VulnType.AFO: 22,
    VulnType.RCE: 78,
    VulnType.SSRF: 918,
    VulnType.SQLI: 89,
    VulnType.XSS: 79,
    VulnType.IDOR: 639,
}
"""The CWE of a type's most common sink; the sink kind refines it (see DESIGN: Findings and CWEs)."""

CWE_NAMES = {
    22: "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
    73: "External Control of File Name or Path",
    78: "Improper Neutralization of Special Elements used in an OS Command ('OS Command Injection')",
    79: "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
    89: "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
    94: "Improper Control of Generation of Code ('Code Injection')",
    502: "Deserialization of Untrusted Data",
    639: "Authorization Bypass Through User-Controlled Key",
    918: "Server-Side Request Forgery (SSRF)",
    1336: "Improper Neutralization of Special Elements Used in a Template Engine",
}


@dataclass(frozen=True)
class ContextItem:
    """A piece of code the model was shown while analysing (for reviewers to follow the path)."""

    name: str
    file: str | None
    start_line: int | None
    end_line: int | None


STATIC_NOTE = "static analysis, not confirmed by an LLM"
"""How every report format labels a finding of kind "static"."""

UNREACHED_NOTE = (
    "unreached module: no detected entry point reaches this code; its functions' parameters were assumed "
    "attacker-controlled"
)
"""How every report format labels a finding with ``reached`` False."""


@dataclass(frozen=True)
class PathStep:
    """One hop of a taint path (source, each call, sink), so reviewers can follow the data."""

    file: str
    line: int
    description: str


@dataclass(frozen=True)
class Finding:
    """One vulnerability: where the tainted data does harm, and how it got there."""

    type: VulnType
    cwe: int
    file: str  # the sink's file, relative to the scan root
    start_line: int  # the sink's line range
    end_line: int
    entry_file: str
    entry_function: str
    entry_line: int
    confidence: int  # 0-10
    analysis: str
    poc: str
    route: str | None = None
    kind: str = "llm"  # "llm": confirmed by a model; "static": found by the static pass only
    context: tuple[ContextItem, ...] = ()
    path: tuple[PathStep, ...] = ()  # source → calls → sink, where known (the static pass fills it)
    reached: bool = True  # False: found in a module no entry point reaches, its parameters assumed user input

    @property
    def fingerprint(self) -> str:
        """Stable across runs and line shifts elsewhere: type, sink file, entry point."""
        key = f"{self.type.value}|{self.file}|{self.entry_file}|{self.entry_function}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.entry_file, self.entry_function, self.type.value, self.file, self.start_line)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["type"] = self.type.value
        data["fingerprint"] = self.fingerprint
        data["context"] = [asdict(c) for c in self.context]
        data["path"] = [asdict(p) for p in self.path]
        if self.kind == "static":
            data["note"] = STATIC_NOTE
        if not self.reached:
            data["note"] = UNREACHED_NOTE
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """The inverse of :meth:`to_dict` (derived keys such as ``fingerprint`` are ignored)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["type"] = VulnType(values["type"])
        values["context"] = tuple(ContextItem(**c) for c in values.get("context", ()))
        values["path"] = tuple(PathStep(**p) for p in values.get("path", ()))
        return cls(**values)


@dataclass(frozen=True)
class ErrorEntry:
    """Something that failed (a file, a symbol, an LLM answer): the scan went on without it."""

    file: str | None
    stage: str  # "discover", "index", "readme", "llm", "analysis", ...
    reason: str
    entry_function: str | None = None
    vuln_type: str | None = None


@dataclass
class Usage:
    """LLM calls and tokens, summed over a run."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cached_input_tokens += other.cached_input_tokens


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


@dataclass
class UnreachedSummary:
    """Modules with dangerous sinks that no entry point reaches: analysed on their own, or left out by the cap."""

    analysed: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # over ``analysis.unreached_modules``
    cap: int = 0


@dataclass
class Report:
    """Everything a scan concluded; the single input of every report format."""

    root: str
    provider: str
    model: str | None
    min_confidence: int
    entry_points_total: int
    entry_points_analysed: int
    findings: list[Finding] = field(default_factory=list)  # at or above min_confidence, sorted
    below_threshold: int = 0  # findings dropped by --min-confidence
    errors: list[ErrorEntry] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # files left out: {"path", "reason"}
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None  # None when the model has no known price
    complete: bool = True  # False when interrupted or stopped by a budget
    stop_reason: str | None = None  # "interrupted" or "budget" when not complete
    cache: CacheSummary | None = None  # None when the cache was off
    notes: list[str] = field(default_factory=list)  # plain statements about the run (e.g. LLM confirmation off)
    tool_version: str = ""
    incremental: IncrementalSummary | None = None  # None unless --incremental or --since
    unreached: UnreachedSummary | None = None  # None when no unreached sink module was looked for
    faults: Faults = field(default_factory=Faults)
    analyses_total: int = 0  # entry-point files and unreached modules sent to the LLM this run
    analyses_failed: int = 0  # of those, the ones of which nothing could be analysed

    def findings_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.type.value] = counts.get(finding.type.value, 0) + 1
        return dict(sorted(counts.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": {"name": "vulnhuntr", "version": self.tool_version},
            "root": self.root,
            "provider": self.provider,
            "model": self.model,
            "complete": self.complete,
            "stop_reason": self.stop_reason,
            "notes": self.notes,
            "min_confidence": self.min_confidence,
            "summary": {
                "entry_points_total": self.entry_points_total,
                "entry_points_analysed": self.entry_points_analysed,
                "findings": len(self.findings),
                "findings_by_type": self.findings_by_type(),
                "below_threshold": self.below_threshold,
                "errors": len(self.errors),
                "skipped_files": len(self.skipped),
                "llm_calls": self.usage.calls,
                "input_tokens": self.usage.input_tokens,
                "output_tokens": self.usage.output_tokens,
                "cached_input_tokens": self.usage.cached_input_tokens,
                "estimated_cost_usd": self.cost_usd,
                "cache": asdict(self.cache) if self.cache is not None else None,
                "faults": asdict(self.faults),
                "analyses": self.analyses_total,
                "analyses_failed": self.analyses_failed,
            },
            "findings": [f.to_dict() for f in self.findings],
            "errors": [asdict(e) for e in self.errors],
            "skipped": self.skipped,
            "incremental": asdict(self.incremental) if self.incremental is not None else None,
            "unreached_modules": asdict(self.unreached) if self.unreached is not None else None,
        }
