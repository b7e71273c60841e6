"""The console report: findings as panels, then a run summary, with rich.

Scanned text (analysis, PoC, paths, names) is untrusted. It only ever reaches
the console inside :class:`rich.text.Text` objects, which rich never parses for
markup or emoji codes, so ``[bold]x[/bold]`` or ``[/etc/passwd]`` print as
written. Control characters are made visible first, so a file cannot send
escape sequences to the terminal either.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..findings import CWE_NAMES, STATIC_NOTE, UNREACHED_NOTE, EntryRef, Finding, PathStep, Report
from ..repo.frameworks.entry import EntryPoint

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0/C1 controls (ESC sequences) and bidi overrides ("Trojan source"); tab and newline stay."""
_LEVEL_STYLE = {"high": "bold red", "medium": "yellow"}


def print_report(report: Report, console: Console, *, show_suppressed: bool = False) -> None:
    """Print every finding, the errors and skipped files, then the run summary.

    Suppressed findings are counted in the summary; *show_suppressed* lists them too.
    """
    if report.findings:
        for number, finding in enumerate(report.findings, 1):
            console.print(_finding_panel(number, finding))
    else:
        new = " new" if report.baseline is not None else ""
        console.print(Text(f"No{new} findings at or above confidence {report.min_confidence}.", style="green"))
    if show_suppressed and report.suppressed:
        console.print(_suppressed_table(report))
    if report.unused_suppressions:
        console.print(_unused_table(report))
    if report.errors:
        console.print(_errors_table(report))
    if report.skipped:
        console.print(_skipped_table(report))
    console.print(_summary_table(report))


def print_attack_surface(entry_points: Sequence[EntryPoint], files: int, skipped: int, console: Console,
                         busiest: int = 5) -> None:
    """A few lines on what a scan covered: entry points by framework and kind, the busiest files.

    The full table is ``--list-entrypoints``'s job; on a big repository it runs to hundreds of rows.
    """
    kinds = Counter(f"{e.framework} {e.kind}" for e in entry_points)
    per_file = Counter(e.file for e in entry_points)
    console.print(_t(f"Attack surface: {_count(len(entry_points), 'entry point')} in {_count(len(per_file), 'file')} "
                     f"({files} Python files scanned, {skipped} skipped)"))
    if kinds:
        console.print(_t("  by framework: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=_by_count))))
        top = sorted(per_file.items(), key=_by_count)[:busiest]
        console.print(_t("  busiest files: " + ", ".join(f"{f} ({n})" for f, n in top)))
        console.print(Text("  (vulnhuntr --list-entrypoints lists every one)", style="dim"))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def clean(text: str) -> str:
    """Show control characters as ``\\xNN`` instead of letting the terminal act on them."""
    return _CONTROL.sub(_visible, text.replace("\r\n", "\n"))


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _t(text: str, style: str = "") -> Text:
    """Untrusted text as a Text object: never parsed as markup."""
    return Text(clean(text), style=style)


def _confidence_style(confidence: int) -> str:
    return _LEVEL_STYLE["high"] if confidence >= 8 else _LEVEL_STYLE["medium"]


# -- findings ---------------------------------------------------------------


def _finding_panel(number: int, finding: Finding) -> Panel:
    style = _confidence_style(finding.confidence)
    title = Text.assemble((f"#{number} ", "bold"), (f"{finding.type.value} ", style), finding.type.title)
    return Panel(Group(*_finding_body(finding)), title=title, title_align="left", border_style=style)


def _finding_body(finding: Finding) -> list[Text]:
    cwe_name = CWE_NAMES.get(finding.cwe, "")
    entry = Text.assemble(
        _t(finding.entry_function, "bold"),
        " in ",
        _t(f"{finding.entry_file}:{finding.entry_line}", "cyan"),
    )
    if finding.route:
        entry.append_text(Text.assemble(" (route ", _t(finding.route), ")"))
    if not finding.reached:
        entry.append(f" ({UNREACHED_NOTE})", style="dim")
    confidence = Text(f"{finding.confidence}/10", style=_confidence_style(finding.confidence))
    if finding.kind == "static":
        confidence.append(f" ({STATIC_NOTE})", style="dim")
    body = [
        _field("CWE", Text(f"CWE-{finding.cwe}" + (f" {cwe_name}" if cwe_name else ""))),
        _field("Location", _t(finding.file + _line_span(finding.start_line, finding.end_line), "cyan")),
        *(
            [_field("Sink", _t(finding.sink.file + _line_span(finding.sink.start_line, finding.sink.end_line), "cyan"))]
            if finding.sink is not None
            else []
        ),
        _field("Entry point", entry),
        *(_field("Also reached from", _other_entry(e)) for e in finding.other_entry_points),
        _field("Confidence", confidence),
        Text(""),
        Text("Analysis", style="bold underline"),
        _t(finding.analysis.strip() or "(none given)"),
        Text(""),
        Text("Proof of concept", style="bold underline"),
        _t(finding.poc.strip() or "(none given)", "green"),
    ]
    if finding.path:
        body += [Text(""), Text("Path", style="bold underline")]
        body += [_path_line(n, step) for n, step in enumerate(finding.path, 1)]
    if finding.context:
        body += [Text(""), Text("Context used", style="bold underline")]
        body += [_context_line(c.name, c.file, c.start_line, c.end_line) for c in finding.context]
    return body


def _other_entry(entry: EntryRef) -> Text:
    text = Text.assemble(_t(entry.function, "bold"), " in ", _t(f"{entry.file}:{entry.line}", "cyan"))
    if entry.route:
        text.append_text(Text.assemble(" (route ", _t(entry.route), ")"))
    return text


def _path_line(number: int, step: PathStep) -> Text:
    return Text.assemble(f"{number}. ", _t(f"{step.file}:{step.line}", "cyan"), " ", _t(step.description))


def _line_span(start: int | None, end: int | None) -> str:
    if start is None:
        return ""
    return f":{start}" if end is None or end == start else f":{start}-{end}"


def _field(label: str, value: Text) -> Text:
    return Text.assemble((f"{label}: ", "bold"), value)


def _context_line(name: str, file: str | None, start: int | None, end: int | None) -> Text:
    line = Text.assemble("- ", _t(name))
    if file:
        line.append_text(Text.assemble(" in ", _t(file + _line_span(start, end), "cyan")))
    return line


# -- errors, skipped, summary -------------------------------------------------


def _errors_table(report: Report) -> Table:
    table = Table(title=Text(f"Errors ({len(report.errors)})", style="bold red"), title_justify="left")
    for column in ("File", "Stage", "Entry point", "Reason"):
        table.add_column(Text(column))
    for e in report.errors:
        entry = " ".join(p for p in (e.vuln_type, e.entry_function) if p)
        table.add_row(_t(e.file or "-"), _t(e.stage), _t(entry or "-"), _t(e.reason))
    return table


def _skipped_table(report: Report) -> Table:
    table = Table(title=Text(f"Skipped files ({len(report.skipped)})", style="bold yellow"), title_justify="left")
    table.add_column(Text("File"))
    table.add_column(Text("Reason"))
    for s in report.skipped:
        table.add_row(_t(s.get("path", "")), _t(s.get("reason", "")))
    return table


def _cache_line(report: Report) -> str:
    cache = report.cache
    assert cache is not None
    saved = "" if cache.saved_usd is None else f", ${cache.saved_usd:.4f}"
    return (
        f"{cache.hits} hits, {cache.misses} misses; saved {cache.saved_input_tokens:,} input + "
        f"{cache.saved_output_tokens:,} output tokens{saved}"
    )


def _incremental_cell(report: Report, shown: int = 10) -> Text:
    """Counts, then why each file was re-analysed, skipped or dropped (paths are untrusted text)."""
    summary = report.incremental
    assert summary is not None
    counts = [f"{len(summary.reused)} reused", f"{len(summary.reanalysed)} re-analysed"]
    counts += [f"{len(summary.not_analysed)} not analysed"] if summary.not_analysed else []
    counts += [f"{len(summary.removed)} removed"] if summary.removed else []
    lines = [", ".join(counts) + f" entry-point files; baseline: {summary.baseline}"]
    notes = summary.reanalysed + summary.not_analysed + summary.removed
    lines += [f"{n.file}: {n.reason}" for n in notes[:shown]]
    lines += [f"... and {len(notes) - shown} more (see the JSON report)"] if len(notes) > shown else []
    lines += summary.notes
    return _t("\n".join(lines))


def _suppressed_table(report: Report) -> Table:
    table = Table(title=Text(f"Suppressed findings ({len(report.suppressed)})", style="bold"), title_justify="left")
    for column in ("Type", "Location", "Entry point", "By", "Reason", "Fingerprint"):
        table.add_column(Text(column), overflow="fold")
    for x in report.suppressed:
        f = x.finding
        by = f"{x.where}" + (f" ({x.status})" if x.status else "")
        cells = (f.type.value, f"{f.file}:{f.start_line}", f.entry_function, by, x.reason or "-", f.fingerprint)
        table.add_row(*(_t(c) for c in cells))
    return table


def _unused_table(report: Report) -> Table:
    unused = report.unused_suppressions or []
    table = Table(title=Text(f"Unused suppressions ({len(unused)})", style="bold yellow"), title_justify="left")
    table.add_column(Text("Location"))
    table.add_column(Text("Comment"), overflow="fold")
    for u in unused:
        table.add_row(_t(f"{u.file}:{u.line}"), _t(u.text))
    return table


def _summary_table(report: Report) -> Table:
    usage = report.usage
    by_type = ", ".join(f"{t} {n}" for t, n in report.findings_by_type().items()) or "none"
    cost = "unknown price" if report.cost_usd is None else f"${report.cost_usd:.4f}"
    status = (
        Text("complete", style="green")
        if report.complete
        else Text(f"INCOMPLETE ({report.stop_reason or 'stopped'})", style="bold red")
    )
    title = Text.assemble("Summary ", ("(", "dim"), status, (")", "dim"))
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column(Text("Item"), style="bold")
    table.add_column(Text("Value"))
    rows = [
        ("Entry points analysed", Text(f"{report.entry_points_analysed} of {report.entry_points_total}")),
        ("Findings", Text(f"{len(report.findings)} ({by_type})")),
        ("Below minimum confidence", Text(str(report.below_threshold))),
        ("Errors", Text(str(len(report.errors)), style="red" if report.errors else "")),
        ("Skipped files", Text(str(len(report.skipped)))),
        ("LLM calls", Text(str(usage.calls))),
        ("Recovered faults", Text(report.faults.describe())),
        (
            "Tokens",
            Text(
                f"{usage.input_tokens:,} input, {usage.output_tokens:,} output, "
                f"{usage.cached_input_tokens:,} cached input"
                + (f" ({usage.cache_write_input_tokens:,} written to the cache)" if usage.cache_write_input_tokens else "")
            ),
        ),
        ("Estimated cost", Text(cost)),
    ]
    if report.suppressed:
        inline = sum(1 for x in report.suppressed if x.source == "inline")
        rows.append(("Suppressed", Text(f"{len(report.suppressed)} ({inline} inline, "
                                        f"{len(report.suppressed) - inline} triage file; --show-suppressed lists them)")))
    if report.baseline is not None:
        rows.append(("Baseline", _t(f"{report.baseline.new} new, {len(report.baseline.unchanged)} unchanged (not "
                                    f"reported), {len(report.baseline.absent)} gone since {report.baseline.file}")))
    if report.cache is not None:
        rows.append(("Answer cache", Text(_cache_line(report))))
    if report.incremental is not None:
        rows.append(("Incremental", _incremental_cell(report)))
    rows.append(("Status", status))
    for label, value in rows:
        table.add_row(Text(label), value)
    return table
