"""A file or directory the scan could not use, and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class SkippedFile:
    """A path (relative to the scan root, POSIX separators) left out of the scan with its reason.

    Skipped files are reported, never silently dropped: a security team must know
    which code was not looked at.
    """

    path: str
    reason: str
