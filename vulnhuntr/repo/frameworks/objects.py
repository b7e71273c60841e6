"""Which qualified names are framework objects that register routes.

Names are matched by their top-level package and final component, so
``flask.Flask``, ``flask.app.Flask`` and ``flask.sansio.app.Flask`` all count.
"""

from __future__ import annotations

_ROUTERS: dict[tuple[str, str], str] = {
    ("flask", "Flask"): "flask",
    ("flask", "Blueprint"): "flask",
    ("flask_restful", "Api"): "flask",
    ("flask_restx", "Api"): "flask",
    ("flask_restx", "Namespace"): "flask",
    ("quart", "Quart"): "quart",
    ("quart", "Blueprint"): "quart",
    ("fastapi", "FastAPI"): "fastapi",
    ("fastapi", "APIRouter"): "fastapi",
    ("starlette", "Starlette"): "starlette",
    ("starlette", "Router"): "starlette",
    ("sanic", "Sanic"): "sanic",
    ("sanic", "Blueprint"): "sanic",
    ("bottle", "Bottle"): "bottle",
    ("aiohttp", "RouteTableDef"): "aiohttp",
    ("aiohttp", "Application"): "aiohttp",
    ("azure", "FunctionApp"): "azure-functions",
    ("azure", "Blueprint"): "azure-functions",
    ("falcon", "App"): "falcon",
    ("falcon", "API"): "falcon",
    ("pyramid", "Configurator"): "pyramid",
    ("chalice", "Chalice"): "aws-lambda",
    ("chalice", "Blueprint"): "aws-lambda",
    ("ninja", "NinjaAPI"): "django",
    ("ninja", "Router"): "django",
    ("connexion", "App"): "flask",  # connexion's Flask apps take Flask routes too
    ("connexion", "FlaskApp"): "flask",
    ("connexion", "app"): "flask",  # ``connexion_app.app``: the Flask app inside
}

# Import roots whose presence in a module makes an untyped ``@x.route("/...")`` plausible, by preference.
IMPORT_ROOTS: dict[str, str] = {
    "flask": "flask",
    "flask_restful": "flask",
    "flask_restx": "flask",
    "quart": "quart",
    "fastapi": "fastapi",
    "starlette": "starlette",
    "sanic": "sanic",
    "bottle": "bottle",
    "aiohttp": "aiohttp",
    "falcon": "falcon",
    "pyramid": "pyramid",
    "azure.functions": "azure-functions",
}


ROUTER_PACKAGES: frozenset[str] = frozenset(
    {top for top, _ in _ROUTERS} | {"aws_lambda_powertools", "bottle", "azure.functions"}
)


def split(qualified: str) -> tuple[str, str]:
    """``"flask.app.Flask"`` → ``("flask", "Flask")``."""
    parts = qualified.split(".")
    return parts[0], parts[-1]


def router_framework(qualified: str | None) -> str | None:
    """The framework of an app/router/blueprint type, or None when it is not one."""
    if not qualified:
        return None
    top, last = split(qualified)
    if top == "aws_lambda_powertools" and last.endswith("Resolver"):
        return "aws-lambda"
    if top == "azure" and ".functions" not in qualified:
        return None
    return _ROUTERS.get((top, last))
