"""Progress of a scan on the console: a rich bar on a terminal, periodic plain lines otherwise, or nothing.

Output goes to stderr so stdout stays clean for reports piped elsewhere.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichBar, TextColumn, TimeElapsedColumn

from ..analysis.progress import NullProgress, Progress
from ..findings import Usage


def _stats(usage: Usage, spent: float) -> str:
    return f"{usage.calls} calls, {usage.input_tokens + usage.output_tokens:,} tokens, ${spent:.4f}"


class BarProgress:
    """A live bar on a terminal: entry-point files done/total, calls, tokens and cost so far."""

    def __init__(self, console: Console) -> None:
        self._bar = RichBar(
            TextColumn("analysing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._bar.add_task("scan", total=0, stats="")

    def start(self, total_files: int) -> None:
        self._bar.update(self._task, total=total_files)
        self._bar.start()

    def file_done(self) -> None:
        self._bar.advance(self._task)

    def call_done(self, usage: Usage, spent: float) -> None:
        self._bar.update(self._task, stats=_stats(usage, spent))

    def finish(self) -> None:
        self._bar.stop()


class LineProgress:
    """Plain lines at most every *interval* seconds, for CI logs and pipes."""

    def __init__(self, console: Console, interval: float = 10.0) -> None:
        self._console = console
        self._interval = interval
        self._total = 0
        self._done = 0
        self._last = 0.0
        self._stats = ""

    def start(self, total_files: int) -> None:
        self._total = total_files
        self._console.print(f"analysing {total_files} entry-point files", markup=False, highlight=False)
        self._last = time.monotonic()

    def file_done(self) -> None:
        self._done += 1
        self._maybe_print()

    def call_done(self, usage: Usage, spent: float) -> None:
        self._stats = _stats(usage, spent)
        self._maybe_print()

    def _maybe_print(self) -> None:
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            self._print()

    def _print(self) -> None:
        self._console.print(f"progress: {self._done}/{self._total} files, {self._stats}", markup=False, highlight=False)

    def finish(self) -> None:
        self._print()


def progress_for(console: Console, quiet: bool) -> Progress:
    if quiet:
        return NullProgress()
    return BarProgress(console) if console.is_terminal else LineProgress(console)
