"""Entry points that are not routes: hooks, error handlers, middleware, dependencies, sockets, consumers."""

from __future__ import annotations

from vulnhuntr.repo.entrypoints import EntryPoint

from test_entrypoints import Files, line


def kinds(found: list[EntryPoint]) -> dict[str, tuple[str, str]]:
    """``{function: (framework, kind)}`` of every entry point found."""
    return {e.function: (e.framework, e.kind) for e in found}


def hook(files: Files, file: str, function: str, framework: str, kind: str, route: str | None = None) -> EntryPoint:
    name = function.rsplit(".", 1)[-1]
    return EntryPoint(file, function, line(files[file], f"def {name}("), framework, route, (), kind)


# Flask and Quart hooks ------------------------------------------------------------------------------
FLASK_HOOKS = {
    "app.py": """
        from flask import Flask, request
        from views import bp

        app = Flask(__name__)

        @app.before_request
        def load_user():
            return request.cookies.get("session")

        @app.after_request
        def headers(response):
            return response

        @app.errorhandler(404)
        def not_found(error):
            return request.path, 404

        @app.teardown_request
        def close(exc):
            pass

        @app.context_processor
        def inject():
            return {}

        def server_error(error):
            return "oops", 500

        app.register_error_handler(500, server_error)

        def forbidden(error):
            return "no", 403

        app.errorhandler(403)(forbidden)

        def audit():
            pass

        app.before_request(audit)

        @app.route("/")
        def index():
            return "home"
        """,
    "views.py": """
        from flask import Blueprint

        bp = Blueprint("v", __name__)

        @bp.before_app_request
        def everywhere():
            pass

        @bp.url_value_preprocessor
        def pull_lang(endpoint, values):
            pass

        @bp.app_errorhandler(400)
        def bad(error):
            return "bad"
        """,
    "other.py": """
        class Thing:
            def before_request(self, f):
                return f

        thing = Thing()

        @thing.before_request
        def not_a_hook():
            pass
        """,
}


def test_flask_hooks_and_error_handlers_on_apps_and_blueprints(scan) -> None:
    found = scan(FLASK_HOOKS)
    expected = {
        "load_user": "hook",
        "headers": "hook",
        "not_found": "error-handler",
        "close": "hook",
        "inject": "hook",
        "server_error": "error-handler",
        "forbidden": "error-handler",
        "audit": "hook",
        "everywhere": "hook",
        "pull_lang": "hook",
        "bad": "error-handler",
        "index": "route",
    }
    assert kinds(found) == {name: ("flask", kind) for name, kind in expected.items()}
    assert hook(FLASK_HOOKS, "app.py", "load_user", "flask", "hook") in found
    assert hook(FLASK_HOOKS, "views.py", "pull_lang", "flask", "hook") in found


def test_flask_restx_error_handlers_bare_and_called(scan) -> None:
    files = {
        "api.py": """
            from flask_restx import Api, Namespace

            api = Api()
            ns = Namespace("x")

            @api.errorhandler
            def default(error):
                return {}, 500

            @ns.errorhandler(KeyError)
            def missing(error):
                return {}, 404
            """
    }
    assert kinds(scan(files)) == {"default": ("flask", "error-handler"), "missing": ("flask", "error-handler")}


def test_hooks_on_an_untyped_app_parameter_in_a_flask_module(scan) -> None:
    files = {
        "hooks.py": """
            from flask import g

            def init_app(app):
                @app.before_request
                def remember():
                    g.x = 1

                @app.errorhandler(Exception)
                def crash(e):
                    return "x"
            """,
        "plain.py": """
            def init(app):
                @app.before_request
                def no_flask_here():
                    pass
            """,
    }
    assert kinds(scan(files)) == {
        "init_app.remember": ("flask", "hook"),
        "init_app.crash": ("flask", "error-handler"),
    }


def test_quart_websocket_hooks_and_fastapi_middleware_and_exception_handlers(scan) -> None:
    files = {
        "q.py": """
            from quart import Quart
            app = Quart(__name__)

            @app.before_websocket
            async def ws_check():
                pass

            @app.before_request
            async def check():
                pass
            """,
        "f.py": """
            from fastapi import FastAPI
            api = FastAPI()

            @api.middleware("http")
            async def timing(request, call_next):
                return await call_next(request)

            @api.exception_handler(ValueError)
            async def value_error(request, exc):
                return None

            async def other(request, exc):
                return None

            api.add_exception_handler(KeyError, other)
            """,
        "s.py": """
            from starlette.applications import Starlette

            async def not_found(request, exc):
                return None

            site = Starlette(exception_handlers={404: not_found})
            """,
    }
    assert kinds(scan(files)) == {
        "ws_check": ("quart", "hook"),
        "check": ("quart", "hook"),
        "timing": ("fastapi", "middleware"),
        "value_error": ("fastapi", "error-handler"),
        "other": ("fastapi", "error-handler"),
        "not_found": ("starlette", "error-handler"),
    }


# class-based frameworks ---------------------------------------------------------------------------------
def test_flask_classful_views_routes_and_hooks(scan) -> None:
    files = {
        "views.py": """
            from flask import Flask
            from flask_classful import FlaskView, route

            app = Flask(__name__)

            class QuotesView(FlaskView):
                def index(self):
                    return "all"

                def get(self, id):
                    return id

                def post(self):
                    return "made"

                def delete(self, id):
                    return id

                @route("/word/<word>/", methods=["GET", "POST"])
                def word(self, word):
                    return word

                def random(self, seed):
                    return seed

                def before_request(self, name, **kwargs):
                    pass

                def _helper(self):
                    return 1

                @staticmethod
                def util():
                    return 2

            class UserNotesView(FlaskView):
                route_base = "/mine"

                def index(self):
                    return ""

            class AdminView(FlaskView):
                def index(self):
                    return ""

            QuotesView.register(app)
            AdminView.register(app, route_base="/root")
            """,
        "classy.py": """
            from flask_classy import FlaskView

            class UserNotesView(FlaskView):
                def index(self):
                    return ""
            """,
    }
    found = {(e.file, e.function): (e.route, e.methods, e.kind) for e in scan(files)}
    assert found == {
        ("views.py", "QuotesView.index"): ("/quotes/", ("GET",), "route"),
        ("views.py", "QuotesView.get"): ("/quotes/<id>/", ("GET",), "route"),
        ("views.py", "QuotesView.post"): ("/quotes/", ("POST",), "route"),
        ("views.py", "QuotesView.delete"): ("/quotes/<id>/", ("DELETE",), "route"),
        ("views.py", "QuotesView.word"): ("/quotes/word/<word>/", ("GET", "POST"), "route"),
        ("views.py", "QuotesView.random"): ("/quotes/random/<seed>/", ("GET",), "route"),
        ("views.py", "QuotesView.before_request"): (None, (), "hook"),
        ("views.py", "UserNotesView.index"): ("/mine/", ("GET",), "route"),
        ("views.py", "AdminView.index"): ("/root/", ("GET",), "route"),
        ("classy.py", "UserNotesView.index"): ("/usernotes/", ("GET",), "route"),
    }


def test_flask_restful_and_restx_resources_are_still_found(scan) -> None:
    files = {
        "api.py": """
            from flask import Flask
            from flask_restful import Api, Resource
            from flask_restx import Namespace, Resource as XResource

            app = Flask(__name__)
            api = Api(app)
            ns = Namespace("todos")

            class Todo(Resource):
                def get(self, todo_id):
                    return todo_id

            @ns.route("/<id>")
            class XTodo(XResource):
                def put(self, id):
                    return id

            api.add_resource(Todo, "/todos/<todo_id>")
            """
    }
    found = {e.function: (e.route, e.methods, e.kind) for e in scan(files)}
    assert found == {"Todo.get": ("/todos/<todo_id>", ("GET",), "route"), "XTodo.put": ("/<id>", ("PUT",), "route")}


def test_socketio_event_handlers_and_namespaces(scan) -> None:
    files = {
        "events.py": """
            import socketio
            from flask import Flask
            from flask_socketio import SocketIO, Namespace

            app = Flask(__name__)
            io = SocketIO(app)
            sio = socketio.AsyncServer()

            @io.on("chat", namespace="/room")
            def chat(message):
                return message

            @io.event
            def ping(data):
                return data

            def later(data):
                return data

            io.on_event("later", later)

            @sio.on("raw")
            async def raw(sid, data):
                return data

            class Room(Namespace):
                def on_join(self, data):
                    return data

                def helper(self):
                    return 1

            class Emitter:
                def on(self, name):
                    return lambda f: f

            emitter = Emitter()

            @emitter.on("local")
            def not_socketio(data):
                return data
            """
    }
    found = {e.function: (e.framework, e.route, e.kind) for e in scan(files)}
    assert found == {
        "chat": ("flask", "chat (namespace /room)", "socket"),
        "ping": ("flask", "ping", "socket"),
        "later": ("flask", "later", "socket"),
        "raw": ("socketio", "raw", "socket"),
        "Room.on_join": ("flask", None, "socket"),
    }


def test_tornado_prepare_is_a_hook(scan) -> None:
    files = {
        "handlers.py": """
            import tornado.web

            class Base(tornado.web.RequestHandler):
                def prepare(self):
                    self.user = self.get_argument("user")

                def get(self):
                    self.write("x")
            """
    }
    assert {(e.function, e.kind, e.methods) for e in scan(files)} == {
        ("Base.get", "route", ("GET",)),
        ("Base.prepare", "hook", ()),
    }


def test_socketserver_handlers_and_channels_consumers(scan) -> None:
    files = {
        "server.py": """
            import socketserver
            from http.server import BaseHTTPRequestHandler

            class Echo(socketserver.StreamRequestHandler):
                def handle(self):
                    self.wfile.write(self.rfile.readline())

            class Page(BaseHTTPRequestHandler):
                def do_GET(self):
                    pass
            """,
        "consumers.py": """
            from channels.generic.websocket import AsyncJsonWebsocketConsumer, WebsocketConsumer

            class Chat(WebsocketConsumer):
                def connect(self):
                    self.accept()

                def receive(self, text_data=None, bytes_data=None):
                    pass

                def chat_message(self, event):
                    pass

            class Feed(AsyncJsonWebsocketConsumer):
                async def receive_json(self, content):
                    pass
            """,
    }
    found = kinds(scan(files))
    assert found == {
        "Echo.handle": ("socketserver", "socket"),
        "Page.do_GET": ("http.server", "route"),
        "Chat.connect": ("channels", "consumer"),
        "Chat.receive": ("channels", "consumer"),
        "Feed.receive_json": ("channels", "consumer"),
    }


# middleware and dependencies ----------------------------------------------------------------------------
DJANGO_MIDDLEWARE = {
    "shop/settings.py": """
        MIDDLEWARE = [
            "django.middleware.common.CommonMiddleware",
            "shop.middleware.Audit",
            "shop.middleware.timing",
        ]
        MIDDLEWARE += ["shop.middleware.Late"]
        """,
    "shop/retry.py": """
        class Retry:
            def __init__(self, func):
                self.func = func

            def __call__(self, arg):
                return self.func(arg)
        """,
    "shop/middleware.py": """
        from django.utils.deprecation import MiddlewareMixin

        class Audit:
            def process_request(self, request):
                return None

            def process_view(self, request, view, args, kwargs):
                return None

            def helper(self):
                return None

        def timing(get_response):
            def middleware(request):
                return get_response(request)
            return middleware

        class Late:
            def __call__(self, request):
                return None

        class Shaped:
            def __init__(self, get_response):
                self.get_response = get_response

            def __call__(self, request):
                return self.get_response(request)

        class NotMiddleware:
            def __init__(self, value):
                self.value = value

            def __call__(self, other):
                return other

        class Old(MiddlewareMixin):
            def process_exception(self, request, exception):
                return None
        """,
    "shop/views.py": """
        from django.http import HttpResponse

        def page_not_found(request, exception):
            return HttpResponse("missing")

        def server_error(request):
            return HttpResponse("oops")
        """,
    "shop/urls.py": """
        from django.urls import path
        from shop import views

        urlpatterns = []
        handler404 = "shop.views.page_not_found"
        handler500 = views.server_error
        """,
}


def test_django_middleware_from_settings_shape_and_mixin(scan) -> None:
    assert kinds(scan(DJANGO_MIDDLEWARE)) == {
        "Audit.process_request": ("django", "middleware"),
        "Audit.process_view": ("django", "middleware"),
        "timing.middleware": ("django", "middleware"),
        "Late.__call__": ("django", "middleware"),
        "Shaped.__call__": ("django", "middleware"),
        "Old.process_exception": ("django", "middleware"),
        "page_not_found": ("django", "error-handler"),
        "server_error": ("django", "error-handler"),
    }


def test_asgi_and_aiohttp_middleware(scan) -> None:
    files = {
        "asgi.py": """
            from fastapi import FastAPI
            from starlette.middleware.base import BaseHTTPMiddleware
            from aiohttp import web

            app = FastAPI()

            class Timing(BaseHTTPMiddleware):
                async def dispatch(self, request, call_next):
                    return await call_next(request)

            class Raw:
                def __init__(self, app):
                    self.app = app

                async def __call__(self, scope, receive, send):
                    await self.app(scope, receive, send)

            app.add_middleware(Timing)
            app.add_middleware(Raw)

            class Listed:
                def __init__(self, app):
                    self.app = app

                async def __call__(self, scope, receive, send):
                    await self.app(scope, receive, send)

            from starlette.applications import Starlette
            from starlette.middleware import Middleware
            site = Starlette(middleware=[Middleware(Listed)])

            @web.middleware
            async def errors(request, handler):
                return await handler(request)

            async def not_middleware(request, handler):
                return None
            """
    }
    assert kinds(scan(files)) == {
        "Timing.dispatch": ("starlette", "middleware"),
        "Raw.__call__": ("asgi", "middleware"),
        "Listed.__call__": ("asgi", "middleware"),
        "errors": ("aiohttp", "middleware"),
    }


def test_falcon_middleware_components(scan) -> None:
    files = {
        "app.py": """
            import falcon

            class Auth:
                def process_request(self, req, resp):
                    pass

                def process_resource(self, req, resp, resource, params):
                    pass

                def helper(self):
                    pass

            class Unused:
                def process_request(self, req, resp):
                    pass

            app = falcon.App(middleware=[Auth()])
            """
    }
    assert kinds(scan(files)) == {
        "Auth.process_request": ("falcon", "middleware"),
        "Auth.process_resource": ("falcon", "middleware"),
    }


def test_fastapi_dependencies(scan) -> None:
    files = {
        "deps.py": """
            from fastapi import Header, Request

            def get_db():
                yield None

            def current_user(token: str = Header(...)):
                return token

            class Pager:
                def __init__(self, page: int = 1, q: str = ""):
                    self.q = q

            async def audit(request: Request):
                return request
            """,
        "main.py": """
            from typing import Annotated
            from fastapi import APIRouter, Depends, FastAPI, Security
            from deps import Pager, audit, current_user, get_db

            app = FastAPI()
            router = APIRouter(dependencies=[Depends(audit)])

            @app.get("/items")
            def items(user=Security(current_user), db=Depends(get_db), pager: Annotated[Pager, Depends()] = None):
                return []
            """,
    }
    assert kinds(scan(files)) == {
        "current_user": ("fastapi", "dependency"),
        "Pager.__init__": ("fastapi", "dependency"),
        "audit": ("fastapi", "dependency"),
        "items": ("fastapi", "route"),
    }
