"""Whether a module is test code, where handler-shaped helpers are not entry points."""

from __future__ import annotations

from ..index import ModuleIndex

_TEST_DIRS = frozenset({"test", "tests", "testing"})


def is_test_module(module: ModuleIndex) -> bool:
    parts = module.path.split("/")
    name = parts[-1]
    return (
        any(part in _TEST_DIRS for part in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )
