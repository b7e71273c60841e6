"""Where untrusted input enters a web application: route handlers, views, serverless handlers.

Each framework family has its detector in :mod:`vulnhuntr.repo.frameworks`; they
all identify framework objects by import origin through the resolver, never by
variable names or text patterns. The same handler is often found twice (a Django
class view by its base class and again through ``urls.py``): the findings are
merged per ``(file, function)``, keeping the one that knows the route.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Iterable

from .frameworks import (
    aiohttp,
    classful,
    classviews,
    connexion,
    decorators,
    dependencies,
    django,
    drf,
    falcon,
    flask,
    gradio,
    graphql,
    hooks,
    middleware,
    pyramid,
    sanic,
    serverless,
    socketio,
    starlette,
    tornado,
)
from .frameworks.context import Context
from .frameworks.entry import EntryPoint
from .index import RepoIndex
from .resolve import Resolver
from .skipped import SkippedFile

__all__ = ["Detection", "EntryPoint", "find_entry_points", "detect_entry_points", "DETECTORS"]
log = logging.getLogger(__name__)

Detector = Callable[[Context], Iterable[EntryPoint]]

DETECTORS: tuple[Detector, ...] = (
    decorators.detect,
    flask.detect,
    hooks.detect,
    middleware.detect,
    starlette.detect,
    dependencies.detect,
    django.detect,
    drf.detect,
    aiohttp.detect,
    tornado.detect,
    pyramid.detect,
    sanic.detect,
    falcon.detect,
    gradio.detect,
    graphql.detect,
    serverless.detect,
    socketio.detect,
    classviews.detect,
    classful.detect,
    connexion.detect,
)


@dataclass(frozen=True)
class Detection:
    """What the detectors found, and whether it depends on files besides the index."""

    entry_points: list[EntryPoint]  # one per handler function, sorted
    skipped: list[SkippedFile]  # files the detectors read besides the code (API specs) and could not use
    reads_files: bool  # a detector read such files: the index alone does not determine the result


def find_entry_points(
    index: RepoIndex, resolver: Resolver, skipped: list[SkippedFile] | None = None
) -> list[EntryPoint]:
    """Every entry point of the repository, one per handler function, sorted.

    Files the detectors read besides the code (API specs) and could not use are added to *skipped*.
    """
    found = detect_entry_points(index, resolver)
    if skipped is not None:
        skipped.extend(found.skipped)
    return found.entry_points


def detect_entry_points(index: RepoIndex, resolver: Resolver) -> Detection:
    """Run every detector once over the repository."""
    ctx = Context(index, resolver)
    found: list[EntryPoint] = []
    for detect in DETECTORS:
        found += _run(detect, ctx)
    return Detection(merge(found), ctx.skipped, ctx.reads_files)


def _run(detect: Detector, ctx: Context) -> list[EntryPoint]:
    """One detector's findings; an unexpected failure costs that framework, never the whole scan."""
    found: list[EntryPoint] = []
    try:
        for entry in detect(ctx):
            found.append(entry)
    except (RecursionError, ValueError, TypeError, AttributeError, KeyError, IndexError):
        log.warning("entry-point detector %s failed; its findings may be incomplete", detect.__module__, exc_info=True)
    return found


def merge(found: Iterable[EntryPoint]) -> list[EntryPoint]:
    """One entry per ``(file, function)``: the first that knows a route, its methods joined with the same route's."""
    groups: dict[tuple[str, str], list[EntryPoint]] = {}
    for entry in found:
        groups.setdefault((entry.file, entry.function), []).append(entry)
    return sorted(_best(group) for group in groups.values())


def _best(group: list[EntryPoint]) -> EntryPoint:
    best = next((e for e in group if e.route is not None), group[0])
    methods: list[str] = []
    for entry in group:
        if entry.route == best.route and entry.framework == best.framework:
            methods += [m for m in entry.methods if m not in methods]
    return EntryPoint(best.file, best.function, best.line, best.framework, best.route, tuple(methods), best.kind)
