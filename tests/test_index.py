from __future__ import annotations

from pathlib import Path

from vulnhuntr.repo.index import ImportRecord, ModuleIndex, build_index, index_file, module_name
from vulnhuntr.repo.skipped import SkippedFile


def test_module_names_follow_packages() -> None:
    assert module_name("pkg/helpers.py") == "pkg.helpers"
    assert module_name("pkg/__init__.py") == "pkg"
    assert module_name("app.py") == "app"


def test_definitions_with_spans_decorators_and_values(make_index) -> None:
    index = make_index(
        {
            "app.py": '''
            from flask import Flask
            app = Flask(__name__)
            LIMIT: int = 10

            @app.route("/x")
            def view():
                def inner():
                    return 1
                return inner()

            class Store(Base):
                kind = "notes"
                async def read(self, name):
                    return name
            '''
        }
    )
    module = index.modules["app.py"]
    found = {d.qualname: d for d in module.definitions}
    assert found["app"].kind == "variable" and found["app"].value == "Flask"
    assert found["LIMIT"].kind == "variable" and found["LIMIT"].value is None
    view = found["view"]
    assert (view.kind, view.start_line, view.line, view.end_line) == ("function", 5, 6, 9)
    assert view.decorators == ("app.route('/x')",)
    assert found["view.inner"].kind == "function"
    assert found["Store"].bases == ("Base",)
    assert found["Store.kind"].kind == "variable"
    assert found["Store.read"].kind == "method" and found["Store.read"].is_async
    assert module.sha256 and module.parser == "ast" and module.line_count == 14


def test_imports_absolute_relative_aliased_star(make_index) -> None:
    index = make_index(
        {
            "pkg/__init__.py": "from .store import Store as S\nfrom .util import *\n",
            "pkg/sub/mod.py": "import os.path\nimport numpy as np\nfrom .. import util\nfrom ..store import Store\n",
            "pkg/store.py": "",
            "pkg/util.py": "",
        }
    )
    init = index.modules["pkg/__init__.py"].imports
    assert init[0] == ImportRecord("pkg.store", "Store", "S", 1, "<module>", 1)
    assert init[1].name == "*" and init[1].module == "pkg.util"
    mod = {r.alias: r for r in index.modules["pkg/sub/mod.py"].imports}
    assert mod["os"].target == "os"
    assert mod["np"].target == "numpy"
    assert (mod["util"].module, mod["util"].name) == ("pkg", "util")
    assert mod["Store"].target == "pkg.store.Store"


def test_calls_and_instance_attributes(make_index) -> None:
    index = make_index(
        {
            "svc.py": '''
            class Service:
                def __init__(self, repo: "Repo", cache: Optional[Cache] = None):
                    self.store = storage.NoteStore(root)
                    self.repo = repo
                    self.cache = cache

                def run(self, name):
                    return self.store.read(name).strip()
            '''
        }
    )
    module = index.modules["svc.py"]
    calls = {(c.callee, c.scope) for c in module.calls}
    assert ("storage.NoteStore", "Service.__init__") in calls
    assert ("self.store.read", "Service.run") in calls
    assert ("self.store.read(name).strip", "Service.run") in calls
    attributes = {a.attribute: a.value for a in module.attributes}
    assert attributes == {"store": "storage.NoteStore", "repo": "Repo", "cache": "Cache"}


def test_newer_syntax_is_indexed_with_exact_lines(tmp_path: Path) -> None:
    source = (
        'import os\n'
        'x = f"{d["a"]:>{w}}"\n'
        'type Alias[T] = list[T]\n'
        'def generic[T](a: T) -> T:\n'
        '    return a\n'
        'def read(name):\n'
        '    return open(f"{os.environ["ROOT"]}/{name}").read()\n'
    )
    (tmp_path / "new.py").write_text(source)
    module = index_file(tmp_path, "new.py")
    assert isinstance(module, ModuleIndex)
    assert module.parser == "tree-sitter"
    found = {d.qualname: (d.start_line, d.end_line) for d in module.definitions}
    assert found["generic"] == (4, 5) and found["read"] == (6, 7) and found["Alias"] == (3, 3)
    assert ("open", 7) in {(c.callee, c.line) for c in module.calls}


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "latin.py").write_bytes(b"name = '\xe9t\xe9'\n")
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    (tmp_path / "big.py").write_text("x = 1\n" * 1000)
    (tmp_path / "ok.py").write_text("def f():\n    return 1\n")
    index = build_index(tmp_path, ["big.py", "broken.py", "latin.py", "missing.py", "ok.py"], max_bytes=1000)
    reasons = {s.path: s.reason for s in index.skipped}
    assert set(index.modules) == {"ok.py"}
    assert reasons["latin.py"].startswith("not UTF-8")
    assert reasons["broken.py"] == "syntax error at line 1: invalid syntax"
    assert reasons["big.py"].startswith("file too large: 6,000 bytes")
    assert reasons["missing.py"].startswith("unreadable")


def test_cache_round_trip(make_index) -> None:
    index = make_index({"a.py": "import os\nclass A(B):\n    def f(self):\n        self.x = C()\n        os.system('x')\n"})
    module = index.modules["a.py"]
    again = ModuleIndex.from_dict(module.to_dict(), module.source)
    assert again == module
    assert again.tree.body  # re-parsed on demand


def test_finds_modules_under_src_layout(make_index) -> None:
    index = make_index({"src/app/storage.py": "", "app2/storage.py": ""})
    assert index.find_module("app.storage").path == "src/app/storage.py"
    assert index.find_module("storage") is not None
    assert index.find_module("nope") is None
    assert isinstance(SkippedFile("a", "b"), SkippedFile)


def test_unchanged_files_come_from_the_store(tmp_path: Path, monkeypatch) -> None:
    from vulnhuntr.repo import index as index_module
    from vulnhuntr.repo.map import StoreIndexCache
    from vulnhuntr.store import Store

    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.py").write_text("import os\ndef f():\n    return os.getcwd()\n")
    (tmp_path / "repo" / "b.py").write_text("def g():\n    return 1\n")
    parsed: list[str] = []
    original = index_module._index_text
    monkeypatch.setattr(index_module, "_index_text", lambda rel, sha256, text: parsed.append(rel) or original(rel, sha256, text))
    store = Store.open(tmp_path / "store")
    cache = StoreIndexCache(store)
    first = build_index(tmp_path / "repo", ["a.py", "b.py"], cache=cache)
    (tmp_path / "repo" / "b.py").write_text("def g():\n    return 2\n")
    second = build_index(tmp_path / "repo", ["a.py", "b.py"], cache=cache)
    store.close()
    assert parsed == ["a.py", "b.py", "b.py"]  # a.py did not change: indexed once
    assert second.modules["a.py"] == first.modules["a.py"]
    assert second.modules["a.py"].tree.body  # the tree is still there when asked for
    assert second.modules["b.py"].sha256 != first.modules["b.py"].sha256
