"""The SARIF 2.1.0 report, shaped for GitHub code scanning.

Design choices:

* Every run declares all seven rules, in :class:`VulnType` order, whether or not
  they fired: rule ids *and* ``ruleIndex`` values then never change between runs,
  and GitHub keeps one stable rule per vulnerability class (:mod:`.sarif_rules`).
* A rule's CWE tags are its type's default CWE plus every CWE its results carry
  in this run (the sink kind refines the CWE, e.g. RCE through ``pickle`` is 502).
* Scanned text only ever goes through ``json.dumps``; nothing is concatenated
  into JSON by hand.
"""

from __future__ import annotations

import json
import ntpath
import os
import posixpath
from dataclasses import asdict
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from ..findings import (
    STATIC_NOTE,
    UNREACHED_NOTE,
    ContextItem,
    ErrorEntry,
    Finding,
    PathStep,
    Report,
    VulnType,
)
from .sarif_rules import rule_id, tool_driver

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "vulnhuntr/v1"
ERROR_CONFIDENCE = 8
"""Results at or above this confidence are SARIF ``error``; the rest ``warning``."""


def render_sarif(report: Report) -> str:
    """Render *report* as a SARIF 2.1.0 log (one run), ending with a newline."""
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"


def sarif_log(report: Report) -> dict[str, Any]:
    """The SARIF log as a dict: handy for tests and for callers that post-process it."""
    rules = list(VulnType)
    run: dict[str, Any] = {
        "tool": {"driver": tool_driver(report, rules)},
        "invocations": [_invocation(report)],
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri(report.root)}},
        "results": _results(report, rules),
        "properties": _run_properties(report),
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# -- results ----------------------------------------------------------------


def _results(report: Report, rules: list[VulnType]) -> list[dict[str, Any]]:
    """Reported findings, then those a baseline or a suppression set apart, each marked as such.

    With a baseline every result has a ``baselineState``: ``new`` (reported), ``unchanged``
    (filtered) and ``absent`` (in the baseline, gone now). Suppressed findings are results
    with a ``suppressions`` entry: ``inSource`` for a comment, ``external`` for the triage file.
    """
    baseline = report.baseline
    results = [_with_state(_result(f, rules.index(f.type)), "new" if baseline else None) for f in report.findings]
    if baseline is not None:
        results += [_with_state(_result(f, rules.index(f.type)), "unchanged") for f in baseline.unchanged]
        results += [_with_state(_result(f, rules.index(f.type)), "absent") for f in baseline.absent]
    for silenced in report.suppressed:
        result = _result(silenced.finding, rules.index(silenced.finding.type))
        kind = "inSource" if silenced.source == "inline" else "external"
        justification = f"{silenced.status}: {silenced.reason}" if silenced.status else silenced.reason
        result["suppressions"] = [{"kind": kind, "status": "accepted", "justification": justification or "(no reason given)",
                                   "location": {"physicalLocation": _where(silenced.where)}}]
        results.append(result)
    return results


def _with_state(result: dict[str, Any], state: str | None) -> dict[str, Any]:
    if state is not None:
        result["baselineState"] = state
    return result


def _where(where: str) -> dict[str, Any]:
    """``file:line`` of a suppression comment, or the triage file, as a physical location."""
    path, _, line = where.rpartition(":")
    if path and line.isdigit():
        return {"artifactLocation": artifact_location(path), "region": {"startLine": int(line)}}
    return {"artifactLocation": artifact_location(where)}


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    related = [_location(finding.entry_file, finding.entry_line, finding.entry_line, _entry_label(finding), 0)]
    sink = finding.sink
    if sink is not None:  # the finding is placed where it is fixed; the sink is where the harm happens
        related.append(_location(sink.file, sink.start_line, sink.end_line, f"Sink: {finding.type.title}", len(related)))
    for other in finding.other_entry_points:
        route = f" (route {other.route})" if other.route else ""
        label = f"Also reached from entry point: {other.function}{route}"
        related.append(_location(other.file, other.line, other.line, label, len(related)))
    for item in finding.context:
        if item.file and item.start_line:
            related.append(_context_location(item, len(related)))
    result: dict[str, Any] = {
        "ruleId": rule_id(finding.type),
        "ruleIndex": rule_index,
        "level": "error" if finding.confidence >= ERROR_CONFIDENCE else "warning",
        "message": {"text": _message(finding)},
        "locations": [_location(finding.file, finding.start_line, finding.end_line)],
        "relatedLocations": related,
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "confidence": finding.confidence,
            "cwe": finding.cwe,
            "kind": finding.kind,
            "reached": finding.reached,
            "entryPoint": {
                "file": finding.entry_file,
                "function": finding.entry_function,
                "line": finding.entry_line,
                "route": finding.route,
            },
            "sink": {
                "file": finding.sink_location.file,
                "startLine": finding.sink_location.start_line,
                "endLine": finding.sink_location.end_line,
            },
            "otherEntryPoints": [
                {"file": e.file, "function": e.function, "line": e.line, "route": e.route}
                for e in finding.other_entry_points
            ],
        },
    }
    if finding.path:
        result["codeFlows"] = [_code_flow(finding.path)]
    return result


def _code_flow(path: tuple[PathStep, ...]) -> dict[str, Any]:
    """The taint path as one thread flow: source, each call, sink (GitHub shows it as "Show paths")."""
    steps = [{"location": _location(s.file, s.line, s.line, s.description)} for s in path]
    return {"message": {"text": "Data flow from the request to the sink"}, "threadFlows": [{"locations": steps}]}


def _entry_label(finding: Finding) -> str:
    route = f" (route {finding.route})" if finding.route else ""
    return f"Entry point: {finding.entry_function}{route}"


def _message(finding: Finding) -> str:
    """Plain text: GitHub shows it as the alert body, so it must stand on its own."""
    parts = [
        f"{finding.type.title} (CWE-{finding.cwe}) reachable from "
        f"{finding.entry_function} in {finding.entry_file}:{finding.entry_line}"
        + (f" (route {finding.route})" if finding.route else "")
        + f". Confidence {finding.confidence}/10 ({finding.kind}).",
    ]
    if finding.sink is not None:
        parts.append(f"Sink: {finding.sink.file}:{finding.sink.start_line}.")
    if finding.other_entry_points:
        others = ", ".join(f"{e.function} in {e.file}:{e.line}" for e in finding.other_entry_points)
        parts.append(f"Also reachable from: {others}.")
    if finding.kind == "static":
        parts += ["", f"Found by {STATIC_NOTE}."]
    if not finding.reached:
        parts += ["", f"Note: {UNREACHED_NOTE}."]
    if finding.analysis.strip():
        parts += ["", "Analysis:", finding.analysis.strip()]
    if finding.poc.strip():
        parts += ["", "Proof of concept:", finding.poc.strip()]
    return "\n".join(parts)


def _context_location(item: ContextItem, location_id: int) -> dict[str, Any]:
    assert item.file is not None and item.start_line is not None
    return _location(item.file, item.start_line, item.end_line, f"Context: {item.name}", location_id)


def _location(
    path: str,
    start: int,
    end: int | None,
    label: str | None = None,
    location_id: int | None = None,
) -> dict[str, Any]:
    """A physical location; SARIF lines are 1-based and ``endLine >= startLine``."""
    start_line = max(1, start)
    end_line = max(start_line, end or start_line)
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": artifact_location(path),
            "region": {"startLine": start_line, "endLine": end_line},
        }
    }
    if location_id is not None:
        location["id"] = location_id
    if label is not None:
        location["message"] = {"text": label}
    return location


def artifact_location(path: str) -> dict[str, str]:
    """A URI for *path*: relative to ``%SRCROOT%`` normally, absolute if the path is."""
    if os.sep != "/":
        path = path.replace(os.sep, "/")
    if ntpath.splitdrive(path)[0]:
        return {"uri": PureWindowsPath(path).as_uri()}
    if posixpath.isabs(path):
        return {"uri": PurePosixPath(path).as_uri()}
    while path.startswith("./"):
        path = path[2:]
    return {"uri": quote(path, safe="/", errors="surrogateescape"), "uriBaseId": SRCROOT}


def root_uri(root: str) -> str:
    """The scan root as a percent-encoded ``file://`` URI with the trailing slash SARIF needs."""
    uri = Path(os.path.abspath(root)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


# -- invocation -------------------------------------------------------------


def _invocation(report: Report) -> dict[str, Any]:
    notifications = [_error_notification(e) for e in report.errors]
    notifications += [_skipped_notification(s) for s in report.skipped]
    invocation: dict[str, Any] = {"executionSuccessful": report.complete}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def _error_notification(error: ErrorEntry) -> dict[str, Any]:
    where = " ".join(p for p in (error.vuln_type, error.entry_function) if p)
    text = f"{error.stage} failed" + (f" for {where}" if where else "") + f": {error.reason}"
    notification: dict[str, Any] = {
        "level": "error",
        "message": {"text": text},
        "properties": {
            "stage": error.stage,
            "entryFunction": error.entry_function,
            "vulnType": error.vuln_type,
        },
    }
    if error.file:
        notification["locations"] = [_file_location(error.file)]
    return notification


def _skipped_notification(skipped: dict[str, str]) -> dict[str, Any]:
    path = skipped.get("path", "")
    reason = skipped.get("reason", "")
    notification: dict[str, Any] = {
        "level": "warning",
        "message": {"text": f"Skipped {path}: {reason}" if path else f"Skipped: {reason}"},
    }
    if path:
        notification["locations"] = [_file_location(path)]
    return notification


def _file_location(path: str) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": artifact_location(path)}}


def _run_properties(report: Report) -> dict[str, Any]:
    """What GitHub ignores but a reader of the raw file wants: model, usage, coverage."""
    return {
        "provider": report.provider,
        "model": report.model,
        "minConfidence": report.min_confidence,
        "complete": report.complete,
        "entryPointsTotal": report.entry_points_total,
        "entryPointsAnalysed": report.entry_points_analysed,
        "belowThreshold": report.below_threshold,
        "llmCalls": report.usage.calls,
        "inputTokens": report.usage.input_tokens,
        "outputTokens": report.usage.output_tokens,
        "cachedInputTokens": report.usage.cached_input_tokens,
        "cacheWriteInputTokens": report.usage.cache_write_input_tokens,
        "estimatedCostUsd": report.cost_usd,
        "stopReason": report.stop_reason,
        "faults": asdict(report.faults),
        "notes": list(report.notes),
        "incremental": _incremental(report),
        "unreachedModules": asdict(report.unreached) if report.unreached is not None else None,
    }


def _incremental(report: Report) -> dict[str, Any] | None:
    summary = report.incremental
    if summary is None:
        return None
    return {
        "mode": summary.mode,
        "since": summary.since,
        "reused": [n.file for n in summary.reused],
        "reanalysed": {n.file: n.reason for n in summary.reanalysed},
        "removed": [n.file for n in summary.removed],
    }
