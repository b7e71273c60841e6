"""What a scan would do, printed without any LLM: the attack surface and the plan.

``--list-entrypoints`` prints the entry points found (:func:`print_entry_points`);
``--dry-run`` prints the files that would be analysed, what an incremental run
would re-use, and the range of calls, tokens and cost (:func:`print_plan`).
Every cell that comes from the scanned repository is plain text, never markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..analysis.plan import Plan
from ..findings import IncrementalSummary
from ..repo.map import RepositoryMap
from .console import clean


def print_plan(plan: Plan, model: str | None, console: Console) -> None:
    """The files of the plan, the unreached sink modules after them, and the least, typical and most a run costs."""
    table = Table(title=f"Plan: {len(plan.files)} entry-point files, model {model or '(none)'}")
    for column in ("file", "entry points", "code tokens"):
        table.add_column(column)
    for file, entries, tokens in plan.files:
        table.add_row(Text(clean(file)), str(entries), f"{tokens:,}")
    console.print(table)
    print_unreached_plan(plan, console)
    for file, function, reason in plan.left_out:  # no initial pass: say what and why
        console.print(Text(clean(f"left out {file}:{function}: {reason} (--all-entrypoints analyses it)")))
    for label, estimate in (("least", plan.low), ("typical", plan.typical), ("most", plan.high)):
        dollars = f"${estimate.cost_usd:.2f}" if estimate.cost_usd is not None else "unknown price"
        console.print(
            Text(f"{label:>8}: {estimate.calls:,} calls, {estimate.input_tokens:,} input + "
                 f"{estimate.output_tokens:,} output tokens, {dollars}")
        )


def print_reuse(summary: IncrementalSummary, console: Console) -> None:
    """An incremental dry run: which files would be re-analysed and why, and how many re-used."""
    for note in summary.reanalysed:
        console.print(Text(clean(f"re-analyse {note.file}: {note.reason}")))
    console.print(Text(f"{len(summary.reused)} entry-point files would be reused from {summary.baseline}"))


def print_unreached_plan(plan: Plan, console: Console) -> None:
    """Modules with sinks no entry point reaches: each gets a chain after the entry-point files (counted above)."""
    if plan.unreached:
        table = Table(title=f"{len(plan.unreached)} unreached sink modules (no entry point reaches them), "
                            "each analysed after the entry-point files")
        for column in ("module", "sink calls", "code tokens"):
            table.add_column(column)
        for file, sinks, tokens in plan.unreached:
            table.add_row(Text(clean(file)), str(sinks), f"{tokens:,}")
        console.print(table)
    if plan.unreached_left_out:
        console.print(Text(clean(f"{len(plan.unreached_left_out)} more unreached sink modules left out by "
                                 f"analysis.unreached_modules: {', '.join(plan.unreached_left_out)}")))


def print_entry_points(result: RepositoryMap, console: Console) -> None:
    """A table of the attack surface; every cell is plain text, never markup."""
    table = Table(title=f"{len(result.entry_points)} entry points in {escape(clean(str(result.root)))}")
    for column in ("file", "line", "function", "framework", "kind", "route", "methods"):
        table.add_column(column, overflow="fold")
    for entry in sorted((e for e in result.entry_points if result.in_scope(e.file)), key=lambda e: (e.file, e.line)):
        cells = (
            entry.file,
            str(entry.line),
            entry.function,
            entry.framework,
            entry.kind,
            entry.route or "",
            ",".join(entry.methods),
        )
        table.add_row(*(Text(clean(cell)) for cell in cells))
    console.print(table)
    console.print(Text(f"{len(result.files)} Python files scanned, {len(result.skipped)} skipped"))


def print_skipped(result: RepositoryMap, console: Console) -> None:
    for skipped in result.skipped:
        console.print(Text(clean(f"skipped {skipped.path}: {skipped.reason}")))
