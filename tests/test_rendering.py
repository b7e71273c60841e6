"""Render calls resolved to template files through each framework's search path, with autoescape facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_tree
from vulnhuntr.config import load_settings
from vulnhuntr.repo.map import RepositoryMap, map_repository
from vulnhuntr.repo.rendering import Rendering, autoescapes, render_calls


def mapped(root: Path, files: dict[str, str]) -> RepositoryMap:
    write_tree(root, files)
    return map_repository(load_settings({"root": str(root), "llm": "none"}))


def renderings(repository: RepositoryMap, file: str) -> list[Rendering | None]:
    module = repository.index.modules[file]
    return [
        repository.template_search.resolve(spec, file, call.lineno)
        for call, spec in render_calls(module, module.tree, repository.resolver)
    ]


def only(repository: RepositoryMap, file: str) -> Rendering:
    found = renderings(repository, file)
    assert len(found) == 1 and found[0] is not None, found
    return found[0]


def test_flask_default_folder_next_to_the_app_and_autoescape_by_extension(tmp_path: Path) -> None:
    repo = mapped(
        tmp_path,
        {
            "shop/__init__.py": "from flask import Flask\napp = Flask(__name__)\n",
            "shop/views.py": (
                "from flask import render_template as rt\nfrom . import app\n"
                "@app.route('/a')\ndef a():\n    return rt('page.html', x=1)\n"
                "@app.route('/b')\ndef b():\n    return rt('mail/note.txt', x=1)\n"
            ),
            "shop/templates/page.html": "{{ x }}",
            "shop/templates/mail/note.txt": "{{ x }}",
            "other/templates/page.html": "{{ x }}",
        },
    )
    page, note = renderings(repo, "shop/views.py")
    assert page is not None and page.path == "shop/templates/page.html" and page.autoescape
    assert note is not None and note.path == "shop/templates/mail/note.txt" and not note.autoescape
    assert note.autoescape_note is not None and "without autoescaping" in note.autoescape_note


def test_flask_blueprint_template_folder_and_jinja_env_switch(tmp_path: Path) -> None:
    repo = mapped(
        tmp_path,
        {
            "app.py": "from flask import Flask\napp = Flask(__name__, template_folder='ui')\napp.jinja_env.autoescape = False\n",
            "admin/bp.py": (
                "from flask import Blueprint, render_template\n"
                "bp = Blueprint('admin', __name__, template_folder='tpl')\n"
                "@bp.route('/')\ndef index():\n    return render_template('admin/index.html')\n"
            ),
            "admin/tpl/admin/index.html": "{{ x }}",
            "ui/admin/index.html": "{{ x }}",
        },
    )
    found = only(repo, "admin/bp.py")
    assert found.path == "admin/tpl/admin/index.html"  # the caller's own package first
    assert not found.autoescape  # app.jinja_env.autoescape = False


def test_django_dirs_from_settings_then_app_folders(tmp_path: Path) -> None:
    repo = mapped(
        tmp_path,
        {
            "site/settings.py": (
                "import os\nBASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
                "TEMPLATES = [{'BACKEND': 'django.template.backends.django.DjangoTemplates',\n"
                "              'DIRS': [os.path.join(BASE_DIR, 'shared_templates')], 'APP_DIRS': True}]\n"
            ),
            "blog/views.py": (
                "from django.shortcuts import render\nfrom django.template import loader\n"
                "from django.template.loader import render_to_string\n"
                "from django.template.response import TemplateResponse\n"
                "def a(request):\n    return render(request, 'blog/list.html', {})\n"
                "def b(request):\n    return TemplateResponse(request, 'base.html', {})\n"
                "def c(request):\n    t = loader.get_template('blog/list.html')\n    return t.render({}, request)\n"
                "def d(request):\n    return render_to_string('blog/list.html')\n"
            ),
            "blog/templates/blog/list.html": "{{ x }}",
            "shop/templates/blog/list.html": "{{ x }}",
            "shared_templates/base.html": "{{ x }}",
        },
    )
    a, b, c, d = renderings(repo, "blog/views.py")
    assert a is not None and a.path == "blog/templates/blog/list.html" and a.autoescape
    assert b is not None and b.path == "shared_templates/base.html"
    assert c == a and d == a


def test_two_django_projects_each_find_their_own_settings_dirs_first(tmp_path: Path) -> None:
    def project(name: str) -> dict[str, str]:
        return {
            f"{name}/config/settings.py": (
                "import os\nBASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
                "TEMPLATES = [{'BACKEND': 'django.template.backends.django.DjangoTemplates',\n"
                "              'DIRS': [os.path.join(BASE_DIR, 'templates')]}]\n"
            ),
            f"{name}/board/views.py": (
                "from django.shortcuts import render\n"
                "def thread(request):\n    return render(request, 'board/thread.html', {})\n"
            ),
            f"{name}/templates/board/thread.html": "{{ x }}",
        }

    repo = mapped(tmp_path, {**project("alpha"), **project("beta")})
    assert only(repo, "alpha/board/views.py").path == "alpha/templates/board/thread.html"
    assert only(repo, "beta/board/views.py").path == "beta/templates/board/thread.html"


def test_django_autoescape_option_off(tmp_path: Path) -> None:
    repo = mapped(
        tmp_path,
        {
            "proj/settings.py": "TEMPLATES = [{'DIRS': [], 'OPTIONS': {'autoescape': False}}]\n",
            "app/views.py": "from django.shortcuts import render\ndef v(request):\n    return render(request, 'x.html')\n",
            "app/templates/x.html": "{{ x }}",
        },
    )
    assert not only(repo, "app/views.py").autoescape


@pytest.mark.parametrize(
    ("argument", "html", "txt"),
    [
        ("", False, False),  # Jinja2's default: no escaping at all
        ("autoescape=False, ", False, False),
        ("autoescape=True, ", True, True),
        ("autoescape=select_autoescape(), ", True, False),
        ("autoescape=select_autoescape(['xml']), ", False, False),
        ("autoescape=select_autoescape(['html'], default=True), ", True, True),
        ("autoescape=pick, ", True, True),  # unknown: assumed to escape
    ],
)
def test_jinja_environment_autoescape(tmp_path: Path, argument: str, html: bool, txt: bool) -> None:
    repo = mapped(
        tmp_path,
        {
            "web/render.py": (
                "from jinja2 import Environment, FileSystemLoader, select_autoescape\n"
                f"env = Environment({argument}loader=FileSystemLoader('web/pages'))\n"
                "def page(data):\n    return env.get_template('p.html').render(data=data)\n"
                "def text(data):\n    return env.get_template('p.j2').render(data=data)\n"
            ),
            "web/pages/p.html": "{{ data }}",
            "web/pages/p.j2": "{{ data }}",
        },
    )
    page, text = renderings(repo, "web/render.py")
    assert page is not None and page.path == "web/pages/p.html" and page.autoescape is html
    assert text is not None and text.path == "web/pages/p.j2" and text.autoescape is txt


def test_jinja_package_and_choice_loaders(tmp_path: Path) -> None:
    repo = mapped(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/env.py": (
                "import jinja2\n"
                "ENV = jinja2.Environment(loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader('custom'),"
                " jinja2.PackageLoader('pkg', 'views')]))\n"
            ),
            "pkg/use.py": "from .env import ENV\ndef f(x):\n    tpl = ENV.get_template('v.html')\n    return tpl.render(x=x)\n",
            "pkg/views/v.html": "{{ x }}",
        },
    )
    found = only(repo, "pkg/use.py")
    assert found.path == "pkg/views/v.html" and not found.autoescape and found.framework == "jinja2"


def test_starlette_templates_old_and_new_call_style(tmp_path: Path) -> None:
    repo = mapped(
        tmp_path,
        {
            "api/main.py": (
                "from pathlib import Path\nfrom fastapi.templating import Jinja2Templates\n"
                "templates = Jinja2Templates(directory=str(Path(__file__).parent / 'html'))\n"
                "def a(request):\n    return templates.TemplateResponse('i.html', {'request': request})\n"
                "def b(request):\n    return templates.TemplateResponse(request, 'i.html', {'q': 1})\n"
            ),
            "api/html/i.html": "{{ q }}",
        },
    )
    a, b = renderings(repo, "api/main.py")
    assert a is not None and a.path == "api/html/i.html" and a.autoescape and a.framework == "starlette"
    assert b == a


def test_fallback_unique_template_and_unknown_names(tmp_path: Path) -> None:
    repo = mapped(
        tmp_path,
        {
            "app.py": (
                "from flask import render_template\n"
                "def a():\n    return render_template('only.html')\n"
                "def b(name):\n    return render_template(name)\n"
                "def c():\n    return render_template('../secret.html')\n"
                "def d():\n    return render_template(['missing.html', 'only.html'])\n"
            ),
            "somewhere/templates/only.html": "x",
            "secret.html": "x",
        },
    )
    a, b, c, d = renderings(repo, "app.py")
    assert a is not None and a.path == "somewhere/templates/only.html"
    assert b is None and c is None
    assert d is not None and d.path == "somewhere/templates/only.html"


def test_render_calls_are_known_by_import_origin_not_by_name(tmp_path: Path) -> None:
    repo = mapped(
        tmp_path,
        {
            "app.py": "def render_template(name, **kw):\n    return name\ndef a():\n    return render_template('x.html')\n",
            "templates/x.html": "{{ x }}",
        },
    )
    assert renderings(repo, "app.py") == []


def test_autoescape_rules() -> None:
    assert autoescapes("flask", "a.HTML") and autoescapes("flask", "a.svg") and not autoescapes("flask", "a.j2")
    assert not autoescapes("off", "a.html") and autoescapes("on", "a.txt") and autoescapes("unknown", "a.txt")
    assert autoescapes("select:html,htm::false", "a.htm") and not autoescapes("select:html:txt:true", "a.txt")
    assert autoescapes("select:html:txt:true", "a.md")
