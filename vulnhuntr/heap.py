"""Keep the garbage collector off the repository's syntax trees while a scan works on them.

A scan holds hundreds of thousands of AST nodes and index records for its whole run.
Every full collection walks all of them again, though none is garbage: on a
1,400-file application that was more than half the static pass. ``gc.freeze``
moves what exists into a generation the collector skips; objects made later are
collected as usual, and leaving the outermost block hands everything back.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0


@contextmanager
def long_lived() -> Iterator[None]:
    """Within the block, what already exists (and what :func:`settle` is called on) is not rescanned."""
    global _depth
    with _lock:
        _depth += 1
        gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.unfreeze()


def settle() -> None:
    """Inside :func:`long_lived`, exempt what was built since (one file's tree) from later collections."""
    with _lock:
        if _depth:
            gc.freeze()


@contextmanager
def no_collections() -> Iterator[None]:
    """No garbage collection within the block, for building what holds no reference cycles (a file's
    tree and records: a dropped tree is freed at once), which every collection would walk again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
