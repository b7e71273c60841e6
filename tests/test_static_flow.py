"""The static pass's precision and reach: constant branches, container slots, encodings, loops,
request wrappers, shape checks, and HTML responses built in Python (one snippet per rule)."""

from __future__ import annotations

import textwrap

import pytest

from test_static import FLASK_HEAD, Scan, found, line, scan  # noqa: F401  (the fixture)


def _view(body: str, imports: str = "") -> str:
    """A Flask app whose POST handler reads ``param`` from the form, then runs *body* (4-space indented)."""
    return FLASK_HEAD + imports + "\n@app.post('/x')\ndef x():\n    param = request.form.get('p', '')\n" + body


def _types(src: str, scan: Scan) -> set[tuple[str, int]]:
    return {(t, cwe) for t, cwe, _, _ in found(scan({"app.py": src}))}


# -- constant folding ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "flagged"),
    [
        ("    num = 86\n    if 7 * 42 - num > 200:\n        bar = 'fixed'\n    else:\n        bar = param\n", False),
        ("    num = 106\n    if 7 * 42 - num > 200:\n        bar = 'fixed'\n    else:\n        bar = param\n", True),
        ("    num = 106\n    bar = 'fixed' if 7 * 18 + num > 200 else param\n", False),
        ("    num = 10\n    bar = 'fixed' if 7 * 18 + num > 200 else param\n", True),
        ("    bar = 'This should never happen'\n    if 'should' in bar:\n        bar = param\n", True),
        ("    bar = 'fixed'\n    if 'never' in bar:\n        bar = param\n", False),
        ("    bar = 'fixed'\n    while len(bar) > 10:\n        bar = param\n", False),
        ("    limit = int(param)\n    bar = 'fixed' if limit > 5 else param\n", True),  # not a constant
    ],
)
def test_constant_tests_select_one_branch(scan: Scan, body: str, flagged: bool) -> None:
    src = _view(body + "    os.system('echo ' + bar)\n    return 'ok'\n")
    assert (("RCE", 78) in _types(src, scan)) is flagged


@pytest.mark.parametrize(("pick", "flagged"), [(0, True), (1, False), (2, True), (5, False)])
def test_match_on_a_constant_subject(scan: Scan, pick: int, flagged: bool) -> None:
    body = f"""    possible = "ABCE"
    guess = possible[{min(pick, 3)}]
    match guess:
        case 'A':
            bar = param
        case 'B':
            bar = 'bob'
        case 'C' | 'D':
            bar = param
        case _:
            bar = 'default'
    os.system('echo ' + bar)
    return 'ok'
"""
    assert (("RCE", 78) in _types(_view(body), scan)) is flagged


# -- containers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "flagged"),
    [
        ("    d = {}\n    d['a'] = 'safe'\n    d['b'] = param\n    bar = d['a']\n", False),
        ("    d = {}\n    d['a'] = 'safe'\n    d['b'] = param\n    bar = d['b']\n", True),
        ("    d = {'a': 'safe', 'b': param}\n    bar = d.get('a')\n", False),
        ("    d = {'a': 'safe', 'b': param}\n    bar = d.get('b', '')\n", True),
        ("    d = {'a': 'safe'}\n    d[param] = param\n    bar = d['a']\n", True),  # a key we cannot know
        ("    items = ['safe', param, 'more']\n    items.pop(0)\n    bar = items[1]\n", False),
        (
            "    items = []\n    items.append('safe')\n    items.append(param)\n    items.pop(0)\n    bar = items[0]\n",
            True,
        ),
        ("    items = [param]\n    items.insert(0, 'safe')\n    bar = items[0]\n", False),
        ("    items = ['safe']\n    items.extend(param.split(','))\n    bar = items[0]\n", True),  # slots unknown
        ("    x = ['safe', param]\n    y = x[0]\n    bar = y\n", False),
    ],
)
def test_container_slots_with_constant_keys(scan: Scan, body: str, flagged: bool) -> None:
    src = _view(body + "    os.system('echo ' + bar)\n    return 'ok'\n")
    assert (("RCE", 78) in _types(src, scan)) is flagged


@pytest.mark.parametrize(("key", "flagged"), [("'keyA'", False), ("'keyB'", True)])
def test_configparser_is_a_keyed_store(scan: Scan, key: str, flagged: bool) -> None:
    body = f"""    conf = configparser.ConfigParser()
    conf.add_section('s')
    conf.set('s', 'keyA', 'a-value')
    conf.set('s', 'keyB', param)
    bar = conf.get('s', {key})
    os.system('echo ' + bar)
    return 'ok'
"""
    assert (("RCE", 78) in _types(_view(body, "import configparser\n"), scan)) is flagged


# -- encodings, unknown objects, loops --------------------------------------------------------


def test_base64_round_trip_gives_the_request_data_back(scan: Scan) -> None:
    body = (
        "    tmp = base64.b64encode(param.encode('utf-8'))\n"
        "    os.system('echo ' + base64.b64decode(tmp).decode('utf-8'))\n"
        "    os.system('echo ' + tmp.decode())\n"
        "    return 'ok'\n"
    )
    src = _view(body, "import base64\n")
    assert found(scan({"app.py": src})) == {("RCE", 78, "app.py", line(src, "b64decode(tmp)"))}


def test_a_method_of_an_unknown_object_carries_its_arguments(scan: Scan) -> None:
    factory = """
import importlib

def make_thing(name):
    return getattr(importlib.import_module("plugins"), name)()
"""
    body = (
        "    thing = make_thing('Thing')\n"
        "    bar = thing.do_something(param)\n"
        "    os.system('echo ' + bar)\n"
        "    return 'ok'\n"
    )
    src = _view(body, "from factory import make_thing\n")
    result = scan({"factory.py": factory, "app.py": src})
    assert found(result) == {("RCE", 78, "app.py", line(src, "os.system"))}


def test_break_carries_the_loop_state_out(scan: Scan) -> None:
    body = """    bar = ''
    for name in request.form.keys():
        if 'wanted' in request.form.getlist(name):
            bar = name
            break
    os.system('echo ' + bar)
    return 'ok'
"""
    assert ("RCE", 78) in _types(_view(body), scan)


# -- request objects kept by helper classes -------------------------------------------------


def test_request_kept_on_self_by_a_wrapper_class(scan: Scan) -> None:
    wrapper = """
import flask

class RequestWrapper:
    request: flask.Request

    def __init__(self, request: flask.Request):
        self.request = request

    def form_value(self, name: str):
        return self.request.form.get(name)

    def fixed_value(self, name: str):
        return "bar"
"""
    views = """
import os
from flask import Flask, request
import helpers.wrapping
app = Flask(__name__)

@app.post("/run")
def run():
    wrapped = helpers.wrapping.RequestWrapper(request)
    os.system("echo " + wrapped.form_value("cmd"))
    os.system("echo " + wrapped.fixed_value("cmd"))
    return "ok"
"""
    result = scan({"helpers/wrapping.py": wrapper, "app.py": views})  # helpers/ is a namespace package
    assert found(result) == {("RCE", 78, "app.py", line(views, "form_value"))}


# -- guards and shape checks ------------------------------------------------------------------


def test_or_guard_vouches_for_what_every_part_vouches_for(scan: Scan) -> None:
    src = (
        FLASK_HEAD
        + """
SAFE = [',', '.', ' ']

def escape(s):
    out = ''
    for c in s:
        if c.isalnum() or c in SAFE:
            out += c
        else:
            out += f'&#x{hex(ord(c))[2:]};'
    return out

def passthrough(s):
    out = ''
    for c in s:
        if c.isalnum() or len(c) == 1:
            out += c
    return out

@app.get('/a')
def a():
    return 'Hello ' + escape(request.args.get('name', ''))

@app.get('/b')
def b():
    return 'Hello ' + passthrough(request.args.get('name', ''))
"""
    )
    assert found(scan({"app.py": src})) == {("XSS", 79, "app.py", line(src, "passthrough(request"))}


@pytest.mark.parametrize(
    ("guard", "flagged"),
    [
        (
            "    if not bar.startswith(\"'\") or not bar.endswith(\"'\") or \"'\" in bar[1:-1]:\n        return 'no'\n",
            False,
        ),
        ("    if not bar.startswith(\"'\") or not bar.endswith(\"'\"):\n        return 'no'\n", True),  # inner quote
        ("", True),
    ],
)
def test_quoted_literal_check_makes_eval_safe(scan: Scan, guard: str, flagged: bool) -> None:
    src = _view("    bar = param\n" + guard + "    eval(bar)\n    return 'ok'\n")
    assert (("RCE", 94) in _types(src, scan)) is flagged


@pytest.mark.parametrize(
    ("use", "expected"),
    [
        ("open(f'/srv/files/{bar}', 'rb')", set()),
        ("open(bar, 'rb')", {("LFI", 22)}),  # a whole path: an absolute one needs no '..'
        ("open(f'/srv/files/{urllib.parse.unquote(bar)}', 'rb')", {("LFI", 22)}),  # decoded after the check
    ],
)
def test_dot_dot_check_protects_a_path_under_a_fixed_directory(
    scan: Scan, use: str, expected: set[tuple[str, int]]
) -> None:
    body = f"    bar = param\n    if '../' in bar:\n        return 'no'\n    {use}\n    return 'ok'\n"
    assert _types(_view(body, "import urllib.parse\n"), scan) == expected


def test_file_existence_checks_are_a_path_sink(scan: Scan) -> None:
    body = (
        "    base = pathlib.Path('/srv/files')\n"
        "    p = base / param\n"
        "    if p.exists() or os.path.isfile('/srv/' + param):\n"
        "        return 'yes'\n"
        "    return 'no'\n"
    )
    src = _view(body, "import pathlib\n")
    assert found(scan({"app.py": src})) == {("LFI", 22, "app.py", line(src, "p.exists()"))}


def test_resolved_path_with_a_prefix_check_is_safe(scan: Scan) -> None:
    body = (
        "    base = pathlib.Path('/srv/files')\n"
        "    p = (base / param).resolve()\n"
        "    if not str(p).startswith(str(base)):\n"
        "        return 'no'\n"
        "    return p.read_text()[:100] if p.exists() else 'none'\n"
    )
    assert _types(_view(body, "import pathlib\n"), scan) == set()


# -- HTML responses built in Python ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "flagged"),
    [
        ("    out = ''\n    out += f'Parameter value: {param}'\n    return out\n", True),
        ("    return 'bar is %s' % param\n", True),
        ("    return 'bar is {0}'.format(param), 200\n", True),
        ("    d = {'bar': param}\n    return 'bar is {0[bar]}'.format(d)\n", True),
        ("    return param\n", True),
        ("    return make_response(('see the header', {'X-Value': param}))\n", False),
        ("    return make_response((param, 200, {'Content-Type': 'application/json'}))\n", False),
        ("    return f'value: {html.escape(param)}'\n", False),
        ("    return {'value': param}\n", False),
        ("    return [param]\n", False),
        ("    return render_template('page.html', value=param)\n", False),
    ],
)
def test_flask_views_send_text_as_html(scan: Scan, body: str, flagged: bool) -> None:
    src = _view(body, "import html\nfrom flask import make_response, render_template\n")
    assert (("XSS", 79) in _types(src, scan)) is flagged


def test_django_http_response_is_html_by_default(scan: Scan) -> None:
    views = """
from django.http import HttpResponse

def hello(request):
    return HttpResponse("Hello " + request.GET.get("name", ""))

def plain(request):
    return HttpResponse("Hello " + request.GET.get("name", ""), content_type="text/plain")
"""
    urls = """
from django.urls import path
from . import views
urlpatterns = [path("h/", views.hello), path("p/", views.plain)]
"""
    result = scan({"site/__init__.py": "", "site/views.py": views, "site/urls.py": urls})
    sink = line(views, 'HttpResponse("Hello " + request.GET.get("name", ""))')
    assert found(result) == {("XSS", 79, "site/views.py", sink)}


# -- form objects and input schemas are request data ------------------------------------------------


def test_wtforms_field_data_is_request_data(scan: Scan) -> None:
    src = """
import os
from flask import Flask
from flask_wtf import FlaskForm
from wtforms import StringField
app = Flask(__name__)

class PingForm(FlaskForm):
    host = StringField("host")

@app.post("/ping")
def ping():
    form = PingForm()
    if form.validate_on_submit():
        os.system("ping -c 1 " + form.host.data)
    return "ok"
"""
    assert found(scan({"app.py": src})) == {("RCE", 78, "app.py", line(src, "os.system"))}



CHOICE_FORM = """
import os
from flask import Flask
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
app = Flask(__name__)

class ExportForm(FlaskForm):
    name = StringField("name")
    fmt = SelectField("fmt", choices=[("csv", "CSV"), ("json", "JSON")])
    free = SelectField("free", choices=[("a", "A")], validate_choice=False)
    count = IntegerField("count")

@app.post("/export")
def export():
    form = ExportForm()
    if not form.validate_on_submit():
        return "bad", 400
    os.system("gzip out." + form.fmt.data)
    os.system("head -n %d out" % form.count.data)
    os.system("gzip " + form.free.data)
    os.system("gzip " + form.name.data)
    return "ok"

@app.post("/unchecked")
def unchecked():
    form = ExportForm()
    os.system("gzip out." + form.fmt.data)
    return "ok"
"""


def test_a_validated_wtforms_choice_or_number_field_holds_no_free_text(scan: Scan) -> None:
    lines = textwrap.dedent(CHOICE_FORM).lstrip("\n").splitlines()
    fmt_lines = [n for n, text in enumerate(lines, 1) if "form.fmt.data" in text]
    assert found(scan({"app.py": CHOICE_FORM})) == {
        ("RCE", 78, "app.py", line(CHOICE_FORM, 'os.system("gzip " + form.free.data)')),
        ("RCE", 78, "app.py", line(CHOICE_FORM, 'os.system("gzip " + form.name.data)')),
        ("RCE", 78, "app.py", fmt_lines[1]),  # not validated: any value
    }


def test_django_cleaned_data_is_request_data(scan: Scan) -> None:
    views = """
import subprocess
from django import forms
from django.http import HttpResponse

class PingForm(forms.Form):
    host = forms.CharField()

def ping(request):
    form = PingForm(request.POST)
    if form.is_valid():
        subprocess.run("ping " + form.cleaned_data["host"], shell=True)
    return HttpResponse("ok")
"""
    urls = "from django.urls import path\nfrom . import views\nurlpatterns = [path('p/', views.ping)]\n"
    result = scan({"site/__init__.py": "", "site/views.py": views, "site/urls.py": urls})
    assert found(result) == {("RCE", 78, "site/views.py", line(views, "subprocess.run"))}


def test_drf_validated_data_is_request_data(scan: Scan) -> None:
    src = """
import os
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

class FileSerializer(serializers.Serializer):
    name = serializers.CharField()

class Remove(APIView):
    def post(self, request):
        serializer = FileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        os.remove("/srv/files/" + serializer.validated_data["name"])
        return Response({"ok": True})
"""
    assert found(scan({"app.py": src})) == {("AFO", 22, "app.py", line(src, "os.remove"))}


def test_marshmallow_load_and_pydantic_body_carry_request_data(scan: Scan) -> None:
    src = """
import os
from fastapi import FastAPI
from pydantic import BaseModel
from flask import Flask, request
from marshmallow import Schema, fields

api = FastAPI()
app = Flask(__name__)

class Job(BaseModel):
    command: str

class JobSchema(Schema):
    command = fields.Str()

@api.post("/jobs")
def create(job: Job):
    os.system(job.command)
    return {"ok": True}

@app.post("/jobs")
def create_flask():
    job = JobSchema().load(request.get_json())
    os.system(job["command"])
    return "ok"
"""
    result = scan({"app.py": src})
    assert found(result) == {
        ("RCE", 78, "app.py", line(src, "os.system(job.command)")),
        ("RCE", 78, "app.py", line(src, 'os.system(job["command"])')),
    }


# -- fields set in one method and read in another ---------------------------------------------------


def test_self_fields_set_in_one_method_reach_sinks_in_another(scan: Scan) -> None:
    src = """
import os, subprocess
from flask import Flask, request
app = Flask(__name__)

class Job:
    def __init__(self, command, label):
        self.command = command
        self.label = label

    def run(self):
        subprocess.run(self.command, shell=True)

    def describe(self):
        os.system("echo " + self.label)

    def retarget(self, command):
        self.command = command

@app.post("/jobs")
def create():
    job = Job(request.form["cmd"], "fixed label")
    job.run()
    job.describe()
    return "ok"

@app.post("/later")
def later():
    job = Job("ls", "fixed")
    job.retarget(request.form["cmd"])
    job.run()
    return "ok"
"""
    assert found(scan({"app.py": src})) == {("RCE", 78, "app.py", line(src, "subprocess.run(self.command"))}
    findings = scan({"app.py": src}).findings
    assert {f.entry_function for f in findings} == {"create", "later"}


# -- closures and callbacks, one level ------------------------------------------------------------


def test_a_closure_sees_the_handler_state(scan: Scan) -> None:
    body = """    def run():
        os.system('echo ' + param)

    def echo(text):
        return 'echo ' + text

    def fixed():
        os.system('echo fixed')

    run()
    fixed()
    os.system(echo(param))
    return 'ok'
"""
    src = _view(body)
    assert found(scan({"app.py": src})) == {
        ("RCE", 78, "app.py", line(src, "os.system('echo ' + param)")),
        ("RCE", 78, "app.py", line(src, "os.system(echo(param))")),
    }


@pytest.mark.parametrize(
    "call",
    [
        "pool.submit(run, param)",
        "threading.Thread(target=run, args=(param,)).start()",
        "functools.partial(run, param)()",
        "list(map(run, [param]))",
    ],
)
def test_callbacks_are_called_with_their_arguments(scan: Scan, call: str) -> None:
    src = (
        FLASK_HEAD
        + """import functools, threading
from concurrent.futures import ThreadPoolExecutor
pool = ThreadPoolExecutor()

def run(command):
    subprocess.run(command, shell=True)

@app.post('/x')
def x():
    param = request.form.get('p', '')
    """
        + call
        + "\n    return 'ok'\n"
    )
    assert ("RCE", 78, "app.py", line(src, "subprocess.run(command")) in found(scan({"app.py": src}))


# -- a file the handler writes and reads back -------------------------------------------------------


def test_an_upload_saved_then_loaded_is_still_request_data(scan: Scan) -> None:
    body = """    upload = request.files['model']
    path = os.path.join('/srv/uploads', 'model.pkl')
    upload.save(path)
    with open(path, 'rb') as handle:
        model = pickle.load(handle)
    with open('/srv/defaults.pkl', 'rb') as handle:
        defaults = pickle.load(handle)
    return 'ok'
"""
    src = _view(body, "import pickle\n")
    assert found(scan({"app.py": src})) == {("RCE", 502, "app.py", line(src, "model = pickle.load"))}


def test_folding_refuses_huge_values() -> None:
    import ast

    from vulnhuntr.static.constants import GLOBAL, UNKNOWN, fold

    def value(text: str) -> object:
        return fold(ast.parse(text, mode="eval").body, lambda name: GLOBAL)

    assert value("'ab' * 10**9") is UNKNOWN
    assert value("2 ** 10**6") is UNKNOWN
    assert value("(7 * 42) - 86 > 200") is True
    assert value("len('abc') + 1") == 4
    assert value("'ABC'[1]") == "B"
    assert value("1 / 0") is UNKNOWN


def test_dataclass_and_model_fields_keep_what_they_were_built_from(scan: Scan) -> None:
    src = (
        FLASK_HEAD
        + """from dataclasses import dataclass

@dataclass
class Job:
    command: str
    label: str = "job"

@app.post('/x')
def x():
    job = Job(request.form['cmd'])
    os.system(job.command)
    os.system('echo ' + job.label)
    named = Job(command='ls', label=request.form['label'])
    os.system(named.command)
    spread = Job(**request.get_json())
    subprocess.run(spread.command, shell=True)
    return 'ok'
"""
    )
    assert found(scan({"app.py": src})) == {
        ("RCE", 78, "app.py", line(src, "os.system(job.command)")),
        ("RCE", 78, "app.py", line(src, "subprocess.run(spread.command")),
    }


@pytest.mark.parametrize(
    "read",
    [
        "request.cookies.get('c', '')",
        "request.headers.get('X-Name', '')",
        "request.values.get('v', '')",
        "request.get_data(as_text=True)",
        "request.referrer or ''",
        "request.user_agent.string",
    ],
)
def test_flask_sources_beyond_args_and_form(scan: Scan, read: str) -> None:
    src = FLASK_HEAD + f"\n@app.get('/x')\ndef x():\n    os.system('echo ' + {read})\n    return 'ok'\n"
    assert ("RCE", 78) in _types(src, scan)


@pytest.mark.parametrize(
    ("clean", "expected"),
    [
        ("html.escape(param)", {("RCE", 78)}),  # an HTML escaper does not make a shell command safe
        ("shlex.quote(param)", {("XSS", 79)}),  # nor a shell quoter an HTML page
        ("str(int(param))", set()),
    ],
)
def test_sanitizers_only_clean_what_they_sanitize(scan: Scan, clean: str, expected: set[tuple[str, int]]) -> None:
    body = f"    bar = {clean}\n    os.system('echo ' + bar)\n    return 'value: ' + bar\n"
    assert _types(_view(body, "import html, shlex\n"), scan) == expected


def test_flask_restful_resources_return_json_not_html(scan: Scan) -> None:
    src = """
from flask import Flask, request
from flask.views import MethodView
from flask_restful import Api, Resource
app = Flask(__name__)
api = Api(app)

class Greeting(Resource):
    def get(self):
        return "Hello " + request.args.get("name", "")

class Page(MethodView):
    def get(self):
        return "Hello " + request.args.get("name", "")

api.add_resource(Greeting, "/api/greeting")
app.add_url_rule("/page", view_func=Page.as_view("page"))
"""
    result = scan({"app.py": src})
    assert {(f.type.value, f.entry_function) for f in result.findings} == {("XSS", "Page.get")}


def test_a_compiled_patterns_sub_carries_the_text_it_is_given(scan: Scan) -> None:
    src = FLASK_HEAD + """
import re
from markupsafe import Markup
BOLD = re.compile(r"\\*\\*(.+?)\\*\\*")

@app.post("/preview")
def preview():
    html = BOLD.sub(r"<b>\\1</b>", request.form["text"])
    return Markup(html)

@app.post("/count")
def count():
    return Markup(str(len(BOLD.findall("fixed text"))))
"""
    assert found(scan({"app.py": src})) == {("XSS", 79, "app.py", line(src, "return Markup(html)"))}


ERROR_PAGES = '''
from markupsafe import escape

def not_found(path):
    return (
        "<h1>Not found</h1>"
        f"<p>Nothing at <code>{path}</code></p>"
    )

def forbidden(path):
    return f"<p>No access to {escape(path)}</p>"

def plain(path):
    return path.upper()
'''


def test_a_helper_that_formats_request_text_into_html_is_xss_placed_where_the_markup_is_built(scan: Scan) -> None:
    app = FLASK_HEAD + """
from . import pages

@app.errorhandler(404)
def missing(error):
    return pages.not_found(request.path), 404

@app.errorhandler(403)
def denied(error):
    return pages.forbidden(request.path), 403

@app.get("/plain")
def plain():
    return pages.plain(request.args["q"])
"""
    result = scan({"site/__init__.py": "", "site/app.py": app, "site/pages.py": ERROR_PAGES})
    assert found(result) == {("XSS", 79, "site/app.py", line(app, "pages.not_found(request.path)"))}
    (finding,) = result.findings
    assert (finding.file, finding.start_line) == ("site/pages.py", line(ERROR_PAGES, "<code>{path}</code>"))


def test_http_server_bytes_written_with_html_markup_are_xss_and_json_is_not(scan: Scan) -> None:
    server = '''
import html
import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        term = parse_qs(urlsplit(self.path).query).get("q", [""])[0]
        if term.startswith("j"):
            self._send(json.dumps({"error": f"unknown {term}"}))
        elif term.startswith("e"):
            self._send(f"<p>{html.escape(term)}</p>")
        else:
            self._send(f"<h1>Results for {term}</h1>")

    def _send(self, text):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(text.encode("utf-8"))
'''
    result = scan({"server.py": server})
    assert found(result) == {("XSS", 79, "server.py", line(server, "self.wfile.write"))}
    assert [(f.file, f.start_line) for f in result.findings] == [("server.py", line(server, "<h1>Results for"))]


def test_request_path_is_request_data_only_where_the_route_leaves_it_open(scan: Scan) -> None:
    src = FLASK_HEAD + """
import pickle
import base64

@app.route("/reports/daily")
def daily():
    return fixed_part()

def fixed_part():
    name = request.path.split("/")[1]
    return str(pickle.loads(base64.b64decode(name)))

@app.route("/files/<path:rest>")
def files(rest):
    return str(pickle.loads(base64.b64decode(request.path.split("/")[2])))

@app.errorhandler(404)
def missing(error):
    return str(pickle.loads(base64.b64decode(request.path)))
"""
    assert {f.entry_function for f in scan({"app.py": src}).findings} == {"files", "missing"}
