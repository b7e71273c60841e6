"""The one persistent cache: LLM answers, per-file indexes, run state and run stats.

Everything lives in a single SQLite file (``store.sqlite3``) in WAL mode, so
several vulnhuntr runs can share it: readers never block, writers wait up to a
busy timeout, and every write is one short ``INSERT OR REPLACE`` transaction.
Within a process one connection is shared behind a lock, so asyncio tasks and
worker threads can all use the same :class:`Store`.

A cache must never break a scan. When the file is corrupt, read-only, locked
for longer than the busy timeout or written by a newer vulnhuntr, the store
logs ONE warning that names the file and the fix, then turns into a no-op:
every get is a miss and every put is dropped.

Only the fields listed in the schema (:mod:`vulnhuntr.store_schema`) are stored; callers
hand in hashed keys, so API keys, headers, URLs and environment values never reach the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import platformdirs

from .findings import Usage
from .store_schema import MIGRATIONS, TooNew, migrate, rollback

log = logging.getLogger(__name__)

FILE_NAME = "store.sqlite3"
DEFAULT_BUSY_TIMEOUT = 5.0  # seconds another process may hold the write lock before we give up
_DAY = 86400.0

JsonKind = Literal["index", "run_state"]
_JSON_TABLES: dict[str, str] = {"index": "file_index", "run_state": "run_state"}
_TIME_COLUMNS: dict[str, str] = {
    "answers": "stored_at",
    "file_index": "stored_at",
    "run_state": "stored_at",
    "runs": "started_at",
}
"""Every table and the column ``clear(older_than_days=...)`` ages rows by."""

T = TypeVar("T")


def _now() -> float:
    """Wall-clock seconds; a function so tests can move time."""
    return time.time()


def digest(*parts: Any) -> str:
    """Hex sha256 of the canonical JSON of *parts*: the key format of every table.

    E.g. a per-file index key is ``digest(content_sha256, parser_version)``.
    """
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class CachedAnswer:
    """One stored LLM answer and what it cost when it was first paid for."""

    provider: str
    model: str
    text: str
    truncated: bool
    usage: Usage  # tokens of the original call (calls == 1)
    stored_at: float = 0.0


@dataclass
class RunStats:
    """Cache effectiveness of one run, for ``vulnhuntr cache stats`` and the run summary."""

    started_at: float
    hits: int = 0
    misses: int = 0
    saved: Usage = field(default_factory=Usage)  # usage of the answers served from the cache
    saved_usd: float | None = None  # None when the model has no known price

    @property
    def hit_rate(self) -> float | None:
        total = self.hits + self.misses
        return self.hits / total if total else None


@dataclass(frozen=True)
class StoreStats:
    """What ``vulnhuntr cache stats`` prints."""

    path: Path
    entries: dict[str, int]  # rows per table
    size_bytes: int  # database plus its WAL and shared-memory files
    last_run: RunStats | None
    disabled_reason: str | None


# --------------------------------------------------------------------------- connection


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """One autocommit connection usable from any thread (the Store serializes access)."""
    return sqlite3.connect(str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False)


def _prepare(conn: sqlite3.Connection) -> None:
    """WAL for concurrent runs; NORMAL sync is durable enough for a cache and much faster."""
    conn.execute("PRAGMA journal_mode=WAL").fetchone()
    conn.execute("PRAGMA synchronous=NORMAL")
    migrate(conn, MIGRATIONS)  # looked up here when called: a test appends a version to it


# --------------------------------------------------------------------------- failures


def _problem(exc: BaseException, path: Path) -> str:
    """A one-line reason naming *path* and what the user can do about it."""
    message = str(exc) or type(exc).__name__
    lowered = message.lower()
    if isinstance(exc, TooNew):
        return f"cache {path} {message}; upgrade vulnhuntr or use --cache-dir"
    if "locked" in lowered or "busy" in lowered:
        return (
            f"cache {path} is locked by another process ({message}); "
            "wait for the other vulnhuntr run, or use --cache-dir or --no-cache"
        )
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered or isinstance(exc, OSError):
        return f"cache {path} is not writable ({message}); fix its permissions, or use --cache-dir or --no-cache"
    return f"cache {path} is unusable ({message}); run `vulnhuntr cache clear` or delete {path}"


def _is_corrupt(exc: BaseException) -> bool:
    """A damaged file (as opposed to a locked or read-only one) is safe to throw away."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text)


# --------------------------------------------------------------------------- store


class Store:
    """The persistent cache; see the module docstring for the failure policy."""

    def __init__(self, path: Path, conn: sqlite3.Connection | None):
        """Use :meth:`open`; this only wires an already prepared connection."""
        self.path = path
        self._conn = conn
        self._lock = threading.Lock()
        self._corrupt = False
        self.disabled_reason: str | None = None

    @classmethod
    def open(cls, directory: Path | None = None, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Store:
        """The store in *directory* (default: the user cache dir); never raises, may come back disabled."""
        folder = Path(directory) if directory is not None else Path(platformdirs.user_cache_dir("vulnhuntr"))
        path = folder / FILE_NAME
        conn: sqlite3.Connection | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            conn = _connect(path, busy_timeout)
            _prepare(conn)
        except (sqlite3.Error, OSError, TooNew) as exc:
            store = cls(path, None)
            store._disable(exc, conn)
            return store
        return cls(path, conn)

    @property
    def enabled(self) -> bool:
        return self.disabled_reason is None

    # ---- guarded access

    def _run(self, action: Callable[[sqlite3.Connection], T], default: T) -> T:
        """Run *action* under the lock; any database failure disables the store and yields *default*."""
        with self._lock:
            if self._conn is None:
                return default
            try:
                return action(self._conn)
            except (sqlite3.Error, OSError) as exc:
                self._disable(exc, self._conn)
                return default

    def _disable(self, exc: BaseException, conn: sqlite3.Connection | None) -> None:
        """Become a no-op and say so exactly once."""
        self._corrupt = _is_corrupt(exc)
        self.disabled_reason = _problem(exc, self.path)
        self._conn = None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        log.warning("%s; continuing without the cache", self.disabled_reason)

    # ---- LLM answers

    def get_answer(self, key: str, ttl_days: float = 0) -> CachedAnswer | None:
        """The answer stored under *key*, or None when absent or older than *ttl_days* (0: never expires)."""
        row = self._run(lambda c: c.execute(
            "SELECT provider, model, text, truncated, input_tokens, output_tokens, cached_input_tokens, stored_at"
            " FROM answers WHERE key = ?", (key,)).fetchone(), None)
        if row is None or (ttl_days > 0 and _now() - row[7] > ttl_days * _DAY):
            return None
        usage = Usage(calls=1, input_tokens=row[4], output_tokens=row[5], cached_input_tokens=row[6])
        return CachedAnswer(row[0], row[1], row[2], bool(row[3]), usage, row[7])

    def put_answer(self, key: str, answer: CachedAnswer) -> None:
        """Store (or overwrite) the answer under *key*, stamped now."""
        values = (key, answer.provider, answer.model, answer.text, int(answer.truncated), answer.usage.input_tokens,
                  answer.usage.output_tokens, answer.usage.cached_input_tokens, _now())
        sql = "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        self._run(lambda c: c.execute(sql, values), None)

    # ---- JSON caches: per-file indexes, run state

    def get_json(self, kind: JsonKind, key: str) -> Any | None:
        """The value stored under *key* in *kind*, or None."""
        table = _JSON_TABLES[kind]
        row = self._run(lambda c: c.execute(f"SELECT value FROM {table} WHERE key = ?", (key,)).fetchone(), None)
        if row is None:
            return None
        try:
            return json.loads(row[0])
        except ValueError:  # a damaged value is a miss, not a crash
            return None

    def put_json(self, kind: JsonKind, key: str, value: Any) -> None:
        """Store (or overwrite) a JSON-serialisable *value* under *key* in *kind*."""
        table = _JSON_TABLES[kind]
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        self._run(lambda c: c.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?)", (key, text, _now())), None)

    def put_json_many(self, kind: JsonKind, items: list[tuple[str, Any]]) -> None:
        """Store many (key, value) pairs in *kind* in one transaction: one commit, not one per file."""
        if not items:
            return
        table = _JSON_TABLES[kind]
        now = _now()
        rows = [(key, json.dumps(value, ensure_ascii=False, separators=(",", ":")), now) for key, value in items]
        sql = f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?)"
        self._run(lambda c: _in_transaction(c, lambda: c.executemany(sql, rows)), None)

    # ---- run stats

    def record_run(self, stats: RunStats) -> None:
        """Append one run's hits, misses and savings."""
        saved = stats.saved
        values = (stats.started_at, stats.hits, stats.misses, saved.calls, saved.input_tokens, saved.output_tokens,
                  saved.cached_input_tokens, stats.saved_usd)
        self._run(lambda c: c.execute(
            "INSERT INTO runs (started_at, hits, misses, saved_calls, saved_input_tokens, saved_output_tokens,"
            " saved_cached_input_tokens, saved_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values), None)

    def stats(self) -> StoreStats:
        """Entries per table, size on disk and the last run's savings."""
        entries: dict[str, int] = self._run(_count_rows, {})
        row = self._run(lambda c: c.execute(
            "SELECT started_at, hits, misses, saved_calls, saved_input_tokens, saved_output_tokens,"
            " saved_cached_input_tokens, saved_usd FROM runs ORDER BY id DESC LIMIT 1").fetchone(), None)
        last = None
        if row is not None:
            last = RunStats(row[0], row[1], row[2], Usage(row[3], row[4], row[5], row[6]), row[7])
        return StoreStats(self.path, entries, self._size_on_disk(), last, self.disabled_reason)

    def _size_on_disk(self) -> int:
        files = (self.path, self.path.with_name(FILE_NAME + "-wal"), self.path.with_name(FILE_NAME + "-shm"))
        return sum(f.stat().st_size for f in files if f.exists())

    # ---- maintenance

    def clear(self, older_than_days: float | None = None) -> int:
        """Delete rows (all, or those older than *older_than_days*); returns how many went.

        A full clear also compacts the file. A corrupt file cannot be read at all,
        so a full clear deletes it instead (the next open starts afresh).
        """
        if self._conn is None:
            if self._corrupt and older_than_days is None:
                self._delete_files()
            return 0
        if older_than_days is None:
            removed = self._run(_delete_all, 0)
            self._run(_compact, None)
            return removed
        cutoff = _now() - older_than_days * _DAY
        return self._run(lambda c: _delete_older(c, cutoff), 0)

    def _delete_files(self) -> None:
        for name in (FILE_NAME, FILE_NAME + "-wal", FILE_NAME + "-shm"):
            self.path.with_name(name).unlink(missing_ok=True)
        log.warning("deleted the unusable cache %s", self.path)

    def close(self) -> None:
        """Release the connection; later calls are no-ops."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass


def _count_rows(conn: sqlite3.Connection) -> dict[str, int]:
    return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in _TIME_COLUMNS}


def _delete_all(conn: sqlite3.Connection) -> int:
    return _in_transaction(conn, lambda: sum(conn.execute(f"DELETE FROM {t}").rowcount for t in _TIME_COLUMNS))


def _delete_older(conn: sqlite3.Connection, cutoff: float) -> int:
    def work() -> int:
        deletes = (f"DELETE FROM {table} WHERE {column} < ?" for table, column in _TIME_COLUMNS.items())
        return sum(conn.execute(sql, (cutoff,)).rowcount for sql in deletes)

    return _in_transaction(conn, work)


def _compact(conn: sqlite3.Connection) -> None:
    """Give the space back after a full clear (VACUUM cannot run inside a transaction)."""
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()


def _in_transaction(conn: sqlite3.Connection, work: Callable[[], T]) -> T:
    """Run *work* as one write transaction so a multi-table delete is all or nothing."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work()
    except BaseException:
        rollback(conn)
        raise
    conn.execute("COMMIT")
    return result
