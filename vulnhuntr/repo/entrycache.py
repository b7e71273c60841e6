"""Entry points of an unchanged repository, from the store: a warm map parses nothing.

Detection is repository-wide (a URLconf includes another file's patterns, a view's
base class lives elsewhere), so its result is cached whole, keyed by every indexed
file's path and content hash and by the detectors' own source. One changed file, or a
changed detector, is a miss. A run in which a detector read files besides the index
(connexion's API specs) is not cached: the key could not tell when they change.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from .frameworks.entry import EntryPoint
from .index import INDEX_VERSION, RepoIndex
from .skipped import SkippedFile

KIND = "entry-points"


class JsonStore(Protocol):
    """The part of :class:`vulnhuntr.store.Store` this cache uses."""

    def get_json(self, kind: Any, key: str) -> Any | None: ...

    def put_json(self, kind: Any, key: str, value: Any) -> None: ...


@lru_cache(maxsize=1)
def detectors_digest() -> str:
    """A hash of the source of :mod:`vulnhuntr.repo`: a changed detector or resolver never reuses old results."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_key(index: RepoIndex, parser: str) -> str:
    """Every indexed file (path, content hash), the index format, the interpreter and the detectors."""
    from ..store import digest

    files = sorted((m.path, m.sha256) for m in index.modules.values())
    return digest(KIND, detectors_digest(), INDEX_VERSION, parser, files)


def load(store: JsonStore, key: str) -> tuple[list[EntryPoint], list[SkippedFile]] | None:
    """The entry points and detector-skipped files stored under *key*, or None (absent or damaged)."""
    value = store.get_json("index", key)
    if not isinstance(value, dict):
        return None
    try:
        entries = [_entry(e) for e in value["entry_points"]]
        skipped = [SkippedFile(s["path"], s["reason"]) for s in value["skipped"]]
    except (TypeError, KeyError, ValueError):
        return None
    return entries, skipped


def save(store: JsonStore, key: str, entries: list[EntryPoint], skipped: list[SkippedFile]) -> None:
    value = {"entry_points": [e.to_dict() for e in entries], "skipped": [{"path": s.path, "reason": s.reason} for s in skipped]}
    store.put_json("index", key, value)


def _entry(data: dict[str, Any]) -> EntryPoint:
    methods = data["methods"]
    if not isinstance(methods, list):
        raise ValueError("methods is not a list")
    return EntryPoint(
        str(data["file"]), str(data["function"]), int(data["line"]), str(data["framework"]),
        None if data["route"] is None else str(data["route"]), tuple(str(m) for m in methods), str(data["kind"]),
    )
