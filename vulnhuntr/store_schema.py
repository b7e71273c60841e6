"""The store's schema: forward migrations, and bringing a file to the latest version.

A store file records its schema version in ``PRAGMA user_version``; opening it
runs every migration from that version on, in one transaction, so an older file
is brought forward and a newer one (written by a later vulnhuntr) is left alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

Migration = Callable[[sqlite3.Connection], None]


def _v1(conn: sqlite3.Connection) -> None:
    """Answers, three JSON caches (symbol resolutions, per-file indexes, run state) and run stats."""
    conn.execute(
        "CREATE TABLE answers (key TEXT PRIMARY KEY, provider TEXT NOT NULL, model TEXT NOT NULL,"
        " text TEXT NOT NULL, truncated INTEGER NOT NULL, input_tokens INTEGER NOT NULL,"
        " output_tokens INTEGER NOT NULL, cached_input_tokens INTEGER NOT NULL, stored_at REAL NOT NULL)"
    )
    for table in ("resolutions", "file_index", "run_state"):  # as version 1 was: a migration never changes
        conn.execute(f"CREATE TABLE {table} (key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL)")
    conn.execute(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at REAL NOT NULL, hits INTEGER NOT NULL,"
        " misses INTEGER NOT NULL, saved_calls INTEGER NOT NULL, saved_input_tokens INTEGER NOT NULL,"
        " saved_output_tokens INTEGER NOT NULL, saved_cached_input_tokens INTEGER NOT NULL, saved_usd REAL)"
    )


def _v2(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS resolutions")  # the symbol-resolution cache: nothing but tests used it


MIGRATIONS: list[Migration] = [_v1, _v2]
"""Forward migrations; ``MIGRATIONS[i]`` takes the schema from version i to i + 1.

A schema change is one function appended here. Use ``conn.execute`` only
(``executescript`` would commit the migration transaction half-way).
"""


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
    """Bring the schema to ``len(migrations)`` in one transaction, safe against a concurrent opener."""
    latest = len(migrations)
    if _user_version(conn) == latest:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _user_version(conn)  # another process may have migrated while we waited
        if version > latest:
            raise TooNew(f"schema version {version} is newer than this vulnhuntr supports ({latest})")
        for number in range(version, latest):
            migrations[number](conn)
        conn.execute(f"PRAGMA user_version = {latest}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def rollback(conn: sqlite3.Connection) -> None:
    """Undo an open transaction (SQLite may already have rolled it back after an error)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


class TooNew(Exception):
    """The file was written by a newer vulnhuntr: leave it alone."""
