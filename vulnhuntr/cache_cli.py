"""``vulnhuntr cache stats|clear``: look after the persistent store without scanning anything."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from .report.cache_console import print_cleared, print_stats
from .store import Store


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
            print_cleared(store.clear(args.older_than), args.older_than, store.path, console)
    finally:
        store.close()
    return 0 if store.disabled_reason is None else 2
