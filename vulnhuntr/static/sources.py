"""Where request data enters, per framework: tables, and how a handler's parameters start out.

A request object is recognised by where it comes from, never by its name: a
module-level proxy imported from flask/quart/bottle (through the resolver), the
parameter position the framework passes it in, a parameter annotated with the
framework's request class, or ``self.request`` in a class-based handler. Only
the attributes listed here are request data (``request.user`` is not).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable

from ..findings import VulnType
from ..repo.index import annotation_type, dotted
from .taint import ALL_KINDS, ID_ONLY

_FLASK = frozenset(
    "args form values json get_json files cookies headers data get_data view_args stream query_string "
    "referrer user_agent authorization path full_path url".split()
)
_DJANGO = frozenset("GET POST body FILES COOKIES META headers read readline readlines".split())
_STARLETTE = frozenset(
    "query_params path_params json form body headers cookies stream "
    "receive_text receive_json receive_bytes iter_text iter_json iter_bytes".split()  # websockets too
)

REQUEST_ATTRIBUTES: dict[str, frozenset[str]] = {
    "flask": _FLASK,
    "quart": _FLASK,
    "django": _DJANGO | {"data", "query_params"},
    "drf": _DJANGO | {"data", "query_params", "stream"},
    "fastapi": _STARLETTE,
    "starlette": _STARLETTE,
    "aiohttp": frozenset("query match_info post json read text headers cookies rel_url multipart content".split()),
    "tornado": frozenset("body arguments query_arguments body_arguments files headers cookies query".split()),
    "sanic": frozenset("args json form files body query_args cookies headers get_args match_info".split()),
    "bottle": frozenset("query forms params json files body GET POST cookies headers get_cookie get_header".split()),
    "connexion": _FLASK | _STARLETTE,  # connexion 2 hands out Flask's request, connexion 3 a Starlette one
    "pyramid": frozenset("params matchdict json_body GET POST body json headers cookies text".split()),
    "falcon": frozenset(
        "get_param get_param_as_list get_param_as_int media get_media params stream bounded_stream "
        "get_header headers cookies get_cookie_values query_string".split()
    ),
}
"""Attributes (or methods) of the request object that hold client-controlled data."""

ANY_REQUEST = frozenset().union(*REQUEST_ATTRIBUTES.values())
"""A request object whose framework is unknown (passed into a helper) may be any of them."""

GLOBAL_REQUESTS = {
    "flask.request": "flask",
    "flask.globals.request": "flask",
    "quart.request": "quart",
    "quart.globals.request": "quart",
    "bottle.request": "bottle",
    "connexion.request": "connexion",
    "connexion.context.request": "connexion",
}
"""Module-level request proxies, by qualified name."""

SELF_SOURCES: dict[str, frozenset[str]] = {
    "tornado": frozenset(
        "get_argument get_arguments get_query_argument get_query_arguments get_body_argument "
        "get_body_arguments get_cookie path_args path_kwargs".split()
    ),
    "django": frozenset({"kwargs", "args"}),
    "drf": frozenset({"kwargs", "args"}),
    "http.server": frozenset("path headers rfile requestline raw_requestline request".split()),
    "socketserver": frozenset({"request", "rfile"}),
    "channels": frozenset({"scope"}),
}
"""Attributes of ``self`` that hold request data in class-based handlers."""

SELF_REQUEST = frozenset({"django", "drf", "aiohttp", "tornado", "pyramid"})
"""Frameworks whose class-based handlers find the request in ``self.request``."""

REQUEST_CLASSES = frozenset(
    {
        "starlette.requests.Request",
        "starlette.requests.HTTPConnection",
        "starlette.websockets.WebSocket",
        "fastapi.Request",
        "fastapi.WebSocket",
        "fastapi.requests.Request",
        "django.http.HttpRequest",
        "django.http.request.HttpRequest",
        "rest_framework.request.Request",
        "aiohttp.web.Request",
        "aiohttp.web.BaseRequest",
        "aiohttp.web_request.Request",
        "sanic.Request",
        "sanic.request.Request",
        "pyramid.request.Request",
        "falcon.Request",
        "falcon.request.Request",
    }
)
"""A parameter annotated with one of these is the request object, whatever its position."""

DECLARED_REQUESTS: dict[str, str] = {
    "flask.Request": "flask",
    "flask.wrappers.Request": "flask",
    "werkzeug.Request": "flask",
    "werkzeug.wrappers.Request": "flask",
    "werkzeug.wrappers.request.Request": "flask",
    "quart.Request": "quart",
    "quart.wrappers.Request": "quart",
    "bottle.BaseRequest": "bottle",
    "bottle.LocalRequest": "bottle",
}
"""Request classes of frameworks that also offer a global proxy: an attribute or helper parameter declared
with one (``self.request: flask.Request``) holds the request."""


def declared_request(qualified: str | None) -> str | None:
    """The framework of a request class named by an annotation or an instance attribute's type."""
    if not qualified:
        return None
    if qualified in DECLARED_REQUESTS:
        return DECLARED_REQUESTS[qualified]
    if qualified in REQUEST_CLASSES:
        root = qualified.split(".", 1)[0]
        return {"rest_framework": "drf", "fastapi": "starlette"}.get(root, root)
    return None

INJECTED = frozenset(
    {
        "fastapi.Depends",
        "fastapi.Security",
        "fastapi.params.Depends",
        "fastapi.params.Security",
    }
)
"""Defaults that make FastAPI inject a server-side value instead of reading the request."""

SERVER_TYPES = re.compile(r"(^|\.)(BackgroundTasks|Response|Session|AsyncSession|Connection|Settings)$")
"""Annotations of parameters the framework fills from the server side."""

ID_TYPES = frozenset({"int", "float", "bool", "uuid.UUID", "UUID", "datetime.date", "datetime.datetime", "Decimal"})
"""Typed parameters are validated by the framework: what is left is an object id, not text."""

REQUEST_FIRST = frozenset({"django", "drf", "starlette", "aiohttp", "sanic", "pyramid", "falcon"})
"""Frameworks that pass the request as the handler's first parameter."""

_REQUEST_THEN_CLEAN = ("request", "clean")
PARAM_ROLES: dict[tuple[str, str], tuple[str, ...]] = {
    ("hook", "*"): ("clean", "data"),  # after_request(response), teardown(exc); url_value_preprocessor(_, values)
    ("error-handler", "*"): ("clean",),  # Flask: the exception only; the request is read from the request proxy
    ("error-handler", "fastapi"): _REQUEST_THEN_CLEAN,  # exception_handler(request, exc)
    ("error-handler", "starlette"): _REQUEST_THEN_CLEAN,
    ("error-handler", "sanic"): _REQUEST_THEN_CLEAN,
    ("error-handler", "django"): _REQUEST_THEN_CLEAN,  # handler404(request, exception)
    ("middleware", "*"): _REQUEST_THEN_CLEAN,  # (request, call_next / handler / get_response)
    ("middleware", "asgi"): ("data", "data", "clean"),  # pure ASGI __call__(scope, receive, send)
    ("socket", "socketio"): ("clean", "data"),  # python-socketio handlers get the session id first
}
"""Roles of an entry point's parameters by position, by (kind, framework or "*"), where they are not a route's.

The last role repeats; "data" falls back to the route rules (annotations, ``Depends``).
"""

METHOD_PARAMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("middleware", "process_view"): ("request", "clean", "data"),  # Django (request, view, view_args, view_kwargs)
    ("middleware", "process_resource"): ("request", "clean", "clean", "data"),  # Falcon (req, resp, resource, params)
}
"""Exceptions to :data:`PARAM_ROLES` for framework methods with a fixed signature."""

_ROUTE_CONVERTER = re.compile(r"<(int|float|uuid|path|string|slug)?:?(\w+)>")
_ROUTE_PLACEHOLDER = re.compile(r"<(\w+)(?::(\w+))?>|\{(\w+)(?::[^}]*)?\}|\(\?P<(\w+)>|/:(\w+)")
_CONVERTERS = frozenset("int float uuid path string str slug any number alpha ymd strorempty".split())


@dataclass(frozen=True)
class Param:
    """How one handler parameter starts: the request object, request data, or server-side."""

    name: str
    role: str  # "request", "data", "clean"
    kinds: frozenset[VulnType] = ALL_KINDS


Qualify = Callable[[str], "str | None"]


def handler_params(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    framework: str,
    route: str | None,
    qualify: Qualify,
    kind: str = "route",
) -> list[Param]:
    """The role of each parameter of an entry-point handler (``self``/``cls`` excluded)."""
    args = [*node.args.posonlyargs, *node.args.args]
    if args and args[0].arg in ("self", "cls"):
        args = args[1:]
    defaults = _defaults(node)
    converters = _route_converters(route)
    roles = _roles(kind, framework, node.name)
    params: list[Param] = []
    for position, arg in enumerate([*args, *node.args.kwonlyargs]):
        role = roles[min(position, len(roles) - 1)] if roles else None
        if role is not None and role != "data":
            params.append(Param(arg.arg, role))
        else:
            params.append(_param(arg, position, framework, defaults.get(arg.arg), converters, qualify, role is None))
    for extra in (node.args.vararg, node.args.kwarg):
        if extra is not None:
            params.append(Param(extra.arg, "data"))
    return params


def _roles(kind: str, framework: str, name: str) -> tuple[str, ...] | None:
    return METHOD_PARAMS.get((kind, name)) or PARAM_ROLES.get((kind, framework)) or PARAM_ROLES.get((kind, "*"))


def _param(
    arg: ast.arg,
    position: int,
    framework: str,
    default: ast.expr | None,
    converters: dict[str, str],
    qualify: Qualify,
    request_first: bool = True,
) -> Param:
    annotation = annotation_type(arg.annotation) if arg.annotation is not None else None
    qualified = (qualify(annotation) or annotation) if annotation else None
    if qualified in REQUEST_CLASSES or (position == 0 and request_first and framework in REQUEST_FIRST):
        return Param(arg.arg, "request")
    if framework == "falcon" and position == 1:
        return Param(arg.arg, "clean")  # the response object
    if _injected(default, qualify) or (qualified and SERVER_TYPES.search(qualified)):
        return Param(arg.arg, "clean")
    if (annotation and annotation in ID_TYPES) or (qualified and qualified in ID_TYPES):
        return Param(arg.arg, "data", ID_ONLY)
    if converters.get(arg.arg) in ("int", "float", "uuid"):
        return Param(arg.arg, "data", ID_ONLY)
    return Param(arg.arg, "data")


def _defaults(node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    positional = [*node.args.posonlyargs, *node.args.args]
    found = dict(zip([a.arg for a in positional[len(positional) - len(node.args.defaults) :]], node.args.defaults))
    for arg, default in zip(node.args.kwonlyargs, node.args.kw_defaults):
        if default is not None:
            found[arg.arg] = default
    return found


def _injected(default: ast.expr | None, qualify: Qualify) -> bool:
    if not isinstance(default, ast.Call):
        return False
    name = dotted(default.func)
    return name is not None and (qualify(name) or name) in INJECTED


def _route_converters(route: str | None) -> dict[str, str]:
    """``/notes/<int:note_id>`` → ``{"note_id": "int"}`` (Flask, Django path converters)."""
    if not route:
        return {}
    return {m.group(2): m.group(1) or "string" for m in _ROUTE_CONVERTER.finditer(route)}


def route_names(route: str | None) -> frozenset[str]:
    """Placeholders of a route: ``<int:id>``, ``<name:int>``, ``{name}``, ``(?P<name>...)``, ``/:name``."""
    names: set[str] = set()
    for match in _ROUTE_PLACEHOLDER.finditer(route or ""):
        first, second, brace, group, colon = match.groups()
        if first is not None:
            names.add(second if second is not None and first in _CONVERTERS else first)
        names.update(n for n in (brace, group, colon) if n)
    return frozenset(names)


def request_attributes(framework: str | None) -> frozenset[str]:
    return REQUEST_ATTRIBUTES.get(framework or "", ANY_REQUEST)


def global_request(qualified: str | None) -> str | None:
    """The framework of a module-level request proxy, if *qualified* names one."""
    return GLOBAL_REQUESTS.get(qualified or "")


TEXT_MAPPINGS = frozenset(
    "args form values cookies headers GET POST COOKIES META query_params path_params query forms params "
    "arguments query_arguments body_arguments matchdict match_info query_args".split()
)
"""Request mappings whose items are strings (``request.args["q"]``, ``request.GET.get("q")``)."""

TEXT_ATTRIBUTES = frozenset("data body query_string text full_path url".split())
"""Request attributes that are the raw text (or bytes) of the request."""

TEXT_METHODS = frozenset(
    "format format_map join replace strip lstrip rstrip lower upper title capitalize casefold swapcase center "
    "ljust rjust zfill expandtabs removeprefix removesuffix translate decode encode".split()
)
"""Methods whose result is a str (or bytes)."""

TEXT_FUNCTIONS = frozenset(
    "builtins.format builtins.chr urllib.parse.unquote urllib.parse.unquote_plus "
    "html.unescape textwrap.dedent textwrap.fill base64.b64decode base64.urlsafe_b64decode".split()
)
"""Functions whose result is a str (or bytes)."""


FORM_BASES: dict[str, str] = {
    **{name: "wtforms" for name in "wtforms.Form wtforms.form.Form flask_wtf.FlaskForm flask_wtf.Form "
       "flask_wtf.form.FlaskForm".split()},
    **{name: "django" for name in "django.forms.Form django.forms.ModelForm django.forms.forms.Form "
       "django.forms.models.ModelForm django.forms.BaseForm".split()},
    **{name: "drf" for name in "rest_framework.serializers.Serializer rest_framework.serializers.ModelSerializer "
       "rest_framework.serializers.HyperlinkedModelSerializer rest_framework.serializers.BaseSerializer".split()},
    **{name: "marshmallow" for name in "marshmallow.Schema marshmallow.schema.Schema".split()},
}
"""Base classes of form and input-schema classes, by library: their instances hold what the client sent."""

FORM_DATA: dict[str, frozenset[str]] = {
    "wtforms": frozenset({"data"}),  # ``form.data``; fields: ``form.name.data`` (see FIELD_DATA)
    "django": frozenset({"cleaned_data", "data"}),
    "drf": frozenset({"validated_data", "initial_data", "data"}),
    "marshmallow": frozenset(),
}
"""Attributes of a form instance that hold submitted values."""

BOUNDED_FIELDS = frozenset(
    "SelectField RadioField SelectMultipleField IntegerField DecimalField FloatField BooleanField DateField "
    "DateTimeField DateTimeLocalField TimeField MonthField IntegerRangeField DecimalRangeField".split()
)
"""WTForms fields whose validated ``data`` is one of the declared choices, or a number, a flag or a date."""

FORM_VALIDATORS = frozenset({"validate", "validate_on_submit"})
"""Calls that run a WTForms form's validators (choice fields reject values not in their choices)."""

FIELD_DATA = frozenset({"data", "raw_data"})
"""Attributes of a WTForms field (``form.comment.data``) that hold the submitted value."""

SCHEMA_LOADERS = frozenset({"load", "loads", "validate"})
"""Methods of an input schema (marshmallow) whose result is the data they were given."""
