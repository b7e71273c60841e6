"""Indexing keeps only the syntax trees a detector may walk; the others are parsed again once, on demand."""

from __future__ import annotations

from pathlib import Path

from vulnhuntr.config import load_settings
from vulnhuntr.repo import index as index_module
from vulnhuntr.repo.index import build_index
from vulnhuntr.repo.map import map_repository

WEB = 'from flask import Flask\napp = Flask(__name__)\n\n@app.route("/a")\ndef a():\n    return "a"\n'
UTIL = "def helper(event, context):\n    return 1\n\ndef plain(x):\n    return x\n"
PLAIN = "import os\n\nclass Store:\n    def read(self, name):\n        return os.path.join('/data', name)\n"


def _repo(tmp_path: Path) -> Path:
    for name, text in {"web.py": WEB, "util.py": UTIL, "store.py": PLAIN}.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_only_the_trees_a_detector_may_walk_are_kept(tmp_path, monkeypatch) -> None:
    parsed: list[str] = []
    real = index_module.parse_source
    monkeypatch.setattr(index_module, "parse_source", lambda s, f="<unknown>": parsed.append(f) or real(s, f))
    repository = map_repository(load_settings({"root": str(_repo(tmp_path)), "llm": "none"}), None)
    held = {path for path, module in repository.index.modules.items() if "tree" in module.__dict__}
    assert held == {"web.py", "util.py"}  # a flask import; an (event, context) function
    assert sorted(e.function for e in repository.entry_points) == ["a", "helper"]
    assert sorted(parsed) == ["store.py", "util.py", "web.py"]  # each parsed once
    store = repository.index.modules["store.py"]
    assert store.tree is store.tree and parsed.count("store.py") == 2  # asked for: parsed again, once


def test_without_keep_no_tree_is_held(tmp_path) -> None:
    index = build_index(_repo(tmp_path), ["web.py", "store.py"])
    assert all("tree" not in m.__dict__ for m in index.modules.values())
    assert [d.parameters for d in index.modules["store.py"].definitions if d.kind == "method"] == [("self", "name")]


# which imported modules' trees are held (vulnhuntr.repo.keep) ------------------------------------------------
URLS = "from django.urls import path\nfrom app import views\n\nurlpatterns = [path('a/', views.a)]\n"
VIEWS = "from app.base import Base\n\nclass A(Base):\n    pass\n"
BASE = "from app import deep\n\nclass Base:\n    pass\n"
DEEP = "from app import deeper\n\nX = 1\n"
DEEPER = "Y = 2\n"
LONE = "Z = 3\n"


def _app(tmp_path: Path) -> list[str]:
    files = {"app/urls.py": URLS, "app/views.py": VIEWS, "app/base.py": BASE, "app/deep.py": DEEP,
             "app/deeper.py": DEEPER, "app/lone.py": LONE, "app/__init__.py": ""}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return sorted(files)


def _held(index: index_module.RepoIndex) -> set[str]:
    return {path for path, module in index.modules.items() if "tree" in module.__dict__}


def _is_urls(module: index_module.ModuleIndex) -> bool:
    return module.path == "app/urls.py"


def test_the_modules_a_kept_module_imports_keep_their_trees_a_few_imports_deep(tmp_path, monkeypatch) -> None:
    parsed: list[str] = []
    real = index_module.parse_source
    monkeypatch.setattr(index_module, "parse_source", lambda s, f="<unknown>": parsed.append(f) or real(s, f))
    files = _app(tmp_path)
    index = build_index(tmp_path, files, keep=_is_urls)
    # urls → views → base → deep: three imports from the root; deep's own import and the lone module are dropped.
    # base.py and deep.py sort before urls.py: still held (the window) when urls.py wants them.
    assert _held(index) == {"app/urls.py", "app/views.py", "app/base.py", "app/deep.py"}
    assert list(index.modules) == files  # listed in the given order, whatever order they were indexed in
    assert sorted(parsed) == files  # each parsed once


def test_a_wanted_module_indexed_before_its_importer_is_dropped_without_a_window(tmp_path) -> None:
    from vulnhuntr.repo import keep

    files = _app(tmp_path)
    keeper = keep.TreeKeeper(files, _is_urls, index_module.module_name, window_chars=0)
    order = list(keeper.order())
    index = build_index(tmp_path, files)
    for relpath in order:
        module = index_module.index_file(tmp_path, relpath, keep=lambda m: True)
        index.modules[relpath] = module
        keeper.indexed(module)
    keeper.finish()
    # base.py and deep.py came before urls.py; views.py, wanted before its turn, was indexed right after urls.py
    assert order.index("app/views.py") == order.index("app/urls.py") + 1
    assert _held(index) == {"app/urls.py", "app/views.py"}
    assert set(order) == set(files) and len(order) == len(files)


def test_trees_held_for_an_import_stay_within_the_budget(tmp_path) -> None:
    from vulnhuntr.repo import keep

    files = _app(tmp_path)
    keeper = keep.TreeKeeper(files, _is_urls, index_module.module_name, budget_chars=len(VIEWS))
    modules = {}
    for relpath in keeper.order():
        modules[relpath] = module = index_module.index_file(tmp_path, relpath, keep=lambda m: True)
        keeper.indexed(module)
    keeper.finish()
    assert {path for path, module in modules.items() if "tree" in module.__dict__} == {"app/urls.py", "app/views.py"}


def test_indexes_from_the_cache_have_no_tree_to_keep(tmp_path) -> None:
    class Cache:
        def __init__(self) -> None:
            self.data: dict[tuple[str, str], dict] = {}

        def get(self, sha256: str, relpath: str) -> dict | None:
            return self.data.get((sha256, relpath))

        def put(self, sha256: str, relpath: str, data: dict) -> None:
            self.data[(sha256, relpath)] = data

        def flush(self) -> None:
            pass

    cache = Cache()
    files = _app(tmp_path)
    first = build_index(tmp_path, files, cache=cache, keep=_is_urls)
    second = build_index(tmp_path, files, cache=cache, keep=_is_urls)
    assert _held(first) and not _held(second)
    assert [m.to_dict() for m in first.modules.values()] == [m.to_dict() for m in second.modules.values()]
