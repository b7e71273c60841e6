"""The function being analysed and how it was reached (entry point or helper summary)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property

from ..repo.frameworks.syntax import FunctionNode, positional_names
from ..repo.index import ModuleIndex
from .env import RepoClass
from .ownership import gated_ids, ownership_checked
from .sinks import imported_roots


@dataclass(frozen=True)
class Frame:
    """One function under analysis."""

    module: ModuleIndex
    node: FunctionNode
    qualname: str
    receiver: RepoClass | None  # the runtime class of ``self``, when a method
    framework: str | None  # the entry point's framework, for ``self.request``-style sources
    entry: bool  # an entry point (parameters are request data) rather than a summary
    depth: int = 0
    request_params: frozenset[tuple[str, str]] = frozenset()  # (parameter, framework) given a request object
    fixed_path: bool = False  # the entry point's route has no variable part: ``request.path`` is known text

    @property
    def file(self) -> str:
        return self.module.path

    @cached_property
    def owner_checked(self) -> bool:
        """The function compares an owner field with the user: IDOR hits through it are dropped."""
        return ownership_checked(self.node)

    @cached_property
    def gates(self) -> dict[str, int]:
        """Ids a lookup checks before the function goes on (see ``ownership.gated_ids``)."""
        return gated_ids(self.node)

    @cached_property
    def imported_roots(self) -> frozenset[str]:
        """The top-level modules the file imports (``pymongo``), for sink rules known by library."""
        module = self.module
        return imported_roots(module.path, module.sha256, (r.module for r in module.imports))

    @cached_property
    def is_method(self) -> bool:
        """The first parameter is ``self``/``cls`` (not for static methods)."""
        decorators = {d.id if isinstance(d, ast.Name) else getattr(d, "attr", "") for d in self.node.decorator_list}
        args = positional_names(self.node)
        return "." in self.qualname and "staticmethod" not in decorators and bool(args) and self.receiver is not None


PATH_ATTRIBUTES = frozenset({"path"})
"""Request attributes that hold the URL path only (no query string): fixed text on a route without variables."""


def fixed_route(route: str | None) -> bool:
    """``/reports/daily`` serves one path; ``/files/<name>``, ``*`` (hooks, error handlers) or unknown serve many."""
    return bool(route) and route != "*" and "<" not in route and "{" not in route and ":" not in route  # type: ignore[operator]
