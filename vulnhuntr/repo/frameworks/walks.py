"""Which files a detector may walk the syntax tree of, told by the file's own index.

Indexing drops each file's tree once its records are taken (all trees held at once are
most of a mapping's memory) but keeps the trees this module says a detector may walk,
and those of the modules they import (:mod:`vulnhuntr.repo.keep`), so such a file is
parsed once, not twice. The answer costs or saves time and memory, never a finding: a
tree not kept is parsed again the first time it is asked for. It reads one file's index,
so where a detector's walk depends on the rest of the repository (a framework imported
elsewhere) it leans to yes.
"""

from __future__ import annotations

from ..index import ModuleIndex
from .decorators import route_decorated
from .hooks import HOOK_CALLS, hook_decorated
from .middleware import has_callable_class
from .prefixes import MOUNT_CALLS
from .serverless import lambda_shaped
from .starlette import ADD_CALLS
from .urlconf import PATH_FUNCTIONS

WALKED_UNDER = frozenset({
    "aiohttp", "aws_lambda_powertools", "azure.functions", "bottle", "chalice", "connexion", "falcon", "fastapi",
    "flask", "flask_classful", "flask_classy", "flask_restful", "flask_restx", "flask_socketio", "functions_framework",
    "gradio", "graphene", "ninja", "pyramid", "quart", "rest_framework", "sanic", "socketio", "starlette",
    "strawberry", "tornado",
})
"""Imports after which some detector walks the importing module (django is left out: a Django
project's every module imports it, and its detectors walk URLconfs, found by their calls)."""

WALKED_CALLS = frozenset({
    *HOOK_CALLS, *MOUNT_CALLS, *ADD_CALLS,
    "add_url_rule", "add_resource", "add_middleware", "Middleware", "register", "add_view", "add_api",
    "on", "event", "on_event", "Depends", "Security",
})
"""Calls (by their last name) a detector looks for in the tree of a module that makes one."""


def may_walk(module: ModuleIndex) -> bool:
    """Might a detector walk *module*'s tree, whatever the rest of the repository holds?"""
    imported = module.imported_prefixes
    if not imported.isdisjoint(WALKED_UNDER):
        return True
    called = module.called_names
    if not called.isdisjoint(WALKED_CALLS) or ("django" in imported and not called.isdisjoint(PATH_FUNCTIONS)):
        return True
    if "MIDDLEWARE" in module.source or has_callable_class(module) or route_decorated(module, bottle=False):
        return True
    return hook_decorated(module) or any(lambda_shaped(d) for d in module.definitions)

