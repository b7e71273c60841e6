"""The static taint pass: sources per framework, sinks per type, propagation, sanitizers."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import pytest

from vulnhuntr.findings import Finding, VulnType
from vulnhuntr.repo.entrypoints import find_entry_points
from vulnhuntr.repo.index import RepoIndex
from vulnhuntr.repo.map import RepositoryMap
from vulnhuntr.repo.resolve import Resolver
from vulnhuntr.static import StaticResult, run_static

Scan = Callable[[dict[str, str]], StaticResult]


@pytest.fixture
def scan(make_index: Callable[[dict[str, str]], RepoIndex], tmp_path: Path) -> Scan:
    """Write the sources, index them, find entry points and run the static pass."""

    def run(files: dict[str, str]) -> StaticResult:
        index = make_index(files)
        resolver = Resolver(index)
        repository = RepositoryMap(
            root=tmp_path,
            files=tuple(sorted(files)),
            entry_points=find_entry_points(index, resolver),
            skipped=[],
            readme=None,
            index=index,
        )
        return run_static(repository, resolver)

    return run


def found(result: StaticResult) -> set[tuple[str, int, str, int]]:
    """(type, CWE, sink file, sink line) of every finding."""
    return {(f.type.value, f.cwe, f.sink_location.file, f.sink_location.start_line) for f in result.findings}  # type: ignore[misc]


def line(source: str, marker: str) -> int:
    """The line of *marker* in *source* as written to disk by ``write_tree`` (dedented, leading newlines cut)."""
    text = textwrap.dedent(source).lstrip("\n")
    return next(n for n, text_line in enumerate(text.splitlines(), 1) if marker in text_line)


def kinds(result: StaticResult) -> set[str]:
    return {f.type.value for f in result.findings}


def one(result: StaticResult) -> Finding:
    assert len(result.findings) == 1, [(f.type.value, f.file, f.start_line) for f in result.findings]
    return result.findings[0]


FLASK_HEAD = "from flask import Flask, request\nimport os, subprocess\napp = Flask(__name__)\n"


# -- sources, one small app per framework family -----------------------------------------


def test_flask_request_args_and_route_parameter(scan: Scan) -> None:
    src = (
        FLASK_HEAD
        + """
@app.get("/run")
def run():
    os.system("ping " + request.args.get("host", ""))
    return "ok"

@app.get("/files/<name>")
def read(name):
    return open("/srv/" + name).read()

@app.get("/items/<int:item_id>")
def item(item_id):
    os.system(f"echo {item_id}")
    return "ok"
"""
    )
    result = scan({"app.py": src})
    assert found(result) == {
        ("RCE", 78, "app.py", line(src, 'os.system("ping')),
        ("LFI", 22, "app.py", line(src, "open(")),
    }
    rce = next(f for f in result.findings if f.type is VulnType.RCE)
    assert "'host'" in rce.poc and rce.kind == "static"
    assert rce.path[0].line == line(src, 'os.system("ping') and "request.args" in rce.path[0].description
    lfi = next(f for f in result.findings if f.type is VulnType.LFI)
    assert "route parameter 'name'" in lfi.analysis and "not confirmed by an LLM" in lfi.analysis


def test_quart_awaited_json(scan: Scan) -> None:
    src = """
from quart import Quart, request
app = Quart(__name__)

@app.post("/calc")
async def calc():
    data = await request.get_json()
    return str(eval(data["expr"]))
"""
    result = scan({"app.py": src})
    assert found(result) == {("RCE", 94, "app.py", line(src, "eval("))}


def test_fastapi_parameters_request_and_dependencies(scan: Scan) -> None:
    src = """
import subprocess
import requests
from fastapi import Depends, FastAPI, Request

app = FastAPI()

def settings():
    return {"cmd": "ls"}

@app.get("/a")
async def a(q: str, cfg: dict = Depends(settings)):
    subprocess.run(cfg["cmd"] + " " + q, shell=True)

@app.get("/b")
async def b(request: Request):
    requests.get(request.query_params["url"])

@app.get("/c")
async def c(cfg: dict = Depends(settings), n: int = 0):
    subprocess.run(cfg["cmd"], shell=True)
    subprocess.run(f"echo {n}", shell=True)
"""
    result = scan({"main.py": src})
    assert found(result) == {
        ("RCE", 78, "main.py", line(src, '" " + q')),
        ("SSRF", 918, "main.py", line(src, "requests.get")),
    }


def test_starlette_request_methods(scan: Scan) -> None:
    src = """
import pickle
from starlette.applications import Starlette
from starlette.routing import Route

async def load(request):
    body = await request.body()
    return pickle.loads(body)

app = Starlette(routes=[Route("/load", load, methods=["POST"])])
"""
    result = scan({"app.py": src})
    assert found(result) == {("RCE", 502, "app.py", line(src, "pickle.loads"))}


def test_django_get_and_url_kwargs(scan: Scan) -> None:
    views = """
from django.db import connection
from django.http import FileResponse, HttpResponse

def search(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM p WHERE name = '%s'" % request.GET["q"])
    return HttpResponse("ok")

def report(request, slug):
    return FileResponse(open(f"/srv/reports/{slug}.pdf", "rb"))

def me(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM p WHERE owner = '%s'" % request.user.username)
    return HttpResponse("ok")
"""
    urls = """
from django.urls import path
from . import views
urlpatterns = [path("s/", views.search), path("r/<slug>/", views.report), path("me/", views.me)]
"""
    result = scan({"shop/__init__.py": "", "shop/views.py": views, "shop/urls.py": urls})
    assert found(result) == {
        ("SQLI", 89, "shop/views.py", line(views, "request.GET")),
        ("LFI", 22, "shop/views.py", line(views, "FileResponse(open")),
    }


def test_drf_request_data(scan: Scan) -> None:
    src = """
import yaml
from rest_framework.response import Response
from rest_framework.views import APIView

class Import(APIView):
    def post(self, request):
        return Response(yaml.load(request.data["doc"]))

class Safe(APIView):
    def post(self, request):
        return Response(yaml.load(request.data["doc"], Loader=yaml.SafeLoader))
"""
    result = scan({"api.py": src})
    assert found(result) == {("RCE", 502, "api.py", line(src, 'yaml.load(request.data["doc"]))'))}


def test_aiohttp_match_info_and_class_view(scan: Scan) -> None:
    src = """
from aiohttp import web

async def handle(request):
    name = request.match_info["name"]
    with open("/data/" + name) as fh:
        return web.Response(text=fh.read())

class Page(web.View):
    async def get(self):
        return web.Response(text=open(self.request.query["p"]).read())

app = web.Application()
app.router.add_get("/{name}", handle)
app.router.add_view("/page", Page)
"""
    result = scan({"app.py": src})
    assert found(result) == {
        ("LFI", 22, "app.py", line(src, "with open(")),
        ("LFI", 22, "app.py", line(src, "self.request.query")),
    }


def test_tornado_arguments_and_path_args(scan: Scan) -> None:
    src = """
import os
import tornado.web

class Handler(tornado.web.RequestHandler):
    def get(self, ident):
        os.system("convert " + self.get_argument("fmt"))
        os.remove("/tmp/" + ident)

def make_app():
    return tornado.web.Application([(r"/(\\w+)", Handler)])
"""
    result = scan({"app.py": src})
    assert found(result) == {
        ("RCE", 78, "app.py", line(src, "os.system")),
        ("AFO", 22, "app.py", line(src, "os.remove")),
    }


def test_sanic_args_and_path_parameter(scan: Scan) -> None:
    src = """
import os
from sanic import Sanic
app = Sanic("x")

@app.route("/s/<name>")
async def s(request, name):
    os.popen(request.args.get("cmd"))
    os.unlink(name)
"""
    result = scan({"app.py": src})
    assert found(result) == {
        ("RCE", 78, "app.py", line(src, "os.popen")),
        ("AFO", 73, "app.py", line(src, "os.unlink")),
    }


def test_bottle_global_request(scan: Scan) -> None:
    src = """
import os
from bottle import Bottle, request
app = Bottle()

@app.route("/b")
def b():
    os.system(request.query.get("q"))
"""
    result = scan({"app.py": src})
    assert found(result) == {("RCE", 78, "app.py", line(src, "os.system"))}


def test_pyramid_params(scan: Scan) -> None:
    src = """
from pyramid.view import view_config

@view_config(route_name="home")
def home(request):
    return open(request.params["file"]).read()
"""
    result = scan({"app.py": src})
    assert found(result) == {("LFI", 22, "app.py", line(src, "open("))}


def test_falcon_get_param_and_response_is_not_a_source(scan: Scan) -> None:
    src = """
import falcon
import requests

class Res:
    def on_get(self, req, resp, ident):
        requests.get(req.get_param("u"))
        requests.get(resp.location)

app = falcon.App()
app.add_route("/r/{ident}", Res())
"""
    result = scan({"app.py": src})
    assert found(result) == {("SSRF", 918, "app.py", line(src, "requests.get(req"))}


def test_request_object_passed_to_a_helper(scan: Scan) -> None:
    views = """
from django.http import HttpResponse
from helpers import term, user_name

def search(request):
    term(request)
    user_name(request)
    return HttpResponse("ok")
"""
    helpers = """
import os

def term(request):
    os.system("grep " + request.GET.get("q"))

def user_name(request):
    os.system("echo " + request.user.username)
"""
    urls = """
from django.urls import path
import views
urlpatterns = [path("s/", views.search)]
"""
    result = scan({"views.py": views, "helpers.py": helpers, "urls.py": urls})
    assert found(result) == {("RCE", 78, "helpers.py", line(helpers, "request.GET"))}
    assert [s.file for s in result.findings[0].path] == ["views.py", "helpers.py", "helpers.py"]


def test_non_request_attributes_and_other_names_are_not_sources(scan: Scan) -> None:
    src = (
        FLASK_HEAD
        + """
class Fake:
    args = {"q": "ls"}

request_like = Fake()

@app.get("/x")
def x():
    os.system(request_like.args["q"])
    os.system(request.method)
    return "ok"
"""
    )
    assert scan({"app.py": src}).findings == []


# -- sinks, by type -----------------------------------------------------------------------


def _flask_sinks(body: str, imports: str = "") -> dict[str, str]:
    """A Flask app whose one POST handler reads form field ``v`` and then runs *body*."""
    return {"app.py": FLASK_HEAD + imports + "\n@app.post('/x')\ndef x():\n    v = request.form['v']\n" + body}


@pytest.mark.parametrize(
    ("imports", "body", "expected"),
    [
        ("", "    return open(v).read()\n", ("LFI", 22)),
        ("from flask import send_file\n", "    return send_file('/srv/' + v)\n", ("LFI", 22)),
        ("from pathlib import Path\n", "    return Path('/srv', v).read_text()\n", ("LFI", 22)),
        ("", "    open(v, 'w').write('x')\n", ("AFO", 73)),
        ("", "    open(os.path.join('/srv', v), 'wb').write(b'x')\n", ("AFO", 22)),
        ("import shutil\n", "    shutil.copy('/srv/a', v)\n", ("AFO", 73)),
        ("import shutil\n", "    shutil.rmtree('/srv/' + v)\n", ("AFO", 22)),
        ("", "    os.rename('/srv/a', v)\n", ("AFO", 73)),
        ("import tarfile\n", "    tarfile.open(fileobj=request.files['f']).extractall('/srv')\n", ("AFO", 22)),
        ("", "    f = request.files['f']\n    f.save(os.path.join('/srv', f.filename))\n", ("AFO", 22)),
        ("", "    subprocess.call(['sh', '-c', 'convert ' + v])\n", ("RCE", 78)),
        ("", "    subprocess.Popen(f'ls {v}', shell=True)\n", ("RCE", 78)),
        ("import importlib\n", "    importlib.import_module(v)\n", ("RCE", 94)),
        ("", "    exec(v)\n", ("RCE", 94)),
        ("import marshal\n", "    marshal.loads(request.data)\n", ("RCE", 502)),
        ("import yaml\n", "    yaml.load(v)\n", ("RCE", 502)),
        (
            "from flask import render_template_string\n",
            "    return render_template_string('<b>' + v + '</b>')\n",
            ("RCE", 1336),
        ),
        ("import jinja2\n", "    return jinja2.Template(v).render()\n", ("RCE", 1336)),
        ("from jinja2 import Environment\n", "    return Environment().from_string(v).render()\n", ("RCE", 1336)),
        ("import requests\n", "    requests.post(v, data={})\n", ("SSRF", 918)),
        ("import httpx\n", "    with httpx.Client() as c:\n        c.get(v)\n", ("SSRF", 918)),
        ("import urllib.request\n", "    urllib.request.urlopen('http://' + v)\n", ("SSRF", 918)),
        ("import http.client\n", "    http.client.HTTPSConnection(v).request('GET', '/')\n", ("SSRF", 918)),
        ("import sqlite3\n", "    sqlite3.connect('db').execute(f\"SELECT * FROM t WHERE a = '{v}'\")\n", ("SQLI", 89)),
        ("from sqlalchemy import text\n", "    return str(text('SELECT * FROM t WHERE a = ' + v))\n", ("SQLI", 89)),
        ("from markupsafe import Markup\n", "    return Markup('<b>%s</b>' % v)\n", ("XSS", 79)),
        ("from flask import Response\n", "    return Response(f'<p>{v}</p>')\n", ("XSS", 79)),
        ("from flask import Response\n", "    return Response(v, mimetype='text/html')\n", ("XSS", 79)),
        ("", "    return f'<h1>Hello {v}</h1>'\n", ("XSS", 79)),
        (
            "from flask import render_template_string\n",
            "    return render_template_string('<p>{{ v|safe }}</p>', v=v)\n",
            ("XSS", 79),
        ),
        ("", "    return f'Hello {v}'\n", ("XSS", 79)),  # a str from a Flask view is sent as text/html
        ("", "    page = 'Hello '\n    page += v\n    return page\n", ("XSS", 79)),
        ("from flask import make_response\n", "    return make_response('Hello ' + v)\n", ("XSS", 79)),
    ],
)
def test_sink_kinds(scan: Scan, imports: str, body: str, expected: tuple[str, int]) -> None:
    finding = one(scan(_flask_sinks(body, imports)))
    assert (finding.type.value, finding.cwe) == expected
    sink_line = FLASK_HEAD.count("\n") + imports.count("\n") + 4 + body.count("\n")  # the body's last line
    assert finding.sink_location.file == "app.py" and finding.sink_location.start_line == sink_line


@pytest.mark.parametrize(
    "body",
    [
        "    return open('/srv/fixed').read()\n",
        "    sqlite3.connect('db').execute('SELECT * FROM t WHERE a = ?', (v,))\n",
        "    requests.get(f'https://api.example.com/items/{v}')\n",
        "    subprocess.run(['convert', '/srv/a.png', '/srv/b.pdf'])\n",
        "    subprocess.run(['convert', v, '/srv/b.pdf'])\n",
        "    yaml.safe_load(v)\n",
        "    return Response(f'<p>{v}</p>', mimetype='text/plain')\n",
        "    return render_template_string('<p>{{ v }}</p>', v=v)\n",
        "    return f'Hello {html.escape(v)}'\n",
        "    return f'Hello {v}', 200, {'Content-Type': 'text/plain'}\n",
        "    return {'greeting': f'Hello {v}'}\n",
        "    return Response(render_template('page.html', v=v))\n",
    ],
)
def test_look_alikes_that_are_not_sinks(scan: Scan, body: str) -> None:
    imports = "import html, sqlite3, requests, yaml\nfrom flask import Response, render_template, render_template_string\n"
    assert scan(_flask_sinks(body, imports)).findings == []


def test_aiohttp_client_session_is_ssrf(scan: Scan) -> None:
    src = """
import aiohttp
from aiohttp import web

async def proxy(request):
    async with aiohttp.ClientSession() as session:
        async with session.get(request.query["url"]) as resp:
            return web.Response(body=await resp.read())

app = web.Application()
app.router.add_get("/p", proxy)
"""
    result = scan({"app.py": src})
    assert found(result) == {("SSRF", 918, "app.py", line(src, "session.get"))}


# -- IDOR -------------------------------------------------------------------------------


IDOR_MODELS = """
from django.conf import settings
from django.db import models

class Invoice(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    total = models.IntegerField()

class Article(models.Model):
    title = models.CharField(max_length=100)
"""

IDOR_VIEWS = """
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from models import Article, Invoice

def invoice(request, pk):
    inv = get_object_or_404(Invoice, pk=pk)
    return JsonResponse({"total": inv.total})

def checked(request, pk):
    inv = Invoice.objects.get(pk=pk)
    if inv.owner_id != request.user.id:
        raise PermissionDenied
    return JsonResponse({"total": inv.total})

def scoped(request, pk):
    inv = Invoice.objects.filter(owner=request.user).get(pk=pk)
    return JsonResponse({"total": inv.total})

def article(request, pk):
    return JsonResponse({"title": Article.objects.get(pk=pk).title})
"""

IDOR_URLS = """
from django.urls import path
import views
urlpatterns = [
    path("i/<int:pk>/", views.invoice),
    path("c/<int:pk>/", views.checked),
    path("s/<int:pk>/", views.scoped),
    path("a/<int:pk>/", views.article),
]
"""


def test_idor_django_fetch_without_ownership_check(scan: Scan) -> None:
    result = scan({"models.py": IDOR_MODELS, "views.py": IDOR_VIEWS, "urls.py": IDOR_URLS})
    finding = one(result)
    sink = line(IDOR_VIEWS, "get_object_or_404(Invoice")
    assert (finding.type, finding.cwe, finding.sink_location.file, finding.sink_location.start_line) == (VulnType.IDOR, 639, "views.py", sink)
    assert finding.entry_function == "invoice" and finding.confidence <= 5
    weak = [c for c in result.candidates["views.py"] if c.entry_function == "article"]
    assert weak and weak[0].vuln_type is VulnType.IDOR and weak[0].confidence < 4


def test_idor_sql_by_id_with_owner_column(scan: Scan) -> None:
    src = (
        FLASK_HEAD
        + """
import sqlite3
db = sqlite3.connect("x.db")

@app.get("/doc/<int:doc_id>")
def doc(doc_id):
    return str(db.execute("SELECT body, owner_id FROM docs WHERE id = ?", (doc_id,)).fetchone())

@app.get("/mine/<int:doc_id>")
def mine(doc_id):
    return str(db.execute("SELECT body FROM docs WHERE id = ? AND owner_id = ?", (doc_id, 1)).fetchone())
"""
    )
    result = scan({"app.py": src})
    assert found(result) == {("IDOR", 639, "app.py", line(src, "owner_id FROM docs"))}


# -- propagation across files -------------------------------------------------------------

CROSS_APP = (
    FLASK_HEAD
    + """
from helpers import shell
from store import FileStore, Service

store = FileStore("/srv")
service = Service()

@app.get("/a")
def a():
    shell.run_cmd(request.args["c"])
    return "ok"

@app.get("/b")
def b():
    return store.load(request.args["n"])

@app.get("/c")
def c():
    return store.remove(request.args["n"])

@app.get("/d")
def d():
    return service.fetch(request.args["n"])
"""
)

CROSS_SHELL = """
import subprocess

def build(cmd):
    return f"sh -c '{cmd.strip()}'"

def run_cmd(cmd):
    subprocess.run(build(cmd), shell=True)
"""

CROSS_STORE = """
import os

class BaseStore:
    def __init__(self, root):
        self.root = root

    def path(self, name):
        return os.path.join(self.root, name)

    def remove(self, name):
        os.remove(self.path(name))

class FileStore(BaseStore):
    def load(self, name):
        with open(self.path(name)) as fh:
            return fh.read()

class Service:
    def __init__(self):
        self.store = FileStore("/srv")

    def fetch(self, name):
        return self.store.load(name)
"""


def test_cross_file_function_instance_method_and_inherited_method(scan: Scan) -> None:
    result = scan(
        {"app.py": CROSS_APP, "helpers/__init__.py": "", "helpers/shell.py": CROSS_SHELL, "store.py": CROSS_STORE}
    )
    by_entry = {f.entry_function: (f.type.value, f.cwe, f.sink_location.file, f.sink_location.start_line) for f in result.findings}
    assert by_entry == {
        "a": ("RCE", 78, "helpers/shell.py", line(CROSS_SHELL, "subprocess.run")),  # function in a package module
        "b": ("LFI", 22, "store.py", line(CROSS_STORE, "with open(")),  # method of a module-level instance
        "c": ("AFO", 22, "store.py", line(CROSS_STORE, "os.remove")),  # inherited method
        "d": ("LFI", 22, "store.py", line(CROSS_STORE, "with open(")),  # self.store.load() on an attribute
    }
    via_attribute = next(f for f in result.findings if f.entry_function == "d")
    assert [s.file for s in via_attribute.path] == ["app.py", "app.py", "store.py", "store.py", "store.py"]


def test_overridden_method_is_used_for_self_calls(scan: Scan) -> None:
    app = (
        FLASK_HEAD
        + """
from store import SafeStore, Store
safe = SafeStore()
unsafe = Store()

@app.get("/r")
def r():
    return safe.read(request.args["n"])

@app.get("/u")
def u():
    return unsafe.read(request.args["n"])
"""
    )
    store = """
import os

class Store:
    root = "/srv"

    def locate(self, name):
        return os.path.join(self.root, name)

    def read(self, name):
        return open(self.locate(name)).read()

class SafeStore(Store):
    def locate(self, name):
        return os.path.join(self.root, os.path.basename(name))
"""
    result = scan({"app.py": app, "store.py": store})
    assert [(f.entry_function, f.type.value, f.sink_location.start_line) for f in result.findings] == [
        ("u", "LFI", line(store, "open(self.locate"))
    ]


def test_return_value_carries_taint_and_sanitized_return_does_not(scan: Scan) -> None:
    app = (
        FLASK_HEAD
        + """
import util

@app.get("/a")
def a():
    os.system(util.wrap(request.args["x"]))
    os.system(util.number(request.args["x"]))
    return "ok"
"""
    )
    util = """
def wrap(value):
    parts = [value.lower(), "--flag"]
    return " ".join(parts)

def number(value):
    return str(int(value))
"""
    result = scan({"app.py": app, "util.py": util})
    assert found(result) == {("RCE", 78, "app.py", line(app, "os.system(util.wrap"))}


def test_recursion_is_bounded(scan: Scan) -> None:
    src = (
        FLASK_HEAD
        + """
def ping(x, n):
    if n:
        return pong(x, n - 1)
    os.system(x)

def pong(x, n):
    return ping(x, n)

@app.get("/a")
def a():
    return ping(request.args["x"], 3)
"""
    )
    result = scan({"app.py": src})
    assert found(result) == {("RCE", 78, "app.py", line(src, "os.system(x)"))}


# -- sanitizers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "    return open(os.path.join('/srv', secure_filename(v))).read()\n",
        "    return open(os.path.join('/srv', os.path.basename(v))).read()\n",
        "    os.system('kill ' + str(int(v)))\n",
        "    os.system(f'show {uuid.UUID(v)}')\n",
        "    os.system('ls ' + shlex.quote(v))\n",
        "    return Markup('<b>%s</b>' % escape(v))\n",
        "    return Markup(f'<b>{html.escape(v)}</b>')\n",
        "    return format_html('<b>{}</b>', v)\n",
        "    if v not in ALLOWED:\n        abort(400)\n    return requests.get(v).text\n",
        "    if v in ALLOWED:\n        requests.get(v)\n    return 'ok'\n",
        (
            "    host = urlparse(v)\n"
            "    if host.hostname not in ALLOWED:\n"
            "        raise ValueError(v)\n"
            "    return requests.get(v).text\n"
        ),
        (
            "    root = os.path.realpath('/srv')\n"
            "    path = os.path.realpath(os.path.join(root, v))\n"
            "    if os.path.commonpath([root, path]) != root:\n"
            "        abort(403)\n"
            "    return open(path).read()\n"
        ),
        (
            "    path = (Path('/srv') / v).resolve()\n"
            "    if not path.is_relative_to('/srv'):\n"
            "        abort(403)\n"
            "    return path.read_text()\n"
        ),
        "    sqlite3.connect('d').execute('SELECT * FROM t WHERE a = ?', (v,))\n",
    ],
)
def test_sanitizers_stop_taint(scan: Scan, body: str) -> None:
    imports = (
        "import html, shlex, sqlite3, uuid, requests\nfrom pathlib import Path\nfrom urllib.parse import urlparse\n"
        "from flask import abort\nfrom markupsafe import Markup, escape\nfrom werkzeug.utils import secure_filename\n"
        "from django.utils.html import format_html\nALLOWED = {'https://a.example.org/x'}\n"
    )
    result = scan(_flask_sinks(body, imports))
    assert result.findings == [], [(f.type.value, f.start_line) for f in result.findings]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a prefix check on a path that was not canonicalised first is no check
        (
            "    path = os.path.join('/srv', v)\n    if not path.startswith('/srv'):\n        abort(403)\n"
            "    return open(path).read()\n",
            "LFI",
        ),
        # the check does not abort: the tainted path is used on the fall-through branch
        (
            "    path = os.path.realpath(v)\n    if path.startswith('/srv'):\n        print('ok')\n"
            "    return open(path).read()\n",
            "LFI",
        ),
        # the scheme is allow-listed, the host is not
        (
            "    u = urlparse(v)\n    if u.scheme not in ('http', 'https'):\n        abort(400)\n"
            "    return requests.get(v).text\n",
            "SSRF",
        ),
        # shlex.quote stops the shell, not a path traversal
        ("    return open('/srv/' + shlex.quote(v)).read()\n", "LFI"),
        # an int cast keeps the id (IDOR) but this sink is a shell
        ("    os.system(v + str(int(v)))\n", "RCE"),
    ],
)
def test_incomplete_sanitizers_do_not_stop_taint(scan: Scan, body: str, expected: str) -> None:
    imports = "import shlex, requests\nfrom urllib.parse import urlparse\nfrom flask import abort\n"
    assert kinds(scan(_flask_sinks(body, imports))) == {expected}


# -- details -------------------------------------------------------------------------------


def test_ssrf_needs_a_user_chosen_host(scan: Scan) -> None:
    src = (
        FLASK_HEAD
        + """
import requests
API = "https://api.example.com"

@app.get("/a")
def a():
    item = request.args["item"]
    requests.get(f"{API}/items/{item}")
    requests.get(API + "/items/" + item)
    requests.get("https://" + request.args["host"] + "/status")
    return "ok"
"""
    )
    result = scan({"app.py": src})
    assert found(result) == {("SSRF", 918, "app.py", line(src, '"https://" + request'))}


def test_tornado_helper_method_reads_arguments_through_self(scan: Scan) -> None:
    src = """
import subprocess
import tornado.web

class Handler(tornado.web.RequestHandler):
    def post(self):
        self._convert()

    def _convert(self):
        fmt = self.get_body_argument("fmt")
        subprocess.run("convert --to " + fmt, shell=True)

def make_app():
    return tornado.web.Application([(r"/convert", Handler)])
"""
    result = scan({"app.py": src})
    assert found(result) == {("RCE", 78, "app.py", line(src, "subprocess.run"))}


def test_class_view_helper_and_annotated_parameters(scan: Scan) -> None:
    views = """
from django.http import HttpResponse
from django.views import View
from storage import Store, make_store

class Download(View):
    def get(self, request):
        return HttpResponse(self.load(make_store(), request.GET["name"]))

    def load(self, store: Store, name):
        return store.read(name)
"""
    storage = """
class Store:
    def read(self, name):
        with open("/srv/" + name, "rb") as fh:
            return fh.read()

def make_store() -> Store:
    return Store()
"""
    urls = """
from django.urls import path
import views
urlpatterns = [path("d/", views.Download.as_view())]
"""
    result = scan({"views.py": views, "storage.py": storage, "urls.py": urls})
    assert found(result) == {("LFI", 22, "storage.py", line(storage, "with open("))}


def test_sinks_known_only_by_method_name_have_lower_confidence(scan: Scan) -> None:
    src = (
        FLASK_HEAD
        + """
import sqlite3

def connect() -> sqlite3.Connection:
    return sqlite3.connect("x.db")

@app.get("/a")
def a():
    connect().execute("SELECT * FROM t WHERE a = '%s'" % request.args["q"])
    helper().execute("SELECT * FROM t WHERE a = '%s'" % request.args["q"])
    return "ok"

def helper():
    return object()
"""
    )
    result = scan({"app.py": src})
    confidences = {f.sink_location.start_line: f.confidence for f in result.findings}
    assert confidences == {line(src, "connect().execute"): 6, line(src, "helper().execute"): 5}


def test_candidates_carry_the_path_for_the_llm_step(scan: Scan) -> None:
    result = scan(
        {"app.py": CROSS_APP, "helpers/__init__.py": "", "helpers/shell.py": CROSS_SHELL, "store.py": CROSS_STORE}
    )
    seeds = result.candidates["app.py"]
    rce = next(c for c in seeds if c.vuln_type is VulnType.RCE)
    assert (rce.entry_function, rce.cwe, rce.source_file, rce.source_line) == (
        "a",
        78,
        "app.py",
        line(CROSS_APP, "run_cmd("),
    )
    assert (rce.sink_file, rce.sink_line) == ("helpers/shell.py", line(CROSS_SHELL, "subprocess.run"))
    assert [(s.file, s.description.split(" ", 2)[:2]) for s in rce.path] == [
        ("app.py", ["request", "data"]),  # request.args read in the route
        ("app.py", ["passed", "to"]),  # shell.run_cmd(...)
        ("helpers/shell.py", ["passed", "to"]),  # build(cmd) returns the f-string
        ("helpers/shell.py", ["OS", "command:"]),  # the sink
    ]
    assert rce.confidence == 6


def test_super_calls_and_constructors_are_followed(scan: Scan) -> None:
    views = """
import os
from django.http import HttpResponse
from django.views import View

class Base(View):
    def get(self, request):
        return HttpResponse(self.render(request.GET["t"]))

    def render(self, text):
        return text

class Page(Base):
    def get(self, request):
        return super().get(request)

    def render(self, text):
        os.system("banner " + text)
        return text

class Upload(View):
    def post(self, request):
        Archive(request.POST["path"])
        return HttpResponse("ok")

class Archive:
    def __init__(self, path):
        os.remove(path)
"""
    urls = """
from django.urls import path
import views
urlpatterns = [path("p/", views.Page.as_view()), path("u/", views.Upload.as_view())]
"""
    result = scan({"views.py": views, "urls.py": urls})
    assert {(f.entry_function, f.type.value, f.sink_location.start_line) for f in result.findings} == {
        ("Page.get", "RCE", line(views, "os.system")),  # super().get() then self.render() on the subclass
        ("Upload.post", "AFO", line(views, "os.remove")),  # a sink inside __init__
    }


def test_a_known_sanitizer_defined_in_the_scanned_tree_still_sanitizes(scan: Scan) -> None:
    """Scanning a framework's own source: its safe_join is in the repo, and is still a sanitizer."""
    files = {
        "django/__init__.py": "",
        "django/utils/__init__.py": "",
        "django/utils/_os.py": "import os\n\ndef safe_join(base, *paths):\n    return os.path.join(base, *paths)\n",
        "app.py": FLASK_HEAD + (
            "from django.utils._os import safe_join\n\n"
            "@app.route('/t')\n"
            "def template():\n"
            "    return open(safe_join('/templates', request.args['name'])).read()\n\n"
            "@app.route('/u')\n"
            "def unsafe():\n"
            "    return open(os.path.join('/templates', request.args['name'])).read()\n"
        ),
    }
    result = scan(files)
    assert {(f.type.value, f.entry_function) for f in result.findings} == {("LFI", "unsafe")}
