"""What a scan reports: findings, errors and usage, as plain value objects.

Every report format (console, JSON, SARIF, Markdown) is rendered from a
:class:`Report`; nothing else is passed to the formatters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum
from typing import Any

from .redact import redact
from .run_summary import CacheSummary, Faults, IncrementalSummary, UnreachedSummary, UnusedSuppression


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
    def title(self) -> str:  # type: ignore[override]  # a type's display name; str.title is never wanted on a member
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
class Location:
    """A line range in one file (relative to the scan root)."""

    file: str
    start_line: int
    end_line: int

    def overlaps(self, file: str, low: int, high: int) -> bool:
        return self.file == file and self.start_line <= high and low <= self.end_line


@dataclass(frozen=True)
class EntryRef:
    """Another entry point whose request data reaches the same place (listed on one finding)."""

    file: str
    function: str
    line: int
    route: str | None = None


@dataclass(frozen=True)
class Finding:
    """One vulnerability: where to fix it, where the tainted data does harm, and how it got there.

    ``file``/``start_line``/``end_line`` are where a security engineer fixes it: the
    line that builds the dangerous value or hands the data to the helper that
    performs the sink (usually in the handler). ``sink`` is the dangerous call
    itself when it lies elsewhere (None: the sink is the primary location).
    """

    type: VulnType
    cwe: int
    file: str  # where to fix it, relative to the scan root
    start_line: int
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
    sink: Location | None = None  # the sink, when the finding is placed elsewhere
    other_entry_points: tuple[EntryRef, ...] = ()  # further entry points reaching the same place

    @property
    def location(self) -> Location:
        """Where to fix it (the primary location)."""
        return Location(self.file, self.start_line, self.end_line)

    @property
    def sink_location(self) -> Location:
        """The dangerous call: the related sink location, else the primary one."""
        return self.sink if self.sink is not None else self.location

    def points_at(self, file: str, low: int, high: int) -> bool:
        """True when the primary location or the sink lies in *file* lines *low*..*high* (for scoring)."""
        return self.location.overlaps(file, low, high) or self.sink_location.overlaps(file, low, high)
    reached: bool = True  # False: found in a module no entry point reaches, its parameters assumed user input

    @property
    def fingerprint(self) -> str:
        """Stable across runs and line shifts elsewhere: type, sink file, entry point."""
        key = f"{self.type.value}|{self.sink_location.file}|{self.entry_file}|{self.entry_function}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    @property
    def sort_key(self) -> tuple[Any, ...]:
        sink = self.sink_location
        return (self.entry_file, self.entry_function, self.type.value, self.file, self.start_line, sink.file, sink.start_line)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["type"] = self.type.value
        data["fingerprint"] = self.fingerprint
        data["context"] = [asdict(c) for c in self.context]
        data["path"] = [asdict(p) for p in self.path]
        data["sink"] = asdict(self.sink_location)
        data["other_entry_points"] = [asdict(e) for e in self.other_entry_points]
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
        sink = values.get("sink")
        values["sink"] = Location(**sink) if sink else None
        if values["sink"] == Location(values["file"], values["start_line"], values["end_line"]):
            values["sink"] = None
        values["other_entry_points"] = tuple(EntryRef(**e) for e in values.get("other_entry_points", ()))
        return cls(**values)


def merge_by_place(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per type, CWE, location and sink: further entry points reaching it are listed on the first.

    Order is kept; a finding whose entry point (and route) is already named is dropped as a repeat.
    """
    merged: list[Finding] = []
    at: dict[tuple[object, ...], int] = {}
    for finding in findings:
        key = (finding.type, finding.cwe, finding.location, finding.sink_location)
        index = at.get(key)
        if index is None:
            at[key] = len(merged)
            merged.append(finding)
            continue
        first = merged[index]
        named = {(first.entry_file, first.entry_function, first.route)}
        named |= {(e.file, e.function, e.route) for e in first.other_entry_points}
        extra = [EntryRef(finding.entry_file, finding.entry_function, finding.entry_line, finding.route)]
        extra += list(finding.other_entry_points)
        new = tuple(e for e in extra if (e.file, e.function, e.route) not in named)
        if new:
            merged[index] = replace(first, other_entry_points=first.other_entry_points + tuple(dict.fromkeys(new)))
    return merged


@dataclass(frozen=True)
class ErrorEntry:
    """Something that failed (a file, a symbol, an LLM answer): the scan went on without it."""

    file: str | None
    stage: str  # "discover", "index", "readme", "llm", "analysis", ...
    reason: str
    entry_function: str | None = None
    vuln_type: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", redact(self.reason))  # SDK errors repeat URLs, credentials included


@dataclass
class Usage:
    """LLM calls and tokens, summed over a run."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0  # of input_tokens: read from the provider's prompt cache (billed at a lower rate)
    cache_write_input_tokens: int = 0  # of input_tokens: written to the prompt cache (Anthropic bills them higher)

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cached_input_tokens += other.cached_input_tokens
        self.cache_write_input_tokens += other.cache_write_input_tokens


@dataclass(frozen=True)
class Suppressed:
    """A finding the team has silenced, with where and why, so it stays accountable."""

    finding: Finding
    source: str  # "inline" (a ``# vulnhuntr: ignore`` comment) or "triage" (the triage file)
    reason: str
    where: str  # "app.py:12" for a comment; the triage file's path for a triage entry
    status: str | None = None  # triage only: "false_positive" or "accepted"

    def to_dict(self) -> dict[str, Any]:
        return {**self.finding.to_dict(), "suppression": {"source": self.source, "reason": self.reason,
                                                           "where": self.where, "status": self.status}}


@dataclass
class BaselineSummary:
    """How this run's findings compare with a baseline report's, by fingerprint."""

    file: str
    new: int  # findings not in the baseline: the only ones reported and counted in the exit code
    unchanged: list[Finding] = field(default_factory=list)  # in both: filtered out of ``findings``
    absent: list[Finding] = field(default_factory=list)  # in the baseline only: fixed or gone

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "new": self.new, "unchanged": [f.to_dict() for f in self.unchanged],
                "absent": [f.to_dict() for f in self.absent]}


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
    suppressed: list[Suppressed] = field(default_factory=list)  # silenced inline or by the triage file
    unused_suppressions: list[UnusedSuppression] | None = None  # None unless asked for
    baseline: BaselineSummary | None = None  # None unless --baseline
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
                "suppressed": len(self.suppressed),
                "baseline_unchanged": len(self.baseline.unchanged) if self.baseline is not None else None,
                "errors": len(self.errors),
                "skipped_files": len(self.skipped),
                "llm_calls": self.usage.calls,
                "input_tokens": self.usage.input_tokens,
                "output_tokens": self.usage.output_tokens,
                "cached_input_tokens": self.usage.cached_input_tokens,
                "cache_write_input_tokens": self.usage.cache_write_input_tokens,
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
            "suppressed": [s.to_dict() for s in self.suppressed],
            "unused_suppressions": (
                [asdict(u) for u in self.unused_suppressions] if self.unused_suppressions is not None else None
            ),
            "baseline": self.baseline.to_dict() if self.baseline is not None else None,
            "unreached_modules": asdict(self.unreached) if self.unreached is not None else None,
        }
