"""The repository model in one value: files, index, entry points and what was skipped.

Building it needs no LLM, so ``--list-entrypoints`` and the analysis share it.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..config import Settings
from ..heap import long_lived
from ..store import Store, digest
from .discover import discover
from . import entrycache
from .entrypoints import EntryPoint, detect_entry_points
from .frameworks.walks import may_walk
from .index import INDEX_VERSION, RepoIndex, build_index
from .rendering import TemplateSearch
from .resolve import Resolver
from .skipped import SkippedFile
from .templates import TemplateSet, load_templates

log = logging.getLogger(__name__)


@dataclass
class RepositoryMap:
    """What the repository holds, before any LLM is asked anything."""

    root: Path
    files: tuple[str, ...]
    entry_points: list[EntryPoint]
    skipped: list[SkippedFile]
    readme: str | None
    index: RepoIndex = field(repr=False)
    scope: str | None = None  # ``--analyze`` as a relative path; None = the whole root
    forced_files: tuple[str, ...] = ()  # a file named by ``--analyze``: analysed even without entry points
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    templates: TemplateSet = field(default_factory=TemplateSet, repr=False)  # scanned template files

    @cached_property
    def template_search(self) -> TemplateSearch:
        """Render call → template file and its escaping, for the static pass and the prompts alike."""
        return TemplateSearch(self.index, self.resolver, self.templates)

    @cached_property
    def resolver(self) -> Resolver:
        """One resolver per repository: its memo serves entry points, the static pass and the analysis."""
        return Resolver(self.index)

    def in_scope(self, relpath: str) -> bool:
        return self.scope is None or relpath == self.scope or relpath.startswith(self.scope + "/")

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "files": len(self.files),
            "readme": self.readme,
            "entry_points": [e.to_dict() for e in self.entry_points if self.in_scope(e.file)],
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
        }


PARSER = f"python{sys.version_info[0]}.{sys.version_info[1]}"
"""Part of every cached index's key: each interpreter's own parser reads the file again on demand
(``ModuleIndex.tree``), so an entry made under another Python version may not parse here."""


class StoreIndexCache:
    """Per-file indexes in the persistent store, keyed by content, path, index version and interpreter."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: list[tuple[str, Any]] = []

    def get(self, sha256: str, relpath: str) -> dict[str, Any] | None:
        value = self.store.get_json("index", digest(sha256, relpath, INDEX_VERSION, PARSER))
        return value if isinstance(value, dict) else None

    def put(self, sha256: str, relpath: str, data: dict[str, Any]) -> None:
        """Kept until :meth:`flush`: the new indexes of a run are written in one transaction."""
        self._pending.append((digest(sha256, relpath, INDEX_VERSION, PARSER), data))

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        self.store.put_json_many("index", pending)


def map_repository(settings: Settings, store: Store | None = None) -> RepositoryMap:
    """Discover, index and find entry points under ``settings.root``.

    The whole root is indexed even with ``--analyze``, so calls from the analysed
    files can still be resolved into the rest of the project. With a *store*,
    unchanged files are not indexed again.
    """
    with long_lived():  # the trees being built are no garbage: collections need not walk them again
        return _map_repository(settings, store)


def _map_repository(settings: Settings, store: Store | None) -> RepositoryMap:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    found = discover(settings.root, include=settings.include, exclude=settings.exclude)
    scope, forced = _scope(settings)
    files = found.files
    if forced and forced[0] not in files:
        files = tuple(sorted({*files, *forced}))
    timings["discover"] = time.perf_counter() - started
    log.info("discovered %d Python files under %s", len(files), found.root)

    started = time.perf_counter()
    cache = StoreIndexCache(store) if store else None
    index = build_index(found.root, files, settings.max_file_bytes, cache, keep=may_walk)
    timings["index"] = time.perf_counter() - started
    log.info("indexed %d files, skipped %d", len(index.modules), len(index.skipped))

    started = time.perf_counter()
    templates = load_templates(found.root, found.templates, settings.max_file_bytes)  # cheap: rescanned every run
    timings["templates"] = time.perf_counter() - started

    repository = RepositoryMap(
        root=found.root,
        files=files,
        entry_points=[],
        skipped=sorted([*found.skipped, *index.skipped, *templates.skipped]),
        readme=found.readme,
        index=index,
        scope=scope,
        forced_files=forced,
        timings=timings,
        templates=templates,
    )
    started = time.perf_counter()
    entry_points, detector_skipped = _entry_points(repository, store)
    repository.entry_points = entry_points
    repository.skipped.extend(detector_skipped)
    repository.skipped.sort()
    timings["entry_points"] = time.perf_counter() - started
    log.info("found %d entry points", len(repository.entry_points))
    return repository


def _entry_points(repository: RepositoryMap, store: Store | None) -> tuple[list[EntryPoint], list[SkippedFile]]:
    """The detectors' result, from the store when no indexed file and no detector changed since it was stored."""
    key = entrycache.cache_key(repository.index, PARSER) if store is not None else None
    if store is not None and key is not None:
        cached = entrycache.load(store, key)
        if cached is not None:
            return cached
    found = detect_entry_points(repository.index, repository.resolver)
    if store is not None and key is not None and not found.reads_files:
        entrycache.save(store, key, found.entry_points, found.skipped)
    return found.entry_points, found.skipped


def _scope(settings: Settings) -> tuple[str | None, tuple[str, ...]]:
    if settings.analyze is None:
        return None, ()
    relative = settings.analyze.resolve().relative_to(settings.root).as_posix()
    if relative == ".":
        return None, ()
    return relative, ((relative,) if settings.analyze.is_file() else ())
