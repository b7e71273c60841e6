"""What the call gate reports progress to: files done, calls and spend so far.

The analysis only knows this interface; the console renderings (a live bar, periodic
lines) live in :mod:`vulnhuntr.report.progress_console`.
"""

from __future__ import annotations

from typing import Protocol

from ..findings import Usage


class Progress(Protocol):
    def start(self, total_files: int) -> None: ...

    def file_done(self) -> None: ...

    def call_done(self, usage: Usage, spent: float) -> None: ...

    def finish(self) -> None: ...


class NullProgress:
    """``--quiet``, and library use."""

    def start(self, total_files: int) -> None:
        pass

    def file_done(self) -> None:
        pass

    def call_done(self, usage: Usage, spent: float) -> None:
        pass

    def finish(self) -> None:
        pass
