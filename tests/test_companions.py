"""What comes with a definition shown: its class's head, its small project decorators, and forms a handler builds."""

from __future__ import annotations

from vulnhuntr.analysis.context import ContextBuilder
from vulnhuntr.config import PruningSettings
from vulnhuntr.analysis.companions import MAX_HEAD_TOKENS
from vulnhuntr.repo.class_head import class_head
from vulnhuntr.repo.entrypoints import find_entry_points
from vulnhuntr.repo.resolve import Resolver

REPO = {
    "app.py": '''
        from flask import Flask, request
        from .forms import CommentForm
        from .storage import store
        from .auth import owner_required

        app = Flask(__name__)


        @app.route("/notes/<name>")
        @owner_required
        def show(name):
            return store.read(name)


        @app.post("/comments")
        def comment():
            form = CommentForm()
            return form.body.data
        ''',
    "storage.py": '''
        import os
        from .registry import task


        class NoteStore:
            """Note bodies as files on disk."""

            kind = "disk"

            def __init__(self, root):
                self.root = root

            def read(self, name):
                return open(os.path.join(self.root, name)).read()

            @task("purge")
            def purge(self, name):
                os.remove(os.path.join(self.root, name))


        store = NoteStore("/srv/notes")
        ''',
    "registry.py": '''
        TASKS = {}


        def task(name):
            def register(func):
                TASKS[name] = func
                return func
            return register
        ''',
    "auth.py": '''
        from flask import abort, g


        def owner_required(view):
            def wrapper(*args, **kwargs):
                if g.user is None:
                    abort(403)
                return view(*args, **kwargs)
            return wrapper
        ''',
    "forms.py": '''
        from flask_wtf import FlaskForm
        from wtforms import TextAreaField
        from wtforms.validators import DataRequired, Length


        class CommentForm(FlaskForm):
            body = TextAreaField("Comment", validators=[DataRequired(), Length(max=500)])
        ''',
}


def builder(make_index) -> tuple[ContextBuilder, list]:
    index = make_index(REPO)
    resolver = Resolver(index)
    return ContextBuilder(index, resolver, PruningSettings()), find_entry_points(index, resolver)


def symbol(context: ContextBuilder, file: str, qualname: str):
    found = context.resolver.resolve(qualname, file).symbol
    assert found is not None, qualname
    return found


def test_the_head_of_a_class_runs_from_its_class_line_through_a_leading_init(make_index) -> None:
    context, _entries = builder(make_index)
    module = context.index.modules["storage.py"]
    head = class_head(module, symbol(context, "storage.py", "NoteStore"))
    assert head.qualname == "NoteStore"
    assert head.source.splitlines()[0] == "class NoteStore:"
    assert head.source.rstrip().endswith("self.root = root")  # through __init__, not into read()
    assert "def read" not in head.source and 'kind = "disk"' in head.source
    assert module.lines[head.start_line - 1] == "class NoteStore:"  # real line numbers


def test_a_class_without_a_leading_init_has_its_declarations_as_head_and_a_long_head_stays_behind(make_index) -> None:
    index = make_index({
        "models.py": (
            "class Later:\n    kind = 1\n\n    def run(self):\n        return 1\n\n    def __init__(self):\n        self.x = 1\n"
            "\n\nclass Huge:\n" + "".join(f"    field_{i} = Column(String({i}))\n" for i in range(MAX_HEAD_TOKENS // 5))
            + "\n    def m(self):\n        pass\n"
        ),
    })
    resolver = Resolver(index)
    context = ContextBuilder(index, resolver, PruningSettings())
    module = index.modules["models.py"]
    later = class_head(module, resolver.resolve("Later", "models.py").symbol)
    assert later.source == "class Later:\n    kind = 1"
    run, m = resolver.resolve("Later.run", "models.py").symbol, resolver.resolve("Huge.m", "models.py").symbol
    assert [s.qualname for s in context.companions.with_companions([run, m])] == ["Later", "Later.run", "Huge.m"]


def test_a_shown_method_brings_its_class_head_and_a_small_decorator_comes_along(make_index) -> None:
    context, _entries = builder(make_index)
    read = symbol(context, "storage.py", "NoteStore.read")
    purge = symbol(context, "storage.py", "NoteStore.purge")
    shown = context.companions.with_companions([read, purge])
    assert [(s.qualname, s.file) for s in shown] == [
        ("NoteStore", "storage.py"), ("NoteStore.read", "storage.py"), ("task", "registry.py"), ("NoteStore.purge", "storage.py"),
    ]
    init = symbol(context, "storage.py", "NoteStore.__init__")
    assert [s.qualname for s in context.companions.with_companions([init])] == ["NoteStore"]  # __init__ is in the head


def test_an_entry_points_project_decorator_is_shown_but_a_framework_one_is_not(make_index) -> None:
    context, entries = builder(make_index)
    decorating = context.companions.decorating("app.py", [e for e in entries if e.file == "app.py"])
    assert [(s.qualname, s.file) for s in decorating] == [("owner_required", "auth.py")]


def test_a_form_class_a_handler_builds_is_one_of_its_callees(make_index) -> None:
    context, entries = builder(make_index)
    [view] = context.views("app.py", [e for e in entries if e.function == "comment"], reserved_tokens=0)
    callees = context.callees(view)
    assert [(s.qualname, s.kind) for s in callees] == [("CommentForm", "class")]
    assert "Length(max=500)" in callees[0].source


def test_a_frameworks_decorator_is_not_taken_for_a_project_function_of_its_name(make_index) -> None:
    index = make_index({
        "app.py": 'from flask import Blueprint\n\nbp = Blueprint("x", __name__)\n\n\n@bp.route("/a")\ndef a():\n    return "a"\n',
        "tools.py": "def route(path):\n    return path\n",
    })
    resolver = Resolver(index)
    context = ContextBuilder(index, resolver, PruningSettings())
    entries = [e for e in find_entry_points(index, resolver) if e.file == "app.py"]
    assert entries and context.companions.decorating("app.py", entries) == []
