"""Which base classes make which methods request handlers, per framework.

A rule names the framework base classes (matched by top-level package and class
name, so ``django.views.generic.edit.FormView`` matches ``("django", "FormView")``)
and says which methods of a subclass handle requests, with their HTTP methods.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable

from .context import Context, Target
from .objects import split
from .syntax import HTTP_VERBS, call_arg, method_names

Methods = tuple[str, ...]
Handler = Callable[[Context, Target], "Methods | None"]  # a method's HTTP methods, None if not a handler

DRF_ACTIONS: dict[str, Methods] = {
    "list": ("GET",),
    "retrieve": ("GET",),
    "create": ("POST",),
    "update": ("PUT",),
    "partial_update": ("PATCH",),
    "destroy": ("DELETE",),
}
DRF_DETAIL_ACTIONS = frozenset({"retrieve", "update", "partial_update", "destroy"})


@dataclass(frozen=True)
class ClassRule:
    framework: str
    bases: frozenset[tuple[str, str]]  # (top-level package, class name) of the framework base
    handler: Handler
    fallbacks: tuple[frozenset[str], ...] = ()  # method names used, tier by tier, when no handler is defined
    kind: str = "route"  # EntryPoint.kind of the handlers
    hooks: frozenset[str] = frozenset()  # methods that run before every handler of the class (kind "hook")

    def matches(self, qualified_base: str) -> bool:
        return split(qualified_base) in self.bases

    @property
    def packages(self) -> frozenset[str]:
        """What a repository must import somewhere for a class to derive from one of the bases."""
        return frozenset(_PACKAGE_OF.get(top, top) for top, _ in self.bases)


_PACKAGE_OF = {"http": "http.server"}


def verb(_ctx: Context, method: Target) -> Methods | None:
    name = method.node.name
    return (name.upper(),) if name in HTTP_VERBS or name == "trace" else None


def _named(*names: str) -> Handler:
    return lambda _ctx, method: () if method.node.name in names else None


def _either(*handlers: Handler) -> Handler:
    def handler(ctx: Context, method: Target) -> Methods | None:
        return next((m for m in (h(ctx, method) for h in handlers) if m is not None), None)

    return handler


def drf_action(ctx: Context, method: Target) -> Methods | None:
    """ViewSet actions and ``@action(methods=[...])`` methods."""
    if method.node.name in DRF_ACTIONS:
        return DRF_ACTIONS[method.node.name]
    decorator = action_decorator(ctx, method)
    if decorator is None:
        return None
    methods = method_names(call_arg(decorator, 0, "methods")) if isinstance(decorator, ast.Call) else ()
    return methods or ("GET",)


def action_decorator(ctx: Context, method: Target) -> ast.expr | None:
    for decorator, qualified in ctx.decorators(method.module, method.node):
        if qualified in ("rest_framework.decorators.action", "rest_framework.decorators.detail_route"):
            return decorator
    return None


def _prefixed(prefix: str, upper: bool) -> Handler:
    """``do_GET`` (http.server) or ``on_get``/``on_get_item`` (falcon) → the HTTP method."""

    def handler(_ctx: Context, method: Target) -> Methods | None:
        name = method.node.name
        if not name.startswith(prefix):
            return None
        word = name[len(prefix) :].split("_", 1)[0]
        if upper and word.isupper():
            return (word,)
        return (word.upper(),) if not upper and word in HTTP_VERBS else None

    return handler


def _event(_ctx: Context, method: Target) -> Methods | None:
    """Socket.IO ``Namespace`` methods ``on_<event>``."""
    return () if method.node.name.startswith("on_") else None


falcon_responder = _either(_prefixed("on_", upper=False), _named("on_websocket"))


def _resolver(_ctx: Context, method: Target) -> Methods | None:
    return () if method.node.name.startswith("resolve_") else None


DJANGO_HOOKS = frozenset(
    [
        "form_valid",
        "form_invalid",
        "get_queryset",
        "get_object",
        "get_context_data",
        "get_form_kwargs",
        "get_success_url",
    ]
)
DRF_HOOKS = frozenset(["get_queryset", "get_object", "perform_create", "perform_update", "perform_destroy"])


def _bases(package: str, names: str) -> frozenset[tuple[str, str]]:
    return frozenset((package, name) for name in names.split())


_DRF_BASES = _bases(
    "rest_framework",
    "APIView GenericAPIView ViewSet GenericViewSet ModelViewSet ReadOnlyModelViewSet ViewSetMixin ListAPIView "
    "CreateAPIView RetrieveAPIView DestroyAPIView UpdateAPIView ListCreateAPIView RetrieveUpdateAPIView "
    "RetrieveDestroyAPIView RetrieveUpdateDestroyAPIView",
)
_DJANGO_BASES = _bases(
    "django",
    "View TemplateView RedirectView FormView CreateView UpdateView DeleteView DetailView ListView ArchiveIndexView "
    "YearArchiveView MonthArchiveView WeekArchiveView DayArchiveView TodayArchiveView DateDetailView LoginView "
    "LogoutView PasswordChangeView PasswordResetView PasswordResetConfirmView",
)
_FLASK_BASES = (
    _bases("flask", "MethodView View") | _bases("flask_restful", "Resource") | _bases("flask_restx", "Resource")
)
_HTTP_SERVER_BASES = _bases("http", "BaseHTTPRequestHandler SimpleHTTPRequestHandler CGIHTTPRequestHandler")
_GRAPHENE_TYPES = (
    _bases("graphene", "ObjectType")
    | _bases("graphene_django", "DjangoObjectType")
    | _bases("graphene_sqlalchemy", "SQLAlchemyObjectType")
)
_DISPATCH_REQUEST = (frozenset({"dispatch_request"}),)
_SOCKETSERVER_BASES = _bases(
    "socketserver", "BaseRequestHandler StreamRequestHandler DatagramRequestHandler"
)
_CHANNELS_BASES = _bases(
    "channels",
    "WebsocketConsumer AsyncWebsocketConsumer JsonWebsocketConsumer AsyncJsonWebsocketConsumer SyncConsumer "
    "AsyncConsumer AsyncHttpConsumer",
)
_CHANNELS_HANDLERS = _named(
    "connect", "receive", "receive_json", "websocket_connect", "websocket_receive", "http_request", "handle"
)
_DJANGO_MIDDLEWARE = _named(
    "process_request", "process_view", "process_exception", "process_response", "process_template_response"
)

RULES: tuple[ClassRule, ...] = (  # DRF before Django: an APIView is also a Django view
    ClassRule("drf", _DRF_BASES, _either(verb, drf_action), (DRF_HOOKS,)),
    ClassRule("django", _DJANGO_BASES, verb, (frozenset({"dispatch"}), DJANGO_HOOKS)),
    ClassRule("flask", _FLASK_BASES, verb, _DISPATCH_REQUEST),
    ClassRule("quart", _bases("quart", "MethodView View"), verb, _DISPATCH_REQUEST),
    ClassRule("starlette", _bases("starlette", "HTTPEndpoint"), verb),
    ClassRule(
        "starlette", _bases("starlette", "WebSocketEndpoint"), _named("on_connect", "on_receive", "on_disconnect")
    ),
    ClassRule("aiohttp", _bases("aiohttp", "View"), verb),
    ClassRule(
        "tornado",
        _bases("tornado", "RequestHandler WebSocketHandler"),
        _either(verb, _named("on_message", "open")),
        hooks=frozenset({"prepare"}),
    ),
    ClassRule("sanic", _bases("sanic", "HTTPMethodView"), verb),
    ClassRule("http.server", _HTTP_SERVER_BASES, _prefixed("do_", upper=True)),
    ClassRule("socketserver", _SOCKETSERVER_BASES, _named("handle"), kind="socket"),
    ClassRule("channels", _CHANNELS_BASES, _CHANNELS_HANDLERS, kind="consumer"),
    ClassRule("django", _bases("django", "MiddlewareMixin"), _DJANGO_MIDDLEWARE, kind="middleware"),
    ClassRule("starlette", _bases("starlette", "BaseHTTPMiddleware"), _named("dispatch"), kind="middleware"),
    ClassRule("flask", _bases("flask_socketio", "Namespace"), _event, kind="socket"),
    ClassRule("socketio", _bases("socketio", "Namespace AsyncNamespace"), _event, kind="socket"),
    ClassRule("graphene", _GRAPHENE_TYPES, _resolver),
    ClassRule("graphene", _bases("graphene", "Mutation ClientIDMutation"), _named("mutate", "mutate_and_get_payload")),
)
FALCON = ClassRule("falcon", frozenset(), falcon_responder)
