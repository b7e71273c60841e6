"""Memoised lookups of the static pass give what a fresh walk gives (they only save repeated work)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import write_tree
from vulnhuntr.config import load_settings
from vulnhuntr.repo.index import RepoIndex, _index_text
from vulnhuntr.repo.map import map_repository
from vulnhuntr.repo.rendering import _class_attribute, _classes_at, _may_construct, find_loaders
from vulnhuntr.repo.resolve import Resolver
from vulnhuntr.static.engine import Engine
from vulnhuntr.static.idor import gated_ids, ownership_checked

VIEWS = '''
import functools

@functools.lru_cache
class Listing:
    template_name = "list.html"

class Detail:
    def inner(self):
        class Nested:
            template_name = "nested.html"
        return Nested
    template_name = 7
'''


def test_class_attribute_found_by_class_line_and_decorator_line() -> None:
    module = _index_text("views.py", "0", VIEWS)
    assert _class_attribute(module, 4, "template_name") == "list.html"  # the decorator's line
    assert _class_attribute(module, 5, "template_name") == "list.html"  # the ``class`` line
    assert _class_attribute(module, 10, "template_name") == "nested.html"
    assert _class_attribute(module, 8, "template_name") is None  # not a string
    assert _class_attribute(module, 2, "template_name") is None  # no class there
    assert _classes_at(module) is _classes_at(module)  # one walk per module


def test_loader_precheck_reads_modules_that_name_a_constructor() -> None:
    assert not _may_construct(_index_text("a.py", "0", "x = make()\n"))
    assert _may_construct(_index_text("b.py", "0", "from flask import Flask as F\napp = F(__name__)\n"))


LOADER_MODULES = {
    "a.py": "x = make()\n",
    "b.py": "from flask import Flask as F\napp = F(__name__)\n",
    "c.py": "import flask\napp = flask.Flask(__name__)\nenv = jinja2.Environment(autoescape=False)\n",
    "d.py": "# Flask(__name__) in a comment only\nsetup = 1\n",
    "e.py": "def f():\n    return Blueprint('b', __name__)\n",
}


def test_django_loaders_alone_are_the_django_part_of_every_loader(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "settings.py": "TEMPLATES = [{'BACKEND': 'django.template.backends.django.DjangoTemplates', "
                       "'DIRS': ['templates'], 'OPTIONS': {'autoescape': False}}]\n",
        "web.py": "from flask import Flask\napp = Flask(__name__, template_folder='tpl')\n",
        "more/settings.py": "TEMPLATES = [{'BACKEND': 'django.template.backends.django.DjangoTemplates'}]\n",
        "templates/a.html": "{{ x }}", "tpl/b.html": "{{ y }}",
    })
    repository = map_repository(load_settings({"root": str(tmp_path), "llm": "none"}))
    alone = repository.template_search.django_loaders  # asked first: no search for Flask or Jinja2 constructors
    every = find_loaders(repository.index, repository.resolver, repository.templates)
    assert alone == [l for l in every if l.framework == "django"] and len(alone) == 2
    assert {l.framework for l in every} == {"django", "flask"}
    assert find_loaders(repository.index, repository.resolver, repository.templates, django_only=True) == alone


def test_calls_by_last_name_agree_with_a_scan_of_every_call() -> None:
    modules = {path: _index_text(path, "0", text) for path, text in LOADER_MODULES.items()}
    resolver = Resolver(RepoIndex(Path("."), modules))
    for name in ("Flask", "Environment", "make", "F", "Blueprint", "missing", "setup"):
        scanned = [(m, c) for m in modules.values() for c in m.calls if c.callee.rsplit(".", 1)[-1] == name]
        assert resolver._calls_named(name) == scanned
        assert resolver._calls_named(name) is resolver._calls_named(name)


def test_idor_facts_memoised_per_node_agree_with_the_tree() -> None:
    tree = ast.parse(
        "def a(note, user):\n    if note.owner_id != user.id:\n        abort(403)\n"
        "def b(ws, note_id):\n    if get(ws, note_id) is None:\n        abort(404)\n    return note_id\n"
    )
    first, second = tree.body
    assert ownership_checked(first) is ownership_checked(first)
    assert ownership_checked(second) is False
    assert gated_ids(second) == {"note_id": 5} and gated_ids(second) is gated_ids(second)
    assert gated_ids(ast.parse("def c(x):\n    return x\n").body[0]) == {}


def test_entry_evaluation_reuses_the_walk_just_made(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": (
        "from flask import Flask, request\nimport os\napp = Flask(__name__)\n"
        "@app.route('/a')\ndef a():\n    os.system(request.args['c'])\n"
        "@app.route('/b')\ndef b():\n    return 'ok'\n"
    )})
    repository = map_repository(load_settings({"root": str(tmp_path), "llm": "none"}))
    engine = Engine(repository.index, repository.resolver)
    first, second = sorted(repository.entry_points, key=lambda e: e.function)
    hits = engine.analyze_entry(first)
    walked = engine.entry_evaluation(first)
    assert walked is not None and walked.hits is hits and hits
    other = engine.entry_evaluation(second)
    assert other is not None and other is not walked and not other.hits
