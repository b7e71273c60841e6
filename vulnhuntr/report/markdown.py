"""The Markdown report: for people, in a pull request, an issue or a browser.

Analysis, PoCs and paths come from the scanned repository and the model, so they
are untrusted: outside code blocks they are escaped (HTML and Markdown syntax),
inside code they are fenced with a run of backticks longer than any they hold.
Nothing scanned can open an HTML tag, a link or an image in the rendered page,
and control characters are shown as ``\\xNN`` so ``cat report.md`` is safe too.
"""

from __future__ import annotations

import html
import re

from ..findings import CWE_NAMES, STATIC_NOTE, UNREACHED_NOTE, ContextItem, ErrorEntry, Finding, PathStep, Report
from .console import clean

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|])")
_BACKTICK_RUN = re.compile(r"`+")


def render_markdown(report: Report) -> str:
    """Render *report* as a GitHub-flavoured Markdown document ending with a newline."""
    blocks = [_header(report), _summary(report), _findings(report)]
    if report.errors:
        blocks.append(_errors(report.errors))
    if report.suppressed:
        blocks.append(_suppressed(report))
    if report.unused_suppressions:
        blocks.append(_unused(report))
    if report.skipped:
        blocks.append(_skipped(report.skipped))
    return "\n\n".join(b.rstrip("\n") for b in blocks) + "\n"


# -- escaping ---------------------------------------------------------------


def escape_text(text: str) -> str:
    """Escape untrusted prose: HTML entities first, then Markdown punctuation.

    Line breaks are kept so multi-paragraph analyses stay readable.
    """
    escaped = html.escape(clean(text), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


def escape_cell(text: str) -> str:
    """Escape untrusted text for a table cell, which must stay on one line."""
    return escape_text(" ".join(text.split()))


def inline_code(text: str) -> str:
    """A code span that no backtick in *text* can close early; one line only."""
    text = " ".join(clean(text).splitlines())
    fence = "`" * (_longest_backtick_run(text) + 1)
    if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def code_block(text: str, info: str = "") -> str:
    """A fenced block whose fence is longer than any backtick run inside *text*."""
    text = clean(text)
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return f"{fence}{info}\n{text.rstrip(chr(10))}\n{fence}"


def _longest_backtick_run(text: str) -> int:
    return max((len(m.group()) for m in _BACKTICK_RUN.finditer(text)), default=0)


# -- sections ---------------------------------------------------------------


def _header(report: Report) -> str:
    model = f" / {inline_code(report.model)}" if report.model else ""
    lines = [
        "# vulnhuntr report",
        "",
        f"- Repository: {inline_code(report.root)}",
        f"- Provider: {inline_code(report.provider)}{model}",
        f"- Minimum confidence: {report.min_confidence}",
    ]
    if report.tool_version:
        lines.append(f"- vulnhuntr {escape_text(report.tool_version)}")
    if not report.complete:
        why = {"interrupted": "interrupted", "budget": "stopped by the budget", "errors": "some analyses failed"}
        reason = why.get(report.stop_reason or "", "stopped")
        lines += ["", f"> **Incomplete run**: {reason}; not everything was analysed (see Errors)."]
    return "\n".join(lines)


def _summary(report: Report) -> str:
    usage = report.usage
    by_type = ", ".join(f"{t}: {n}" for t, n in report.findings_by_type().items()) or "none"
    rows = [
        ("Entry points analysed", f"{report.entry_points_analysed} of {report.entry_points_total}"),
        ("Findings", str(len(report.findings))),
        ("Findings by type", escape_cell(by_type)),
        ("Below minimum confidence", str(report.below_threshold)),
        ("Errors", str(len(report.errors))),
        ("Skipped files", str(len(report.skipped))),
        ("LLM calls", str(usage.calls)),
        ("Recovered faults", report.faults.describe()),
        (
            "Tokens",
            f"{usage.input_tokens:,} input, {usage.output_tokens:,} output, {usage.cached_input_tokens:,} cached"
            + (f" ({usage.cache_write_input_tokens:,} written to the cache)" if usage.cache_write_input_tokens else ""),
        ),
        ("Estimated cost", _cost(report.cost_usd)),
        ("Complete", "yes" if report.complete else "**no**"),
    ]
    if report.suppressed:
        rows.append(("Suppressed", f"{len(report.suppressed)} (listed below)"))
    if report.baseline is not None:
        b = report.baseline
        rows.append(("Baseline", escape_cell(f"{b.new} new; {len(b.unchanged)} unchanged, not reported; "
                                             f"{len(b.absent)} gone since {b.file}")))
    if report.cache is not None:
        rows.append(("Answer cache", f"{report.cache.hits} hits, {report.cache.misses} misses"))
    if report.incremental is not None:
        summary = report.incremental
        rows.append(
            ("Incremental", escape_cell(f"{len(summary.reused)} files reused, {len(summary.reanalysed)} re-analysed"))
        )
    table = ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    return "## Summary\n\n" + "\n".join(table) + _notes(report)


def _notes(report: Report) -> str:
    """Why files were re-analysed or dropped, and plain statements about the run (LLM confirmation off...)."""
    lines = [f"- {escape_text(note)}" for note in report.notes]
    if report.incremental is not None:
        summary = report.incremental
        for note in summary.reanalysed + summary.not_analysed + summary.removed:
            lines.append(f"- {inline_code(note.file)}: {escape_text(note.reason)}")
        lines += [f"- {escape_text(note)}" for note in summary.notes]
    return "\n\n" + "\n".join(lines) if lines else ""


def _cost(cost_usd: float | None) -> str:
    return "unknown (no price for this model)" if cost_usd is None else f"${cost_usd:.4f}"


def _findings(report: Report) -> str:
    if not report.findings:
        return f"## Findings\n\nNo findings at or above confidence {report.min_confidence}."
    sections = [_finding(i, f) for i, f in enumerate(report.findings, 1)]
    return "## Findings\n\n" + "\n\n".join(sections)


def _sink_lines(finding: Finding) -> list[str]:
    """The sink, when the finding is placed where it is fixed rather than at the sink."""
    sink = finding.sink
    return [] if sink is None else [f"- Sink: {inline_code(_span(sink.file, sink.start_line, sink.end_line))}"]


def _finding(number: int, finding: Finding) -> str:
    route = f" (route {inline_code(finding.route)})" if finding.route else ""
    lines = [
        f"### {number}. {finding.type.title} ({finding.type.value})",
        "",
        f"- CWE: {_cwe_link(finding.cwe)}",
        f"- Location: {inline_code(_span(finding.file, finding.start_line, finding.end_line))}",
        *_sink_lines(finding),
        f"- Entry point: {inline_code(finding.entry_function)} in "
        f"{inline_code(f'{finding.entry_file}:{finding.entry_line}')}{route}"
        + ("" if finding.reached else f" ({UNREACHED_NOTE})"),
        *(
            f"- Also reached from: {inline_code(e.function)} in {inline_code(f'{e.file}:{e.line}')}"
            + (f" (route {inline_code(e.route)})" if e.route else "")
            for e in finding.other_entry_points
        ),
        f"- Confidence: {finding.confidence}/10" + (f" ({STATIC_NOTE})" if finding.kind == "static" else ""),
        f"- Fingerprint: {inline_code(finding.fingerprint)}",
        "",
        "#### Analysis",
        "",
        escape_text(finding.analysis.strip()) or "_No analysis given._",
        "",
        "#### Proof of concept",
        "",
        code_block(finding.poc.strip(), "text") if finding.poc.strip() else "_No proof of concept given._",
    ]
    if finding.path:
        lines += ["", "#### Path", "", *(_path_line(n, step) for n, step in enumerate(finding.path, 1))]
    if finding.context:
        lines += ["", "#### Context used", "", *(_context_line(c) for c in finding.context)]
    return "\n".join(lines)


def _cwe_link(cwe: int) -> str:
    name = CWE_NAMES.get(cwe)
    link = f"[CWE-{cwe}](https://cwe.mitre.org/data/definitions/{cwe}.html)"
    return f"{link} {escape_text(name)}" if name else link


def _span(path: str, start: int | None, end: int | None) -> str:
    if start is None:
        return path
    return f"{path}:{start}" if end is None or end == start else f"{path}:{start}-{end}"


def _path_line(number: int, step: PathStep) -> str:
    return f"{number}. {inline_code(f'{step.file}:{step.line}')} {escape_text(' '.join(step.description.split()))}"


def _context_line(item: ContextItem) -> str:
    where = f" in {inline_code(_span(item.file, item.start_line, item.end_line))}" if item.file else ""
    return f"- {inline_code(item.name)}{where}"


def _errors(errors: list[ErrorEntry]) -> str:
    lines = ["## Errors", "", "| File | Stage | Entry point | Type | Reason |", "|---|---|---|---|---|"]
    for e in errors:
        cells = [e.file or "", e.stage, e.entry_function or "", e.vuln_type or "", e.reason]
        lines.append("| " + " | ".join(escape_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def _suppressed(report: Report) -> str:
    lines = ["## Suppressed findings", "", "| Type | Location | Entry point | By | Reason | Fingerprint |",
             "|---|---|---|---|---|---|"]
    for x in report.suppressed:
        f = x.finding
        by = x.where + (f" ({x.status})" if x.status else "")
        cells = [f.type.value, f"{f.file}:{f.start_line}", f.entry_function, by, x.reason or "-", f.fingerprint]
        lines.append("| " + " | ".join(escape_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def _unused(report: Report) -> str:
    lines = ["## Unused suppressions", "", "| Location | Comment |", "|---|---|"]
    for u in report.unused_suppressions or []:
        lines.append(f"| {escape_cell(f'{u.file}:{u.line}')} | {escape_cell(u.text)} |")
    return "\n".join(lines)


def _skipped(skipped: list[dict[str, str]]) -> str:
    lines = ["## Skipped files", "", "| File | Reason |", "|---|---|"]
    for s in skipped:
        lines.append(f"| {escape_cell(s.get('path', ''))} | {escape_cell(s.get('reason', ''))} |")
    return "\n".join(lines)
