"""What ``vulnhuntr cache stats|clear`` print: the store's contents, its last run's savings, what was removed."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..store import StoreStats


def print_stats(stats: StoreStats, console: Console) -> None:
    table = Table(title=Text(f"vulnhuntr store: {stats.path}"), show_header=False)
    table.add_column("item", style="bold")
    table.add_column("value")
    for kind, count in stats.entries.items():
        table.add_row(Text(kind), Text(f"{count:,}"))
    table.add_row(Text("size on disk"), Text(f"{stats.size_bytes / 1024:,.1f} KiB"))
    run = stats.last_run
    if run is not None:
        rate = "n/a" if run.hit_rate is None else f"{run.hit_rate:.0%}"
        dollars = "unknown price" if run.saved_usd is None else f"${run.saved_usd:.4f}"
        table.add_row(Text("last run"), Text(f"{run.hits} hits, {run.misses} misses (hit rate {rate})"))
        table.add_row(
            Text("last run saved"),
            Text(f"{run.saved.input_tokens:,} input + {run.saved.output_tokens:,} output tokens, {dollars}"),
        )
    if stats.disabled_reason:
        table.add_row(Text("problem"), Text(stats.disabled_reason, style="red"))
    console.print(table)


def print_cleared(removed: int, older_than_days: float | None, path: Path, console: Console) -> None:
    scope = f" older than {older_than_days:g} days" if older_than_days is not None else ""
    console.print(Text(f"removed {removed} entries{scope} from {path}"))
