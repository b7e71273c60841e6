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
