from __future__ import annotations

import pytest

from vulnhuntr.repo.resolve import Resolver

REPO = {
    "pkg/__init__.py": "from .store import NoteStore as Store\nfrom .util import *\n",
    "pkg/util.py": "def slug(text):\n    return text.lower()\n",
    "pkg/store.py": '''
        import os
        from .db import Database

        class Base:
            def read(self, path):
                return open(path).read()

        class NoteStore(Base):
            def __init__(self, root, db: "Database"):
                self.root = root
                self.db = db
                self.engine = Database(root)

            def write(self, name, data):
                self.db.execute("insert")
                return self.read(os.path.join(self.root, name))
        ''',
    "pkg/db.py": '''
        class Database:
            def execute(self, sql):
                return sql
        ''',
    "pkg/app.py": '''
        from flask import Flask, request
        from . import store as st
        from .store import NoteStore
        from pkg import Store as Reexported
        import pkg.util
        from .helpers import fetch as get_url

        app = Flask(__name__)
        notes = NoteStore("/tmp", None)

        @app.route("/x")
        def view():
            from os import path as p
            return notes.read(request.args["p"])
        ''',
    "pkg/helpers.py": "import requests\n\ndef fetch(url):\n    return requests.get(url)\n",
}


@pytest.fixture
def resolver(make_index) -> Resolver:
    return Resolver(make_index(REPO))


@pytest.mark.parametrize(
    ("name", "file", "line", "expected"),
    [
        ("notes.read", "pkg/app.py", 14, "pkg.store.Base.read"),  # instance of a repo class, inherited method
        ("st.NoteStore.write", "pkg/app.py", 14, "pkg.store.NoteStore.write"),  # module alias
        ("NoteStore", "pkg/app.py", None, "pkg.store.NoteStore"),  # relative from-import
        ("Reexported.write", "pkg/app.py", None, "pkg.store.NoteStore.write"),  # __init__ re-export with alias
        ("pkg.util.slug", "pkg/app.py", None, "pkg.util.slug"),  # dotted absolute import
        ("get_url", "pkg/app.py", None, "pkg.helpers.fetch"),  # aliased function
        ("self.write", "pkg/store.py", 16, "pkg.store.NoteStore.write"),
        ("self.read", "pkg/store.py", 16, "pkg.store.Base.read"),  # method of a base class
        ("self.db.execute", "pkg/store.py", 15, "pkg.db.Database.execute"),  # attribute typed by annotation
        ("self.engine.execute", "pkg/store.py", 15, "pkg.db.Database.execute"),  # typed by constructor
        ("Store.slug", None, None, None),
        ("NoteStore.read", None, None, "pkg.store.Base.read"),  # no file: search, then follow bases
        ("pkg.helpers.fetch", None, None, "pkg.helpers.fetch"),  # module path
        ("helpers.fetch", None, None, "pkg.helpers.fetch"),  # partial module path
        ("slug", "pkg/__init__.py", None, "pkg.util.slug"),  # star import
        ("`NoteStore.write()`", None, None, "pkg.store.NoteStore.write"),  # as an LLM writes it
    ],
)
def test_resolves_repo_definitions(resolver: Resolver, name, file, line, expected) -> None:
    resolution = resolver.resolve(name, file, line)
    assert (resolution.symbol.qualified_name if resolution.symbol else None) == expected


def test_source_and_span_come_back(resolver: Resolver) -> None:
    symbol = resolver.resolve("get_url", "pkg/app.py").symbol
    assert symbol is not None
    assert (symbol.file, symbol.start_line, symbol.end_line) == ("pkg/helpers.py", 3, 4)
    assert symbol.source == "def fetch(url):\n    return requests.get(url)"


@pytest.mark.parametrize(
    ("name", "file", "external"),
    [
        ("request.args.get", "pkg/app.py", "flask.request.args.get"),
        ("p.join", "pkg/app.py", "os.path.join"),
        ("os.path.join", "pkg/store.py", "os.path.join"),
        ("open", "pkg/store.py", "builtins.open"),
        ("requests.get", "pkg/helpers.py", "requests.get"),
    ],
)
def test_outside_names_say_not_in_repo(resolver: Resolver, name, file, external) -> None:
    resolution = resolver.resolve(name, file, 14)
    assert not resolution.found
    assert resolution.external == external
    assert resolution.reason.startswith("not in repo: " + external.split(".")[0])


def test_unknown_name_is_not_found(resolver: Resolver) -> None:
    resolution = resolver.resolve("no_such_thing", "pkg/app.py")
    assert not resolution.found and resolution.external is None
    assert resolution.reason == "not found in the repository"


def test_origins_for_entry_point_detection(resolver: Resolver) -> None:
    assert resolver.instance_type("app", "pkg/app.py") == "flask.Flask"
    assert resolver.qualify("app.route", "pkg/app.py") == "flask.Flask.route"
    assert resolver.instance_type("notes", "pkg/app.py") == "pkg.store.NoteStore"
    module = resolver.index.modules["pkg/store.py"]
    assert resolver.class_bases(module, module.definitions_by_name["NoteStore"]) == ["pkg.store.Base"]


def test_answers_are_memoised(resolver: Resolver) -> None:
    first = resolver.resolve("notes.read", "pkg/app.py", 14)
    assert resolver.resolve("notes.read", "pkg/app.py", 14) is first


def test_import_cycles_terminate(make_index) -> None:
    resolver = Resolver(make_index({"a.py": "from b import x\n", "b.py": "from a import x\n"}))
    assert not resolver.resolve("x", "a.py").found
