"""Entry points found in the example apps match what their ``expected.yaml`` lists."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vulnhuntr.repo.entrypoints import find_entry_points
from vulnhuntr.repo.index import build_index
from vulnhuntr.repo.resolve import Resolver

from example_apps import STATIC_APPS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ALL_APPS = sorted(p.parent for p in EXAMPLES.glob("*/expected.yaml")) if EXAMPLES.is_dir() else []
APPS = [app for app in ALL_APPS if app.name in STATIC_APPS]


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="examples/ folder not present")
def test_every_example_app_has_an_expected_yaml() -> None:
    apps = {p.name for p in EXAMPLES.iterdir() if p.is_dir() and any(p.rglob("*.py"))}
    assert apps == {p.name for p in ALL_APPS}


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="examples/ folder not present")
@pytest.mark.parametrize("app", APPS, ids=lambda p: p.name)
def test_example_entry_points_match_expected(app: Path) -> None:
    expected = yaml.safe_load((app / "expected.yaml").read_text(encoding="utf-8"))["entry_points"]
    files = sorted(p.relative_to(app).as_posix() for p in app.rglob("*.py"))
    index = build_index(app, files)
    found = find_entry_points(index, Resolver(index))

    assert {(e.file, e.function, e.line) for e in found} == {(e["file"], e["function"], e["line"]) for e in expected}
    by_key = {(e.file, e.function): e for e in found}
    for entry in expected:
        actual = by_key[(entry["file"], entry["function"])]
        # "*" in expected.yaml: serves every path (hooks, middleware, http.server); the detectors give those no route
        assert actual.route == (None if entry["route"] == "*" else entry["route"]), entry
        assert set(actual.methods) <= set(entry["methods"]), entry  # never contradicts; may not know (Django functions)
