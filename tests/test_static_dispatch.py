"""The static pass through calls that pick their target by a key, and the open-dispatch sink (CWE 94)."""

from __future__ import annotations

import textwrap

import pytest

from vulnhuntr.static import StaticResult

from test_static import Scan, scan  # noqa: F401  (the fixture, shared with test_static)

HEAD = "from flask import Flask, request\napp = Flask(__name__)\n"



def found(result: StaticResult) -> set[tuple[str, int, str, int]]:
    """(type, CWE, sink file, sink line) of each finding: the sink, wherever the finding is placed."""
    return {(f.type.value, f.cwe, f.sink_location.file, f.sink_location.start_line) for f in result.findings}


def line(source: str, marker: str) -> int:
    text = textwrap.dedent(source).lstrip("\n")
    return next(n for n, text_line in enumerate(text.splitlines(), 1) if marker in text_line)


ACTIONS = '''
import os
import socket

def ping(host):
    return socket.gethostbyname(host)

def lookup(host):
    os.system("nslookup " + host)

def echo(value):
    return value

ACTIONS = {"ping": ping, "lookup": lookup, "echo": echo}
'''


def test_a_table_of_actions_keyed_by_request_data_reaches_the_one_that_runs_a_shell(scan: Scan) -> None:
    app = HEAD + '''
from .actions import ACTIONS

@app.post("/run")
def run():
    return str(ACTIONS[request.form["action"]](request.form["value"]))
'''
    result = scan({"pkg/__init__.py": "", "pkg/app.py": app, "pkg/actions.py": ACTIONS})
    assert found(result) == {("RCE", 78, "pkg/actions.py", line(ACTIONS, "os.system"))}
    path = [step.description for step in result.findings[0].path]
    assert any("dispatched by ACTIONS[" in step and "lookup()" in step for step in path), path


def test_a_table_of_safe_functions_gives_nothing(scan: Scan) -> None:
    safe = '''
def upper(v):
    return v.upper()

def lower(v):
    return v.lower()

FORMATS = {"upper": upper, "lower": lower}
'''
    app = HEAD + '''
from .formats import FORMATS

@app.get("/fmt")
def fmt():
    return {"value": FORMATS[request.args["f"]](request.args["v"]).strip()}
'''
    assert scan({"pkg/__init__.py": "", "pkg/app.py": app, "pkg/formats.py": safe}).findings == []  # JSON: no sink


def test_lookup_bound_to_a_local_with_get_then_called(scan: Scan) -> None:
    app = HEAD + '''
from .actions import ACTIONS

@app.post("/run")
def run():
    handler = ACTIONS.get(request.form["action"])
    if handler is None:
        return "unknown", 404
    return str(handler(request.form["value"]))
'''
    result = scan({"pkg/__init__.py": "", "pkg/app.py": app, "pkg/actions.py": ACTIONS})
    assert found(result) == {("RCE", 78, "pkg/actions.py", line(ACTIONS, "os.system"))}


def test_a_registry_filled_by_a_decorator_in_another_module(scan: Scan) -> None:
    registry = '''
HANDLERS = {}

def handles(kind):
    def wrap(cls):
        HANDLERS[kind] = cls
        return cls
    return wrap
'''
    handlers = '''
import subprocess
from .registry import handles

@handles("convert")
class Convert:
    @staticmethod
    def run(args):
        return subprocess.check_output("convert " + args, shell=True)

@handles("noop")
class Noop:
    @staticmethod
    def run(args):
        return args
'''
    app = HEAD + '''
from .registry import HANDLERS

@app.post("/job/<kind>")
def job(kind):
    return HANDLERS[kind].run(request.get_json()["args"])
'''
    files = {"pkg/__init__.py": "", "pkg/app.py": app, "pkg/registry.py": registry, "pkg/handlers.py": handlers}
    assert found(scan(files)) == {("RCE", 78, "pkg/handlers.py", line(handlers, "check_output"))}


def test_getattr_on_self_with_a_prefix_follows_the_matching_methods_and_is_no_code_injection(scan: Scan) -> None:
    app = HEAD + '''
import os
from flask.views import MethodView

class Tools(MethodView):
    def post(self):
        return getattr(self, "tool_" + request.form["tool"])(request.form["arg"])

    def tool_disk(self, arg):
        return os.popen("df " + arg).read()

    def tool_time(self, arg):
        return arg

    def unrelated(self, arg):
        return eval(arg)

app.add_url_rule("/tools", view_func=Tools.as_view("tools"))
'''
    assert found(scan({"app.py": app})) == {("RCE", 78, "app.py", line(app, "os.popen"))}


def test_globals_picked_by_request_data_is_code_injection(scan: Scan) -> None:
    app = HEAD + '''
def status():
    return "ok"

@app.get("/call")
def call():
    return globals()[request.args["fn"]]()
'''
    assert found(scan({"app.py": app})) == {("RCE", 94, "app.py", line(app, "globals()["))}


def test_getattr_on_a_module_picked_by_request_data_is_code_injection_and_its_functions_are_followed(
    scan: Scan,
) -> None:
    tools = "import os\n\ndef clean(path):\n    os.remove(path)\n\ndef size(path):\n    return len(path)\n"
    app = HEAD + '''
from . import tools

@app.post("/tool")
def tool():
    fn = getattr(tools, request.form["name"])
    return str(fn(request.form["path"]))
'''
    result = scan({"pkg/__init__.py": "", "pkg/app.py": app, "pkg/tools.py": tools})
    assert found(result) == {("RCE", 94, "pkg/app.py", line(app, "return str(fn(")), ("AFO", 73, "pkg/tools.py", 4)}
    rce = next(f for f in result.findings if f.cwe == 94)
    assert "callable chosen by user input" in rce.analysis or any(
        "callable chosen by user input" in s.description for s in rce.path
    )


@pytest.mark.parametrize(
    "guard",
    [
        'name = request.args["fn"]\n    if name not in ("status", "health"):\n        return "no", 400',
        'name = request.args["fn"]\n    if name not in ALLOWED:\n        return "no", 400',
        'name = "status"',
    ],
)
def test_open_dispatch_with_an_allow_list_or_a_constant_name_is_no_finding(scan: Scan, guard: str) -> None:
    app = HEAD + f'''
ALLOWED = {{"status", "health"}}

def status():
    return "ok"

def health():
    return "ok"

@app.get("/call")
def call():
    {guard}
    return globals()[name]()
'''
    assert scan({"app.py": app}).findings == []


def test_a_table_of_outside_functions(scan: Scan) -> None:
    app = HEAD + '''
import os
import shutil

COMMANDS = {"shell": os.system, "copy": shutil.copy}

@app.post("/cmd")
def cmd():
    return str(COMMANDS[request.form["c"]](request.form["arg"]))
'''
    at = line(app, "COMMANDS[request")
    assert found(scan({"app.py": app})) == {("RCE", 78, "app.py", at), ("LFI", 22, "app.py", at)}  # copy's source


def test_import_module_prefix_reaches_the_plugins_main(scan: Scan) -> None:
    plugin = "import pickle\n\ndef main(data):\n    return pickle.loads(data)\n"
    app = HEAD + '''
import importlib

@app.post("/plugin/<name>")
def plugin(name):
    module = importlib.import_module("pkg.plugins." + name)
    return str(module.main(request.get_data()))
'''
    files = {"pkg/__init__.py": "", "pkg/app.py": app, "pkg/plugins/__init__.py": "", "pkg/plugins/load.py": plugin}
    result = found(scan(files))
    assert ("RCE", 502, "pkg/plugins/load.py", 4) in result


def test_a_table_of_bound_methods_kept_on_self(scan: Scan) -> None:
    app = HEAD + '''
import os
from flask.views import MethodView

class Jobs(MethodView):
    def __init__(self):
        self.routes = {"purge": self.purge, "show": self.show}

    def post(self):
        return self.routes[request.form["job"]](request.form["target"])

    def purge(self, target):
        os.remove(target)
        return "gone"

    def show(self, target):
        return target.upper()

app.add_url_rule("/jobs", view_func=Jobs.as_view("jobs"))
'''
    assert found(scan({"app.py": app})) == {("AFO", 73, "app.py", line(app, "os.remove"))}


def test_getattr_on_a_local_object_picked_by_request_data(scan: Scan) -> None:
    app = HEAD + '''
import os

class Maintenance:
    def wipe(self, path):
        os.remove(path)

    def stat(self, path):
        return path

@app.post("/maint")
def maint():
    tool = Maintenance()
    return str(getattr(tool, request.form["op"])(request.form["path"]))

@app.post("/other")
def other():
    thing = make_thing()
    return str(getattr(thing, request.form["op"])())
'''
    assert found(scan({"app.py": app})) == {
        ("RCE", 94, "app.py", line(app, "getattr(tool,")),
        ("AFO", 73, "app.py", line(app, "os.remove")),
        ("RCE", 94, "app.py", line(app, "getattr(thing,")),
    }


def test_a_command_table_filled_by_calls_of_a_registering_function(scan: Scan) -> None:
    commands = '''
import subprocess

_COMMANDS = {}

def command(name, handler):
    _COMMANDS[name] = handler

def run(name, arg):
    return _COMMANDS[name](arg)

def backup(target):
    return subprocess.call("tar czf /tmp/b.tgz " + target, shell=True)

def status(target):
    return target

command("backup", backup)
command("status", status)
'''
    app = HEAD + '''
from .commands import run

@app.post("/admin/<name>")
def admin(name):
    return str(run(name, request.form["target"]))
'''
    result = scan({"pkg/__init__.py": "", "pkg/app.py": app, "pkg/commands.py": commands})
    assert found(result) == {("RCE", 78, "pkg/commands.py", line(commands, "subprocess.call"))}


def test_a_route_table_of_handler_objects(scan: Scan) -> None:
    handlers = '''
import os

class Base:
    def handle(self, arg):
        return arg

class Remove(Base):
    def handle(self, arg):
        os.unlink(arg)
        return "removed"

class Echo(Base):
    pass

class Hook:
    def __call__(self, arg):
        return os.popen(arg).read()

ROUTES = {"/rm": Remove(), "/echo": Echo()}
HOOKS = [Hook()]
'''
    app = HEAD + '''
from .handlers import ROUTES, HOOKS

@app.post("/api/<path:sub>")
def api(sub):
    return ROUTES["/" + sub].handle(request.form["arg"])

@app.post("/hook")
def hook():
    return HOOKS[0](request.form["cmd"])
'''
    result = scan({"pkg/__init__.py": "", "pkg/app.py": app, "pkg/handlers.py": handlers})
    assert found(result) == {
        ("AFO", 73, "pkg/handlers.py", line(handlers, "os.unlink")),
        ("RCE", 78, "pkg/handlers.py", line(handlers, "os.popen")),
    }


ROUTE_TABLE_SERVER = '''
import json
import os
import subprocess
from http.server import BaseHTTPRequestHandler

class Handler(BaseHTTPRequestHandler):
    read_routes = {"/file": "show_file"}
    write_routes = {"/run": "run_command"}

    def do_GET(self):
        route = self.read_routes.get(self.path)
        if route is None:
            return
        getattr(self, route)(self.path)

    def do_POST(self):
        route = self.write_routes.get(self.path, "run_command")
        payload = json.loads(self.rfile.read(10))
        getattr(self, route)(payload)

    def show_file(self, arg):
        self.wfile.write(open(arg).read().encode())

    def run_command(self, payload):
        subprocess.run(payload["cmd"], shell=True)
'''


def test_getattr_with_a_name_from_a_route_table_reaches_only_that_tables_methods(scan: Scan) -> None:
    result = scan({"server.py": ROUTE_TABLE_SERVER})
    by_entry = {(f.entry_function, f.type.value) for f in result.findings}
    assert ("Handler.do_GET", "LFI") in by_entry
    assert ("Handler.do_POST", "RCE") in by_entry
    assert ("Handler.do_GET", "RCE") not in by_entry
    assert ("Handler.do_POST", "LFI") not in by_entry
    assert not any(f.cwe == 94 for f in result.findings)


def test_a_route_table_changed_at_run_time_does_not_narrow_the_lookup(scan: Scan) -> None:
    server = ROUTE_TABLE_SERVER.replace(
        "    def show_file(self, arg):", "    def add(self, k, v):\n        self.read_routes[k] = v\n\n    def show_file(self, arg):"
    )
    by_entry = {(f.entry_function, f.type.value) for f in scan({"server.py": server}).findings}
    assert ("Handler.do_GET", "RCE") in by_entry
