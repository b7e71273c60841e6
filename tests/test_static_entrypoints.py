"""The static pass from entry points that are not routes: each kind starts with the right sources."""

from __future__ import annotations

from test_static import Scan, found, line, scan  # noqa: F401  (the fixture)


def test_before_request_hook_reading_request_args_into_os_system(scan: Scan) -> None:
    src = """
from flask import Flask, request
import os
app = Flask(__name__)

@app.before_request
def audit():
    os.system("logger " + request.args.get("user", ""))

@app.url_value_preprocessor
def pull(endpoint, values):
    open("/srv/" + values["lang"]).read()

@app.after_request
def headers(response):
    os.system(response)
    return response

@app.errorhandler(500)
def crash(error):
    os.system(error)
    return "x"
"""
    assert found(scan({"app.py": src})) == {
        ("RCE", 78, "app.py", line(src, 'os.system("logger')),
        ("LFI", 22, "app.py", line(src, 'open("/srv/"')),
    }  # the response and the exception are the server's, not the client's


def test_http_server_handler_self_path_headers_and_rfile(scan: Scan) -> None:
    src = """
from http.server import BaseHTTPRequestHandler
import subprocess

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        with open("/srv/www" + self.path) as fh:
            self.wfile.write(fh.read().encode())

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        command = self.rfile.read(length).decode()
        subprocess.run(command, shell=True)

    def do_PUT(self):
        open("/srv/static/index.html").read()

    def do_HEAD(self):
        self._log()

    def _log(self):
        subprocess.call("logger " + self.headers["User-Agent"], shell=True)
"""
    assert found(scan({"server.py": src})) == {
        ("LFI", 22, "server.py", line(src, 'with open("/srv/www"')),
        ("RCE", 78, "server.py", line(src, "subprocess.run(")),
        ("RCE", 78, "server.py", line(src, 'subprocess.call("logger')),
    }


def test_socketserver_request_and_rfile(scan: Scan) -> None:
    src = """
import socketserver, os

class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request.recv(1024).decode()
        os.system("echo " + data)
"""
    assert found(scan({"srv.py": src})) == {("RCE", 78, "srv.py", line(src, "os.system("))}


def test_connexion_operation_parameter_into_an_sql_f_string(scan: Scan) -> None:
    handlers = """
import sqlite3

def get_user(user_id):
    db = sqlite3.connect("app.db")
    return db.execute(f"SELECT * FROM users WHERE id = '{user_id}'").fetchall()

def ping():
    return "pong"
"""
    files = {
        "api/__init__.py": "",
        "api/users.py": handlers,
        "app.py": "import connexion\napp = connexion.FlaskApp(__name__)\napp.add_api('openapi.yaml')\n",
        "openapi.yaml": (
            "openapi: 3.0.0\npaths:\n  /users/{user_id}:\n    get:\n      operationId: api.users.get_user\n"
            "  /ping:\n    get:\n      operationId: api.users.ping\n"
        ),
    }
    assert found(scan(files)) == {("SQLI", 89, "api/users.py", line(handlers, "db.execute("))}


def test_socket_events_middleware_dependencies_and_consumers(scan: Scan) -> None:
    events = """
from flask import Flask
from flask_socketio import SocketIO
import os
app = Flask(__name__)
io = SocketIO(app)

@io.on("run")
def run(data):
    os.system(data["command"])
"""
    middleware = """
import os
from fastapi import Depends, FastAPI, Request
from starlette.middleware.base import BaseHTTPMiddleware

app = FastAPI()

class Audit(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        os.system("log " + request.headers["x-user"])
        return await call_next(request)

def reader(path: str):
    return open(path).read()

@app.get("/")
def home(text=Depends(reader)):
    return text
"""
    consumers = """
import subprocess
from channels.generic.websocket import WebsocketConsumer

class Shell(WebsocketConsumer):
    def receive(self, text_data=None, bytes_data=None):
        subprocess.call(text_data, shell=True)

    def connect(self):
        subprocess.call(self.scope["query_string"], shell=True)
"""
    settings = 'MIDDLEWARE = ["site.mw.Trace"]\n'
    mw = """
import os

class Trace:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        os.system(request.GET["trace"])
        return self.get_response(request)
"""
    files = {
        "events.py": events,
        "asgi.py": middleware,
        "consumers.py": consumers,
        "site/__init__.py": "",
        "site/settings.py": settings,
        "site/mw.py": mw,
        "site/views.py": "import django\n",
    }
    assert found(scan(files)) == {
        ("RCE", 78, "events.py", line(events, "os.system(")),
        ("RCE", 78, "asgi.py", line(middleware, "os.system(")),
        ("LFI", 22, "asgi.py", line(middleware, "return open(path)")),
        ("RCE", 78, "consumers.py", line(consumers, "subprocess.call(text_data")),
        ("RCE", 78, "consumers.py", line(consumers, 'subprocess.call(self.scope')),
        ("RCE", 78, "site/mw.py", line(mw, "os.system(")),
    }


def test_falcon_middleware_params_are_request_data(scan: Scan) -> None:
    src = """
import falcon, os

class Audit:
    def process_resource(self, req, resp, resource, params):
        os.system("audit " + params["user"])
        os.system(resp)

    def process_request(self, req, resp):
        open(req.get_param("log")).read()

app = falcon.App(middleware=[Audit()])
"""
    assert found(scan({"app.py": src})) == {
        ("RCE", 78, "app.py", line(src, 'os.system("audit')),
        ("LFI", 22, "app.py", line(src, "open(req.get_param")),
    }


def test_the_initial_prompt_says_what_kind_of_entry_point_a_hook_is(tmp_path, monkeypatch) -> None:
    from fakes import FakeLLM
    from fakes import Reply

    from conftest import write_tree
    from llm_helpers import point_providers_at, run_scan

    write_tree(
        tmp_path / "app",
        {
            "app.py": """
                from flask import Flask, request
                app = Flask(__name__)

                @app.before_request
                def check():
                    return request.args.get("x")

                @app.get("/")
                def index():
                    return "home"
                """
        },
    )
    quiet = {"analysis": "nothing", "confidence_score": 0, "vulnerability_types": [], "context_code": []}
    with FakeLLM(lambda request: Reply(content=quiet)) as fake:
        point_providers_at(fake, monkeypatch)
        run_scan(tmp_path / "app", "gpt", tmp_path, "--all-entrypoints")  # index alone would get no pass
        prompts = [r.prompt for r in fake.requests if "its entry points are" in r.prompt]
    assert len(prompts) == 1  # the static path in the hook opens the chain at once: its first round names them
    assert "its entry points are: check (hook: runs on every request" in prompts[0]
    assert "; index\n" in prompts[0]


def test_django_error_view_reads_the_request(scan: Scan) -> None:
    views = """
from django.http import HttpResponse
import os

def not_found(request, exception):
    os.system("log " + request.GET.get("q", ""))
    os.system(str(exception))
    return HttpResponse("missing")
"""
    urls = 'import django\nhandler404 = "site.views.not_found"\n'
    files = {"site/__init__.py": "", "site/views.py": views, "site/urls.py": urls}
    assert found(scan(files)) == {("RCE", 78, "site/views.py", line(views, 'os.system("log'))}
