"""``vulnhuntr cache stats|clear``: look after the persistent store without scanning anything."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .store import Store, StoreStats


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vulnhuntr cache",
        description="Inspect or clear the persistent store of LLM answers, per-file indexes and run state.",
    )
    cache_dir_help = "the store's folder (default: the user cache directory)"
    parser.add_argument("--cache-dir", metavar="DIR", help=cache_dir_help)
    commands = parser.add_subparsers(dest="command", required=True)
    stats = commands.add_parser("stats", help="entries by kind, size on disk, and what the last run saved")
    clear = commands.add_parser("clear", help="remove entries (all of them, or only old ones)")
    for command in (stats, clear):  # before or after the command: `cache stats --cache-dir D` works too
        command.add_argument("--cache-dir", metavar="DIR", help=cache_dir_help, default=argparse.SUPPRESS)
    clear.add_argument("--older-than", type=float, metavar="DAYS", help="only entries older than DAYS")
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    store = Store.open(Path(args.cache_dir).expanduser() if args.cache_dir else None)
    console = Console(highlight=False)
    try:
        if args.command == "stats":
            print_stats(store.stats(), console)
        else:
            removed = store.clear(args.older_than)
            scope = f" older than {args.older_than:g} days" if args.older_than is not None else ""
            console.print(Text(f"removed {removed} entries{scope} from {store.path}"))
    finally:
        store.close()
    return 0 if store.disabled_reason is None else 2


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
