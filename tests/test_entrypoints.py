"""Entry-point detection for every supported framework, on small inline apps."""

from __future__ import annotations

import ast
import textwrap

from vulnhuntr.repo.entrypoints import EntryPoint, merge
from vulnhuntr.repo.frameworks.syntax import statements, walk

Files = dict[str, str]  # the ``scan`` fixture (conftest) builds a repository from these and finds its entry points


def line(source: str, text: str) -> int:
    """The 1-based line of *text* in *source* as the fixture writes it (dedented, leading newline dropped)."""
    lines = textwrap.dedent(source).lstrip("\n").splitlines()
    return next(i for i, content in enumerate(lines, 1) if text in content)


def ep(
    files: Files, file: str, function: str, framework: str, route: str | None = None, methods: tuple[str, ...] = ()
) -> EntryPoint:
    """The expected entry point, its line found from ``def <last part of function>(``."""
    name = function.rsplit(".", 1)[-1]
    return EntryPoint(file, function, line(files[file], f"def {name}("), framework, route, methods)


def keys(entries: list[EntryPoint]) -> set[tuple[str, str]]:
    return {(e.file, e.function) for e in entries}


# Flask and Quart ---------------------------------------------------------------------------------
FLASK = {
    "app.py": """
        from flask import Flask as F, request
        from flask.views import MethodView
        import requests

        web = F(__name__)

        @web.route("/notes/<name>", methods=["GET", "post"])
        def note(name):
            return name

        @web.get("/health")
        def health():
            requests.get("http://example.com")
            return "ok"

        class NoteAPI(MethodView):
            def get(self, note_id):
                return str(note_id)

            def post(self):
                return request.data

            def _helper(self):
                return 1

        web.add_url_rule("/api/notes/<int:note_id>", view_func=NoteAPI.as_view("notes"))

        d = {"x": 1}
        d.get("x")
        requests.get("http://example.com/")
        """,
    "views.py": """
        from flask import Blueprint
        from app import web

        bp2 = Blueprint("admin", __name__, url_prefix="/admin")

        @bp2.post("/users")
        def create_user():
            return "created"

        @web.delete("/notes/<name>")
        def delete_note(name):
            return name
        """,
    "plain.py": """
        class Cache:
            def get(self, key):
                return key

        def get(url):
            return url
        """,
}


def test_flask_decorators_aliases_blueprints_and_method_views(scan) -> None:
    found = scan(FLASK)
    assert found == sorted(
        [
            ep(FLASK, "app.py", "note", "flask", "/notes/<name>", ("GET", "POST")),
            ep(FLASK, "app.py", "health", "flask", "/health", ("GET",)),
            ep(FLASK, "app.py", "NoteAPI.get", "flask", "/api/notes/<int:note_id>", ("GET",)),
            ep(FLASK, "app.py", "NoteAPI.post", "flask", "/api/notes/<int:note_id>", ("POST",)),
            ep(FLASK, "views.py", "create_user", "flask", "/admin/users", ("POST",)),
            ep(FLASK, "views.py", "delete_note", "flask", "/notes/<name>", ("DELETE",)),
        ]
    )


def test_flask_register_blueprint_prefix_overrides_the_blueprints_own(scan) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/routes.py": """
            from flask import Blueprint
            api = Blueprint("api", __name__, url_prefix="/ignored")

            @api.route("/items")
            def items():
                return "[]"
            """,
        "pkg/main.py": """
            from flask import Flask
            from .routes import api as api_bp
            app = Flask(__name__)
            app.register_blueprint(api_bp, url_prefix="/v1")
            """,
    }
    assert scan(files) == [ep(files, "pkg/routes.py", "items", "flask", "/v1/items", ("GET",))]


def test_flask_app_factory_and_init_app_with_untyped_parameter(scan) -> None:
    files = {
        "factory.py": """
            from flask import Flask
            from handlers import show

            def create_app():
                app = Flask(__name__)

                @app.route("/")
                def index():
                    return "home"

                def about():
                    return "about"

                app.add_url_rule("/about", "about", about)
                return app
            """,
        "routes.py": """
            from handlers import show, Upload

            def init(app):
                app.add_url_rule("/show/<id>", view_func=show, methods=["GET"])
                app.add_url_rule("/upload", view_func=Upload.as_view("upload"), methods=["POST"])
            """,
        "handlers.py": """
            from flask.views import View

            def show(id):
                return id

            class Upload(View):
                def dispatch_request(self):
                    return "ok"
            """,
        "wsgi.py": """
            from factory import create_app
            application = create_app()

            @application.get("/late")
            def late():
                return "late"
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "factory.py", "create_app.index", "flask", "/", ("GET",)),
            ep(files, "factory.py", "create_app.about", "flask", "/about", ("GET",)),
            ep(files, "handlers.py", "show", "flask", "/show/<id>", ("GET",)),
            ep(files, "handlers.py", "Upload.dispatch_request", "flask", "/upload", ("POST",)),
            ep(files, "wsgi.py", "late", "flask", "/late", ("GET",)),
        ]
    )


def test_untyped_receiver_falls_back_only_with_a_path_and_a_framework_import(scan) -> None:
    files = {
        "views.py": """
            from flask import jsonify
            from somewhere import current

            @current.route("/guess")
            def guessed():
                return jsonify([])
            """,
        "other.py": """
            import functools
            import requests

            @requests.get("/not-a-route")
            def a():
                pass

            @functools.lru_cache(maxsize=1)
            def b():
                pass

            def register(app):
                @app.get("/users")
                def users():
                    pass

                @app.get(timeout=3)
                def not_a_path():
                    pass
            """,
    }
    # ``current`` is an outside object that is not a framework type; ``requests`` is a module.
    # ``register(app)`` takes an untyped app: its module imports no framework, the repository imports flask.
    assert scan(files) == [ep(files, "other.py", "register.users", "flask", "/users", ("GET",))]
    files["views.py"] = files["views.py"].replace("from somewhere import current", "current = make()")
    assert keys(scan(files)) == {("views.py", "guessed"), ("other.py", "register.users")}
    files["views.py"] = "from somewhere import current\n"
    assert scan(files) == []  # no framework anywhere: nothing is guessed


def test_quart_app_and_websocket(scan) -> None:
    files = {
        "app.py": """
            from quart import Quart
            app = Quart(__name__)

            @app.route("/echo", methods=["POST"])
            async def echo():
                return "x"

            @app.websocket("/ws")
            async def ws():
                return None
            """,
    }
    assert scan(files) == [
        ep(files, "app.py", "echo", "quart", "/echo", ("POST",)),
        ep(files, "app.py", "ws", "quart", "/ws", ()),
    ]


# FastAPI and Starlette -------------------------------------------------------------------------
def test_fastapi_routers_of_any_name_with_prefixes(scan) -> None:
    files = {
        "main.py": """
            from fastapi import FastAPI
            import endpoints
            from endpoints import weird_name as r

            api = FastAPI()
            api.include_router(endpoints.weird_name, prefix="/files")

            @api.api_route("/any", methods=["GET", "PUT"])
            def anything():
                return {}

            @api.websocket("/ws")
            async def socket(ws):
                pass

            def plain(x):
                return x

            api.add_api_route("/plain", plain, methods=["PATCH"])
            """,
        "endpoints.py": """
            from fastapi import APIRouter
            weird_name = APIRouter(prefix="/v1")

            @weird_name.get("/{name}")
            async def read(name: str):
                return name

            @weird_name.head("/{name}")
            def head(name: str):
                return name
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "endpoints.py", "read", "fastapi", "/files/v1/{name}", ("GET",)),
            ep(files, "endpoints.py", "head", "fastapi", "/files/v1/{name}", ("HEAD",)),
            ep(files, "main.py", "anything", "fastapi", "/any", ("GET", "PUT")),
            ep(files, "main.py", "socket", "fastapi", "/ws", ()),
            ep(files, "main.py", "plain", "fastapi", "/plain", ("PATCH",)),
        ]
    )


def test_starlette_routes_mounts_endpoints_and_add_route(scan) -> None:
    files = {
        "app.py": """
            from starlette.applications import Starlette
            from starlette.endpoints import HTTPEndpoint
            from starlette.routing import Mount, Route, WebSocketRoute

            async def homepage(request):
                return None

            async def user(request):
                return None

            async def settings(request):
                return None

            async def ws(websocket):
                return None

            async def extra(request):
                return None

            class Items(HTTPEndpoint):
                async def get(self, request):
                    return None

                async def post(self, request):
                    return None

            admin_routes = [Route("/settings", settings, methods=["POST"])]

            routes = [
                Route("/", homepage),
                Mount("/users", routes=[Route("/{id}", user), Mount("/deep", routes=[WebSocketRoute("/ws", ws)])]),
                Mount("/admin", routes=admin_routes),
                Route("/items", Items),
            ]
            app = Starlette(routes=routes)
            app.add_route("/extra", extra, methods=["DELETE"])
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "app.py", "homepage", "starlette", "/", ("GET",)),
            ep(files, "app.py", "user", "starlette", "/users/{id}", ("GET",)),
            ep(files, "app.py", "settings", "starlette", "/admin/settings", ("POST",)),
            ep(files, "app.py", "ws", "starlette", "/users/deep/ws", ()),
            ep(files, "app.py", "extra", "starlette", "/extra", ("DELETE",)),
            ep(files, "app.py", "Items.get", "starlette", "/items", ("GET",)),
            ep(files, "app.py", "Items.post", "starlette", "/items", ("POST",)),
        ]
    )


# aiohttp, Tornado, Sanic, Bottle ------------------------------------------------------------------
def test_aiohttp_router_calls_route_table_and_views(scan) -> None:
    files = {
        "server.py": """
            from aiohttp import web

            routes = web.RouteTableDef()

            @routes.get("/a")
            async def a(request):
                return web.Response()

            @routes.route("POST", "/b")
            async def b(request):
                return web.Response()

            @routes.view("/c")
            class C(web.View):
                async def get(self):
                    return web.Response()

            async def d(request):
                return web.Response()

            async def e(request):
                return web.Response()

            class F(web.View):
                async def put(self):
                    return web.Response()

            def make_app():
                app = web.Application()
                app.router.add_get("/d", d)
                app.add_routes([web.post("/e", e), web.view("/f", F)])
                app.add_routes(routes)
                return app
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "server.py", "a", "aiohttp", "/a", ("GET",)),
            ep(files, "server.py", "b", "aiohttp", "/b", ("POST",)),
            ep(files, "server.py", "C.get", "aiohttp", "/c", ("GET",)),
            ep(files, "server.py", "d", "aiohttp", "/d", ("GET",)),
            ep(files, "server.py", "e", "aiohttp", "/e", ("POST",)),
            ep(files, "server.py", "F.put", "aiohttp", "/f", ("PUT",)),
        ]
    )


def test_tornado_handlers_with_and_without_routes(scan) -> None:
    files = {
        "handlers.py": """
            import tornado.web
            from tornado.websocket import WebSocketHandler

            class Base(tornado.web.RequestHandler):
                def write_error(self, status_code, **kwargs):
                    pass

            class MainHandler(Base):
                def get(self):
                    self.write("hi")

                def post(self):
                    pass

            class Echo(WebSocketHandler):
                def on_message(self, message):
                    self.write_message(message)

            class Unrouted(tornado.web.RequestHandler):
                async def delete(self, item):
                    pass
            """,
        "app.py": """
            import tornado.web
            from handlers import MainHandler, Echo

            def make_app():
                return tornado.web.Application([(r"/", MainHandler), tornado.web.url(r"/ws", Echo)])
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "handlers.py", "MainHandler.get", "tornado", "/", ("GET",)),
            ep(files, "handlers.py", "MainHandler.post", "tornado", "/", ("POST",)),
            ep(files, "handlers.py", "Echo.on_message", "tornado", "/ws", ()),
            ep(files, "handlers.py", "Unrouted.delete", "tornado", None, ("DELETE",)),
        ]
    )


def test_sanic_decorators_blueprints_add_route_and_method_views(scan) -> None:
    files = {
        "app.py": """
            from sanic import Blueprint, Sanic
            from sanic.views import HTTPMethodView

            app = Sanic("svc")
            bp = Blueprint("bp", url_prefix="/bp")

            @app.route("/x", methods=["POST"])
            async def x(request):
                pass

            @bp.get("/y")
            async def y(request):
                pass

            async def z(request):
                pass

            class V(HTTPMethodView):
                async def get(self, request):
                    pass

            app.add_route(z, "/z", methods=["PUT"])
            app.add_route(V.as_view(), "/v")
            app.blueprint(bp)
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "app.py", "x", "sanic", "/x", ("POST",)),
            ep(files, "app.py", "y", "sanic", "/bp/y", ("GET",)),
            ep(files, "app.py", "z", "sanic", "/z", ("PUT",)),
            ep(files, "app.py", "V.get", "sanic", "/v", ("GET",)),
        ]
    )


def test_bottle_module_decorators_and_app_routes(scan) -> None:
    files = {
        "app.py": """
            import bottle
            from bottle import Bottle, post, route

            app = Bottle()

            @route("/hello/<name>")
            def hello(name):
                return name

            @post("/login")
            def login():
                return ""

            @bottle.get("/status")
            def status():
                return ""

            @app.route("/put", method=["PUT", "PATCH"])
            def put():
                return ""
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "app.py", "hello", "bottle", "/hello/<name>", ("GET",)),
            ep(files, "app.py", "login", "bottle", "/login", ("POST",)),
            ep(files, "app.py", "status", "bottle", "/status", ("GET",)),
            ep(files, "app.py", "put", "bottle", "/put", ("PUT", "PATCH")),
        ]
    )


# Pyramid, Falcon ----------------------------------------------------------------------------------
def test_pyramid_view_config_and_add_view_with_route_patterns(scan) -> None:
    files = {
        "views.py": """
            from pyramid.view import view_config, view_defaults

            @view_config(route_name="home", renderer="json")
            def home(request):
                return {}

            @view_defaults(route_name="notes")
            class NoteViews:
                def __init__(self, request):
                    self.request = request

                @view_config(request_method="POST")
                def create(self):
                    return {}

            def search(request):
                return {}
            """,
        "app.py": """
            from pyramid.config import Configurator
            from views import search

            def main(global_config, **settings):
                with Configurator(settings=settings) as config:
                    config.add_route("home", "/")
                    config.add_route("notes", "/notes")
                    config.add_route("search", "/search/{term}")
                    config.add_view(search, route_name="search", request_method="GET")
                    return config.make_wsgi_app()
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "views.py", "home", "pyramid", "/", ()),
            ep(files, "views.py", "NoteViews.create", "pyramid", "/notes", ("POST",)),
            ep(files, "views.py", "search", "pyramid", "/search/{term}", ("GET",)),
        ]
    )


def test_falcon_resources_by_registration_and_by_responder_names(scan) -> None:
    files = {
        "app.py": """
            import falcon
            from resources import ItemResource

            app = falcon.App()
            items = ItemResource()
            app.add_route("/items", items)
            app.add_route("/items/{id}", items, suffix="item")
            """,
        "resources.py": """
            import falcon

            class ItemResource:
                def on_get(self, req, resp):
                    pass

                def on_get_item(self, req, resp, id):
                    pass

                def helper(self):
                    pass

            class Unregistered:
                async def on_post(self, req, resp):
                    pass
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "resources.py", "ItemResource.on_get", "falcon", "/items", ("GET",)),
            ep(files, "resources.py", "ItemResource.on_get_item", "falcon", "/items/{id}", ("GET",)),
            ep(files, "resources.py", "Unregistered.on_post", "falcon", None, ("POST",)),
        ]
    )


# Gradio, GraphQL ----------------------------------------------------------------------------------
def test_gradio_interfaces_and_block_events(scan) -> None:
    files = {
        "ui.py": """
            import gradio as gr
            from logic import summarize

            def greet(name):
                return "Hello " + name

            def run(query):
                return query

            def after(x):
                return x

            demo = gr.Interface(greet, "text", "text")
            other = gr.Interface(fn=summarize, inputs="text", outputs="text")

            def build():
                with gr.Blocks() as blocks:
                    box = gr.Textbox()
                    btn = gr.Button("Go")
                    btn.click(run, inputs=box, outputs=box).then(after, box, box)
                    box.submit(fn=lambda v: v, inputs=box)
                return blocks
            """,
        "logic.py": """
            def summarize(text):
                return text[:10]
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "ui.py", "greet", "gradio"),
            ep(files, "ui.py", "run", "gradio"),
            ep(files, "ui.py", "after", "gradio"),
            ep(files, "logic.py", "summarize", "gradio"),
        ]
    )


def test_graphene_and_strawberry_resolvers(scan) -> None:
    files = {
        "gql.py": """
            import graphene
            import strawberry

            def resolve_version(root, info):
                return "1"

            class Query(graphene.ObjectType):
                note = graphene.String(name=graphene.String())
                version = graphene.String(resolver=resolve_version)

                def resolve_note(root, info, name):
                    return name

                def helper(self):
                    return 1

            class CreateNote(graphene.Mutation):
                class Arguments:
                    body = graphene.String()

                ok = graphene.Boolean()

                def mutate(root, info, body):
                    return CreateNote(ok=True)

            def get_books(info) -> list[str]:
                return []

            @strawberry.type
            class SQuery:
                books: list[str] = strawberry.field(resolver=get_books)

                @strawberry.field
                def book(self, title: str) -> str:
                    return title

            @strawberry.type
            class SMutation:
                @strawberry.mutation
                def add_book(self, title: str) -> str:
                    return title
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "gql.py", "resolve_version", "graphene"),
            ep(files, "gql.py", "Query.resolve_note", "graphene"),
            ep(files, "gql.py", "CreateNote.mutate", "graphene"),
            ep(files, "gql.py", "get_books", "strawberry"),
            ep(files, "gql.py", "SQuery.book", "strawberry"),
            ep(files, "gql.py", "SMutation.add_book", "strawberry"),
        ]
    )


# Serverless, http.server -----------------------------------------------------------------------------
def test_serverless_handlers(scan) -> None:
    files = {
        "lambda_fn.py": """
            def lambda_handler(event, context):
                return event["body"]

            def helper(event):
                return event

            class Service:
                def handler(self, event, context):
                    return event

            def outer():
                def handler(event, context):
                    return event
                return handler
            """,
        "tests/test_lambda.py": """
            def handler(event, context):
                return {}
            """,
        "func_v2.py": """
            import azure.functions as func

            app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

            @app.function_name(name="Hello")
            @app.route(route="hello", methods=[func.HttpMethod.GET, "post"])
            def hello(req: func.HttpRequest) -> func.HttpResponse:
                return func.HttpResponse(req.params.get("name"))

            @app.route()
            def bare(req):
                return None
            """,
        "HttpTrigger/__init__.py": """
            import azure.functions as func

            def main(req: func.HttpRequest) -> func.HttpResponse:
                return func.HttpResponse("ok")
            """,
        "gcp/main.py": """
            import functions_framework
            from flask import escape

            @functions_framework.http
            def hello_http(request):
                return escape(request.args.get("name"))

            def undecorated(request):
                return "x"

            def two(request, other):
                return "y"
            """,
        "powertools.py": """
            from aws_lambda_powertools.event_handler import APIGatewayRestResolver

            app = APIGatewayRestResolver()

            @app.get("/todos/<todo_id>")
            def get_todo(todo_id: str):
                return {}
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "lambda_fn.py", "lambda_handler", "aws-lambda"),
            ep(files, "func_v2.py", "hello", "azure-functions", "hello", ("GET", "POST")),
            ep(files, "func_v2.py", "bare", "azure-functions", "bare", ()),
            ep(files, "HttpTrigger/__init__.py", "main", "azure-functions"),
            ep(files, "gcp/main.py", "hello_http", "gcp-functions"),
            ep(files, "gcp/main.py", "undecorated", "gcp-functions"),
            ep(files, "powertools.py", "get_todo", "aws-lambda", "/todos/<todo_id>", ("GET",)),
        ]
    )


def test_http_server_handlers(scan) -> None:
    files = {
        "server.py": """
            from http.server import BaseHTTPRequestHandler, HTTPServer
            import http.server

            class Handler(BaseHTTPRequestHandler):
                def do_GET(self):
                    pass

                def do_POST(self):
                    pass

                def log_message(self, *args):
                    pass

            class Files(http.server.SimpleHTTPRequestHandler):
                def do_PUT(self):
                    pass
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "server.py", "Handler.do_GET", "http.server", None, ("GET",)),
            ep(files, "server.py", "Handler.do_POST", "http.server", None, ("POST",)),
            ep(files, "server.py", "Files.do_PUT", "http.server", None, ("PUT",)),
        ]
    )


# Negatives and merging --------------------------------------------------------------------------------
def test_lookalikes_are_not_entry_points(scan) -> None:
    files = {
        "client.py": """
            import requests
            from flask import Flask

            app = Flask(__name__)
            resp = requests.get("https://example.com/")
            d = {"x": 1}
            value = d.get("x")

            class Repository:
                def get(self, key):
                    return key

                def post(self, key, value):
                    return value

            class Job:
                def handler(self, event, context):
                    return event

            def fetch(url):
                return requests.get(url, timeout=3)

            def dispatch(router):
                router.add_route("GET", "/x")
            """,
    }
    assert scan(files) == []


def test_merge_prefers_the_routed_finding_and_joins_methods() -> None:
    unrouted = EntryPoint("v.py", "V.get", 3, "django", None, ("GET",))
    routed = EntryPoint("v.py", "V.get", 3, "django", "/v/", ("GET",))
    also_post = EntryPoint("v.py", "f", 9, "flask", "/f", ("POST",))
    also_get = EntryPoint("v.py", "f", 9, "flask", "/f", ("GET",))
    assert merge([unrouted, routed, also_get, also_post]) == [
        EntryPoint("v.py", "V.get", 3, "django", "/v/", ("GET",)),
        EntryPoint("v.py", "f", 9, "flask", "/f", ("GET", "POST")),
    ]


def test_to_dict() -> None:
    entry = EntryPoint("a.py", "f", 2, "flask", "/", ("GET",))
    assert entry.to_dict() == {
        "file": "a.py",
        "function": "f",
        "line": 2,
        "framework": "flask",
        "route": "/",
        "methods": ["GET"],
        "kind": "route",
    }
    assert EntryPoint("a.py", "h", 3, "flask", kind="hook").to_dict()["kind"] == "hook"


def test_describe_names_the_kind_of_non_routes_only() -> None:
    assert EntryPoint("a.py", "f", 2, "flask", "/x", ("GET",)).describe() == "f"
    operation = EntryPoint("a.py", "get_user", 2, "connexion", "/</code>", ("GET",), "api-operation")
    assert operation.describe() == (
        "get_user (api-operation GET: routed from the OpenAPI spec by connexion; every parameter is request data)"
    )
    assert "hook" in EntryPoint("a.py", "check", 2, "flask", kind="hook").describe()


def test_flask_restful_resources_chalice_and_django_ninja(scan) -> None:
    files = {
        "rest.py": """
            from flask import Flask
            from flask_restful import Api, Resource

            app = Flask(__name__)
            api = Api(app)

            class Todo(Resource):
                def get(self, todo_id):
                    return {}

                def put(self, todo_id):
                    return {}

            api.add_resource(Todo, "/todos/<todo_id>")
            """,
        "chalice_app.py": """
            from chalice import Chalice

            app = Chalice(app_name="svc")

            @app.route("/users/{name}", methods=["PUT"])
            def update_user(name):
                return {}
            """,
        "ninja_api.py": """
            from ninja import NinjaAPI

            api = NinjaAPI()

            @api.post("/items")
            def create_item(request):
                return {}
            """,
    }
    assert scan(files) == sorted(
        [
            ep(files, "rest.py", "Todo.get", "flask", "/todos/<todo_id>", ("GET",)),
            ep(files, "rest.py", "Todo.put", "flask", "/todos/<todo_id>", ("PUT",)),
            ep(files, "chalice_app.py", "update_user", "aws-lambda", "/users/{name}", ("PUT",)),
            ep(files, "ninja_api.py", "create_item", "django", "/items", ("POST",)),
        ]
    )


def test_app_subclass_and_app_reexported_from_a_package(scan) -> None:
    files = {
        "pkg/__init__.py": """
            from flask import Flask

            class App(Flask):
                pass

            app = App(__name__)
            """,
        "pkg/views.py": """
            from pkg import app

            @app.route("/sub")
            def sub():
                return ""
            """,
    }
    assert scan(files) == [ep(files, "pkg/views.py", "sub", "flask", "/sub", ("GET",))]


def test_statement_walk_matches_the_full_walk() -> None:
    """Definitions, assignments and returns come from a walk of statements only: same nodes, order and scopes."""
    source = textwrap.dedent(
        """
        import functools

        @functools.lru_cache(maxsize=None)
        def outer(x=lambda: 1):
            try:
                y = 1
            except ValueError:
                def handler():
                    return 2
            else:
                z = [i for i in range(3)]
            finally:
                pass
            match x:
                case [a, *_] if a:
                    class Inner:
                        w: int = 3

                        async def method(self):
                            async with self as s:
                                return s
            while x:
                for i in x:
                    break
                else:
                    continue
            return y
        """
    )
    tree = ast.parse(source)
    kinds = (ast.stmt, ast.excepthandler, ast.match_case)
    expected = [(node, scope) for node, scope in walk(tree) if node is tree or isinstance(node, kinds)]
    assert list(statements(tree)) == expected
    function = tree.body[1]
    assert list(statements(function)) == [(n, s) for n, s in walk(function) if n is function or isinstance(n, kinds)]


def test_a_failing_detector_costs_only_its_own_findings(scan, monkeypatch, caplog) -> None:
    from vulnhuntr.repo import entrypoints

    def broken(ctx):
        yield from ()
        raise AttributeError("boom")

    monkeypatch.setattr(entrypoints, "DETECTORS", (broken, *entrypoints.DETECTORS))
    files = {"app.py": 'from flask import Flask\napp = Flask(__name__)\n\n@app.get("/")\ndef index():\n    return ""\n'}
    assert keys(scan(files)) == {("app.py", "index")}
    assert "failed" in caplog.text
