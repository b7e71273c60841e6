"""The scan's trees are kept out of garbage collections only while the scan runs; garbage is still collected."""

from __future__ import annotations

import gc
import weakref

from vulnhuntr.heap import long_lived, settle


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_frozen_inside_and_handed_back_after_the_outermost_block() -> None:
    before = gc.get_freeze_count()
    assert before == 0
    settle()  # outside a block: does nothing
    assert gc.get_freeze_count() == 0
    kept = [Node() for _ in range(100)]
    with long_lived():
        assert gc.get_freeze_count() >= len(kept)
        with long_lived():
            more = [Node() for _ in range(100)]
            settle()
            assert gc.get_freeze_count() >= len(kept) + len(more)
        assert gc.get_freeze_count() > 0  # the inner block leaves the outer one's objects frozen
    assert gc.get_freeze_count() == 0


def test_new_garbage_is_still_collected_inside() -> None:
    with long_lived():
        ref = weakref.ref(Node())
        gc.collect()
        assert ref() is None


def test_handed_back_when_the_block_fails() -> None:
    try:
        with long_lived():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.get_freeze_count() == 0
