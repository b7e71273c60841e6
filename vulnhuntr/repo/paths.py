"""Paths taken from the scanned code or a spec: kept inside the repository root, compared by folder.

The scanned code is untrusted, so every path it names (a template folder, a spec file,
a file a finding points into) goes through these before anything is read.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

_DRIVE = re.compile(r"^[A-Za-z]:")


def inside_root(relative: str) -> str | None:
    """*relative* (POSIX, maybe with ``..``) normalised, ``""`` for the root itself, None when it leaves the root."""
    if relative.startswith("/") or _DRIVE.match(relative):
        return None
    normal = posixpath.normpath(relative) if relative else "."
    if normal == ".." or normal.startswith("../"):
        return None
    return "" if normal == "." else normal


def resolves_inside(root: str | Path, path: str | Path) -> bool:
    """Whether *path*, symlinks followed, is *root* or lies under it."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def shared_dirs(a: str, b: str) -> int:
    """How many leading folders two relative POSIX file paths have in common (nearest wins a tie)."""
    count = 0
    for x, y in zip(a.split("/")[:-1], b.split("/")[:-1]):
        if x != y:
            break
        count += 1
    return count
