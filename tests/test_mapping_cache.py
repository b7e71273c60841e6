"""A warm map (the store filled by an earlier run) gives the cold map's result and parses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_helpers import EXAMPLES
from vulnhuntr.config import load_settings
from vulnhuntr.repo import entrycache, index as index_module
from vulnhuntr.repo.map import PARSER, map_repository
from vulnhuntr.store import Store


def _map(root: Path, store: Store | None):
    return map_repository(load_settings({"root": str(root), "llm": "none"}), store)


def _result(repository) -> tuple[list, list]:
    return [e.to_dict() for e in repository.entry_points], repository.skipped


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The files parsed while the test runs."""
    seen: list[str] = []
    real = index_module.parse_source

    def counting(source: str, filename: str = "<unknown>"):
        seen.append(filename)
        return real(source, filename)

    monkeypatch.setattr(index_module, "parse_source", counting)
    return seen


def test_a_warm_map_finds_what_the_cold_one_found_without_parsing(tmp_path, parses) -> None:
    store = Store.open(tmp_path / "store")
    uncached = _map(EXAMPLES / "django_shop", None)
    cold = _map(EXAMPLES / "django_shop", store)
    assert parses and cold.entry_points
    parses.clear()
    warm = _map(EXAMPLES / "django_shop", store)
    assert _result(warm) == _result(cold) == _result(uncached)
    assert parses == []


def test_a_changed_file_is_detected_again(tmp_path, parses) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "web.py").write_text('from flask import Flask\napp = Flask(__name__)\n\n@app.route("/a")\ndef a():\n    return "a"\n')
    (app / "util.py").write_text("def helper():\n    return 1\n")
    store = Store.open(tmp_path / "store")
    assert [e.function for e in _map(app, store).entry_points] == ["a"]
    (app / "web.py").write_text((app / "web.py").read_text() + '\n@app.route("/b")\ndef b():\n    return "b"\n')
    parses.clear()
    assert [e.function for e in _map(app, store).entry_points] == ["a", "b"]
    assert parses.count("web.py") == 1 and len(parses) == len(set(parses))  # each file parsed at most once


def test_results_that_depend_on_spec_files_are_not_cached(tmp_path) -> None:
    store = Store.open(tmp_path / "store")
    repository = _map(EXAMPLES / "connexion_inventory", store)
    assert any(e.framework == "connexion" for e in repository.entry_points)
    assert store.get_json("index", entrycache.cache_key(repository.index, PARSER)) is None


def test_a_damaged_entry_is_a_miss(tmp_path) -> None:
    store = Store.open(tmp_path / "store")
    cold = _map(EXAMPLES / "flask_notes", store)
    key = entrycache.cache_key(cold.index, PARSER)
    store.put_json("index", key, {"entry_points": [{"file": "x"}], "skipped": []})
    assert _result(_map(EXAMPLES / "flask_notes", store)) == _result(cold)


def test_the_key_covers_the_detectors_source() -> None:
    assert len(entrycache.detectors_digest()) == 64
    assert entrycache.detectors_digest() == entrycache.detectors_digest()


def test_a_damaged_file_index_is_indexed_again(tmp_path) -> None:
    from vulnhuntr.repo.index import build_index
    from vulnhuntr.repo.map import StoreIndexCache

    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    store = Store.open(tmp_path / "store")
    cold = build_index(tmp_path, ["a.py"], cache=StoreIndexCache(store))
    store.put_json("index", next(iter(_keys(store))), {"path": "a.py"})  # a row missing its records
    warm = build_index(tmp_path, ["a.py"], cache=StoreIndexCache(store))
    assert warm.modules["a.py"].definitions == cold.modules["a.py"].definitions and not warm.skipped


def _keys(store: Store) -> list[str]:
    return [row[0] for row in store._conn.execute("SELECT key FROM file_index")]  # type: ignore[union-attr]
