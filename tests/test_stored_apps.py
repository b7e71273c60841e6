"""Stored XSS pairs a write with a read only inside one application: modules connected by the project's imports."""

from __future__ import annotations

from pathlib import Path

from conftest import write_tree
from vulnhuntr.config import load_settings
from vulnhuntr.findings import VulnType
from vulnhuntr.repo.applications import Applications
from vulnhuntr.repo.map import RepositoryMap, map_repository
from vulnhuntr.static import run_static

WRITER = {  # app A: stores a comment's body from the form, never prints it
    "desk/__init__.py": "",
    "desk/db.py": """
        import sqlite3

        def add_comment(body):
            sqlite3.connect("a.db").execute("INSERT INTO comments (body) VALUES (?)", (body,))
        """,
    "desk/views.py": """
        from flask import Blueprint, request
        from . import db

        bp = Blueprint("desk", __name__)

        @bp.post("/comments")
        def comment():
            db.add_comment(request.form["body"])
            return "ok"
        """,
}
READER = {  # app B: prints a same-named field of its own comments raw, never writes one
    "forum/__init__.py": "",
    "forum/store.py": """
        import sqlite3

        def comments():
            return sqlite3.connect("b.db").execute("SELECT body FROM comments").fetchall()
        """,
    "forum/pages.py": """
        from flask import Blueprint, render_template
        from .store import comments

        bp = Blueprint("forum", __name__, template_folder="templates")

        @bp.get("/")
        def board():
            return render_template("board.html", comments=comments())
        """,
    "forum/templates/board.html": "{% for c in comments %}\n<p>{{ c.body|safe }}</p>\n{% endfor %}\n",
}
BOTH = """
    from desk.views import bp as desk
    from forum.pages import bp as forum
    """


def mapped(root: Path, files: dict[str, str]) -> RepositoryMap:
    write_tree(root, files)
    return map_repository(load_settings({"root": str(root), "llm": "none"}))


def stored(root: Path, files: dict[str, str]) -> set[tuple[str, str, int]]:
    """(writing entry point, template, line) of every stored-XSS finding or candidate."""
    result = run_static(mapped(root, files))
    found = {(f.entry_function, f.file, f.start_line) for f in result.findings
             if f.type is VulnType.XSS and any("stored as" in s.description for s in f.path)}
    for candidates in result.candidates.values():
        found |= {(c.entry_function, c.sink_file, c.sink_line) for c in candidates
                  if c.vuln_type is VulnType.XSS and any("stored as" in s.description for s in c.path)}
    return found


def test_a_write_in_one_app_is_not_linked_to_a_template_read_in_another(tmp_path: Path) -> None:
    assert stored(tmp_path, {**WRITER, **READER}) == set()


def test_the_same_modules_connected_by_an_import_still_link(tmp_path: Path) -> None:
    assert stored(tmp_path, {**WRITER, **READER, "main.py": BOTH}) == {("comment", "forum/templates/board.html", 2)}


def test_a_shared_module_joins_the_apps_too(tmp_path: Path) -> None:
    shared = {"forum/store.py": """
        import sqlite3
        from desk import db

        def comments():
            return sqlite3.connect("b.db").execute("SELECT body FROM comments").fetchall()
        """}
    assert stored(tmp_path, {**WRITER, **READER, **shared}) == {("comment", "forum/templates/board.html", 2)}


def test_applications_are_import_components_relative_and_transitive(tmp_path: Path) -> None:
    apps = Applications(mapped(tmp_path, {**WRITER, **READER, "tools/run.py": "import os\n"}).index)
    assert apps.same("desk/views.py", "desk/db.py")  # ``from . import db``
    assert apps.same("forum/pages.py", "forum/store.py")  # ``from .store import comments``
    assert apps.same("desk/db.py", "desk/__init__.py")  # both imported by desk/views.py
    assert not apps.same("desk/views.py", "forum/pages.py")
    assert not apps.same("tools/run.py", "desk/views.py")  # an outside import joins nothing
    joined = Applications(mapped(tmp_path, {"main.py": BOTH}).index)
    assert joined.same("desk/db.py", "forum/store.py")


def test_writes_kept_per_field_are_counted_per_app(tmp_path: Path) -> None:
    """Six writers of ``body`` in one app leave room for another app's own writer of ``body``."""
    handlers = "".join(
        f'\n@bp.post("/c{n}")\ndef comment{n}():\n    db.add_comment(request.form["body"])\n    return "ok"\n'
        for n in range(6)
    )
    crowded = {**WRITER, "desk/views.py": "from flask import Blueprint, request\nfrom . import db\n\n"
               'bp = Blueprint("desk", __name__)\n' + handlers}
    own_writer = {"forum/post.py": """
        import sqlite3
        from flask import Blueprint, request
        from . import store

        bp = Blueprint("post", __name__)

        @bp.post("/post")
        def post():
            sqlite3.connect("b.db").execute("INSERT INTO comments (body) VALUES (?)", (request.form["body"],))
            return "ok"
        """}
    assert stored(tmp_path, {**crowded, **READER, **own_writer}) == {("post", "forum/templates/board.html", 2)}
