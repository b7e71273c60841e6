"""Class-based handlers: which base classes make which methods entry points.

A class deriving (directly or through repo classes) from e.g. ``django.views.View``,
``flask.views.MethodView`` or ``tornado.web.RequestHandler`` is a handler wherever
it is routed, so its methods are reported even when no route is found; the
routing detectors reuse :func:`class_entry_points` to attach routes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Iterator

from .context import Context, Target
from .entry import EntryPoint
from .objects import split
from .syntax import HTTP_VERBS, call_arg, function_methods, method_names

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

    def matches(self, qualified_base: str) -> bool:
        return split(qualified_base) in self.bases


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
    for decorator in method.node.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ctx.qualify(method.module, func) in ("rest_framework.decorators.action", "rest_framework.decorators.detail_route"):
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


falcon_responder = _either(_prefixed("on_", upper=False), _named("on_websocket"))


def _resolver(_ctx: Context, method: Target) -> Methods | None:
    return () if method.node.name.startswith("resolve_") else None


DJANGO_HOOKS = frozenset(
    {"form_valid", "form_invalid", "get_queryset", "get_object", "get_context_data", "get_form_kwargs", "get_success_url"}
)
DRF_HOOKS = frozenset({"get_queryset", "get_object", "perform_create", "perform_update", "perform_destroy"})

RULES: tuple[ClassRule, ...] = (
    ClassRule(
        "drf",
        frozenset(
            {("rest_framework", n) for n in ("APIView", "GenericAPIView", "ViewSet", "GenericViewSet", "ModelViewSet", "ReadOnlyModelViewSet", "ViewSetMixin")}
            | {("rest_framework", f"{a}APIView") for a in ("List", "Create", "Retrieve", "Destroy", "Update", "ListCreate", "RetrieveUpdate", "RetrieveDestroy", "RetrieveUpdateDestroy")}
        ),
        _either(verb, drf_action),
        (DRF_HOOKS,),
    ),
    ClassRule(
        "django",
        frozenset(
            ("django", n)
            for n in (
                "View", "TemplateView", "RedirectView", "FormView", "CreateView", "UpdateView", "DeleteView",
                "DetailView", "ListView", "ArchiveIndexView", "YearArchiveView", "MonthArchiveView",
                "WeekArchiveView", "DayArchiveView", "TodayArchiveView", "DateDetailView", "LoginView",
                "LogoutView", "PasswordChangeView", "PasswordResetView", "PasswordResetConfirmView",
            )
        ),
        verb,
        (frozenset({"dispatch"}), DJANGO_HOOKS),
    ),
    ClassRule("flask", frozenset({("flask", "MethodView"), ("flask", "View")}), verb, (frozenset({"dispatch_request"}),)),
    ClassRule("quart", frozenset({("quart", "MethodView"), ("quart", "View")}), verb, (frozenset({"dispatch_request"}),)),
    ClassRule("starlette", frozenset({("starlette", "HTTPEndpoint")}), verb),
    ClassRule("starlette", frozenset({("starlette", "WebSocketEndpoint")}), _named("on_connect", "on_receive", "on_disconnect")),
    ClassRule("aiohttp", frozenset({("aiohttp", "View")}), verb),
    ClassRule(
        "tornado",
        frozenset({("tornado", "RequestHandler"), ("tornado", "WebSocketHandler")}),
        _either(verb, _named("on_message", "open")),
    ),
    ClassRule("sanic", frozenset({("sanic", "HTTPMethodView")}), verb),
    ClassRule(
        "http.server",
        frozenset({("http", n) for n in ("BaseHTTPRequestHandler", "SimpleHTTPRequestHandler", "CGIHTTPRequestHandler")}),
        _prefixed("do_", upper=True),
    ),
    ClassRule(
        "graphene",
        frozenset({("graphene", "ObjectType"), ("graphene_django", "DjangoObjectType"), ("graphene_sqlalchemy", "SQLAlchemyObjectType")}),
        _resolver,
    ),
    ClassRule(
        "graphene",
        frozenset({("graphene", "Mutation"), ("graphene", "ClientIDMutation")}),
        _named("mutate", "mutate_and_get_payload"),
    ),
)
FALCON = ClassRule("falcon", frozenset(), falcon_responder)


def rule_for(ctx: Context, target: Target) -> ClassRule | None:
    """The rule of the first framework base the class derives from."""
    if not target.is_class:
        return None
    bases = ctx.bases(target)
    return next((rule for rule in RULES if any(rule.matches(b) for b in bases)), None)


def handlers(ctx: Context, target: Target, rule: ClassRule) -> list[tuple[Target, Methods]]:
    """The handler methods of a class under *rule*, with their HTTP methods."""
    assert isinstance(target.node, ast.ClassDef)
    methods = [target.method(node) for node in function_methods(target.node)]
    found = [(m, http) for m in methods if (http := rule.handler(ctx, m)) is not None]
    for tier in rule.fallbacks:
        if found:
            break
        found = [(m, ()) for m in methods if m.node.name in tier]
    return found


def class_entry_points(
    ctx: Context, target: Target, rule: ClassRule | None = None, route: str | None = None, framework: str | None = None
) -> list[EntryPoint]:
    """Entry points for a routed class (its rule found from its bases unless given)."""
    rule = rule or rule_for(ctx, target)
    if rule is None:
        return []
    return [
        EntryPoint(m.module.path, m.qualname, m.line, framework or rule.framework, route, http)
        for m, http in handlers(ctx, target, rule)
    ]


def detect(ctx: Context) -> Iterator[EntryPoint]:
    """Every class deriving from a known view/handler base, routed or not."""
    for module in ctx.modules():
        for node, scope in ctx.definitions(module):
            if isinstance(node, ast.ClassDef) and node.bases:
                target = ctx.target(module, scope.qualname(node.name))
                if target is not None:
                    yield from class_entry_points(ctx, target)
