"""The persistent store: round trips, expiry, migrations, concurrent processes and the failure policy."""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import multiprocessing
import os
import sqlite3
import sys
import threading
import types
from pathlib import Path
from typing import Any

import pytest

if multiprocessing.current_process().name != "MainProcess" and "vulnhuntr" not in sys.modules:
    # A spawned worker of the multi-process test imports this module afresh. Load
    # vulnhuntr.store without vulnhuntr/__init__, which imports every LLM SDK (~2 s a process).
    _spec = importlib.util.find_spec("vulnhuntr")
    assert _spec is not None and _spec.submodule_search_locations is not None
    _package = types.ModuleType("vulnhuntr")
    _package.__path__ = list(_spec.submodule_search_locations)
    sys.modules["vulnhuntr"] = _package

from vulnhuntr import store as store_module  # noqa: E402
from vulnhuntr.findings import Usage  # noqa: E402
from vulnhuntr.store import FILE_NAME, CachedAnswer, RunStats, Store, digest  # noqa: E402

DAY = 86400.0


def answer(text: str = "{}", tokens: int = 100) -> CachedAnswer:
    return CachedAnswer("openai", "gpt-test", text, False, Usage(1, tokens, tokens // 2, tokens // 4))


def warnings_from_store(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "vulnhuntr.store" and r.levelno == logging.WARNING]


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path)
    yield opened
    opened.close()


def assert_no_op(store: Store) -> None:
    """A disabled store answers nothing and swallows everything."""
    store.put_answer("k", answer())
    store.put_json("index", "k", {"a": 1})
    store.record_run(RunStats(0.0, 1, 1))
    assert store.get_answer("k") is None
    assert store.get_json("index", "k") is None
    assert store.stats().entries == {}
    assert store.clear(older_than_days=1) == 0


# --------------------------------------------------------------------------- basics


def test_open_creates_the_directory_in_wal_mode(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "cache"
    opened = Store.open(folder)
    opened.close()
    assert opened.enabled and opened.disabled_reason is None
    conn = sqlite3.connect(folder / FILE_NAME)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(store_module.MIGRATIONS)
    conn.close()


def test_default_directory_is_the_user_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module.platformdirs, "user_cache_dir", lambda app: str(tmp_path / app))
    opened = Store.open(None)
    opened.close()
    assert opened.path == tmp_path / "vulnhuntr" / FILE_NAME and opened.path.exists()


def test_answers_round_trip_and_overwrite(store: Store) -> None:
    assert store.get_answer("k") is None
    store.put_answer("k", CachedAnswer("claude", "m", "first", True, Usage(1, 10, 5, 2)))
    got = store.get_answer("k")
    assert got is not None
    assert dataclasses.replace(got, stored_at=0.0) == CachedAnswer("claude", "m", "first", True, Usage(1, 10, 5, 2))
    assert got.stored_at > 0
    store.put_answer("k", answer("second"))
    assert store.get_answer("k").text == "second"
    assert store.stats().entries["answers"] == 1


def test_json_kinds_round_trip_separately(store: Store) -> None:
    for kind in ("index", "run_state"):
        store.put_json(kind, "same-key", {"kind": kind, "list": [1, 2]})
    assert [store.get_json(k, "same-key")["kind"] for k in ("index", "run_state")] == ["index", "run_state"]
    assert store.get_json("index", "other") is None


def test_ttl_expires_answers_and_zero_never_does(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(store_module, "_now", lambda: now[0])
    store.put_answer("k", answer("fresh"))
    now[0] += 6.9 * DAY
    assert store.get_answer("k", ttl_days=7).text == "fresh"
    now[0] += 0.2 * DAY
    assert store.get_answer("k", ttl_days=7) is None
    assert store.get_answer("k", ttl_days=0).text == "fresh"
    store.put_answer("k", answer("renewed"))  # a miss is re-asked and re-stamped
    assert store.get_answer("k", ttl_days=7).text == "renewed"


def test_digest_is_canonical() -> None:
    assert digest({"a": 1, "b": [1, 2]}, "x") == digest({"b": [1, 2], "a": 1}, "x")
    assert digest({"a": 1}, "x") != digest({"a": 1}, "y")
    assert len(digest("x")) == 64


def test_stats_record_run_and_clear(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(store_module, "_now", lambda: now[0])
    store.put_answer("old", answer())
    store.put_json("index", "old", {"x": "y" * 5000})
    now[0] += 10 * DAY
    store.put_answer("new", answer())
    store.record_run(RunStats(now[0], hits=3, misses=1, saved=Usage(3, 300, 30, 0), saved_usd=0.25))
    stats = store.stats()
    assert stats.entries == {"answers": 2, "file_index": 1, "run_state": 0, "runs": 1}
    assert stats.size_bytes > 0 and stats.disabled_reason is None
    assert stats.last_run == RunStats(now[0], 3, 1, Usage(3, 300, 30, 0), 0.25)
    assert stats.last_run.hit_rate == 0.75
    assert store.clear(older_than_days=5) == 2
    assert store.get_answer("new") is not None and store.get_answer("old") is None
    assert store.clear() == 2
    assert store.stats().entries == {"answers": 0, "file_index": 0, "run_state": 0, "runs": 0}
    assert store.stats().last_run is None


def test_one_store_shared_by_many_threads(store: Store) -> None:
    def work(worker: int) -> None:
        for i in range(50):
            store.put_answer(f"{worker}-{i}", answer(f"{worker}-{i}"))
            assert store.get_answer(f"{worker}-{i}").text == f"{worker}-{i}"

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.stats().entries["answers"] == 400


# --------------------------------------------------------------------------- migrations

V1_SCHEMA = [
    "CREATE TABLE answers (key TEXT PRIMARY KEY, provider TEXT NOT NULL, model TEXT NOT NULL, text TEXT NOT NULL,"
    " truncated INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,"
    " cached_input_tokens INTEGER NOT NULL, stored_at REAL NOT NULL)",
    "CREATE TABLE resolutions (key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL)",
    "CREATE TABLE file_index (key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL)",
    "CREATE TABLE run_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL)",
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at REAL NOT NULL, hits INTEGER NOT NULL,"
    " misses INTEGER NOT NULL, saved_calls INTEGER NOT NULL, saved_input_tokens INTEGER NOT NULL,"
    " saved_output_tokens INTEGER NOT NULL, saved_cached_input_tokens INTEGER NOT NULL, saved_usd REAL)",
]


def make_v1_database(folder: Path) -> None:
    """A version-1 file written by hand, as an older vulnhuntr left it."""
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / FILE_NAME)
    for statement in V1_SCHEMA:
        conn.execute(statement)
    conn.execute("INSERT INTO answers VALUES ('k', 'openai', 'm', 'kept', 0, 1, 2, 3, 4e9)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_a_v1_database_is_migrated_forward(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def next_version(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE answers ADD COLUMN note TEXT")

    make_v1_database(tmp_path)
    migrations = [*store_module.MIGRATIONS, next_version]
    monkeypatch.setattr(store_module, "MIGRATIONS", migrations)
    opened = Store.open(tmp_path)
    assert opened.enabled
    assert opened.get_answer("k").text == "kept"
    opened.put_answer("k2", answer("new"))
    opened.close()
    conn = sqlite3.connect(tmp_path / FILE_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations)
    assert "note" in [row[1] for row in conn.execute("PRAGMA table_info(answers)")]
    conn.close()


def _schema(folder: Path) -> list[str]:
    conn = sqlite3.connect(folder / FILE_NAME)
    rows = sorted(r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table'"))
    conn.close()
    return [" ".join(sql.split()) for sql in rows]


def test_the_current_schema_is_the_hand_written_v1_migrated(tmp_path: Path) -> None:
    """Catches a schema edited in place instead of migrated."""
    make_v1_database(tmp_path / "hand")
    assert _schema(tmp_path / "hand") == sorted(" ".join(sql.split()) for sql in V1_SCHEMA)
    Store.open(tmp_path / "hand").close()
    Store.open(tmp_path / "code").close()
    assert _schema(tmp_path / "hand") == _schema(tmp_path / "code")


def test_version_2_drops_the_unused_resolutions_table_and_keeps_the_rest(tmp_path: Path) -> None:
    make_v1_database(tmp_path)
    conn = sqlite3.connect(tmp_path / FILE_NAME)
    conn.execute("INSERT INTO resolutions VALUES ('r', '{}', 4e9)")
    conn.execute("INSERT INTO file_index VALUES ('i', '{\"x\": 1}', 4e9)")
    conn.commit()
    conn.close()
    opened = Store.open(tmp_path)
    assert opened.enabled
    assert opened.stats().entries == {"answers": 1, "file_index": 1, "run_state": 0, "runs": 0}
    assert opened.get_answer("k").text == "kept" and opened.get_json("index", "i") == {"x": 1}
    opened.close()
    conn = sqlite3.connect(tmp_path / FILE_NAME)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()
    assert tables == {"answers", "file_index", "run_state", "runs"}


def test_a_database_from_a_newer_vulnhuntr_is_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_v1_database(tmp_path)
    conn = sqlite3.connect(tmp_path / FILE_NAME)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    opened = Store.open(tmp_path)
    assert "newer" in opened.disabled_reason
    assert_no_op(opened)
    assert len(warnings_from_store(caplog)) == 1
    conn = sqlite3.connect(tmp_path / FILE_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 99
    conn.close()


# --------------------------------------------------------------------------- several processes

WRITES = 200


def _worker(folder: str, worker: int, start: Any, results: Any) -> None:
    """After every worker is up, write and read back WRITES answers and JSON values; report the count."""
    opened = Store.open(Path(folder))
    start.wait(timeout=30)  # all processes hammer the file at the same time
    good = 0
    for i in range(WRITES):
        key = f"{worker}-{i}"
        opened.put_answer(key, answer(key))
        opened.put_json("index", key, {"worker": worker, "i": i})
        got = opened.get_answer(key)
        good += got is not None and got.text == key and opened.get_json("index", key) == {"worker": worker, "i": i}
    opened.record_run(RunStats(float(worker), hits=good))
    results.put((worker, good, opened.disabled_reason))
    opened.close()


def test_several_processes_share_one_file_without_losing_entries(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_worker, args=(str(tmp_path), n, start, results)) for n in range(4)]
    for process in workers:
        process.start()
    reports = sorted(results.get(timeout=60) for _ in workers)
    for process in workers:
        process.join(timeout=30)
    assert reports == [(n, WRITES, None) for n in range(4)]
    assert [process.exitcode for process in workers] == [0] * 4
    opened = Store.open(tmp_path)
    stats = opened.stats()
    assert stats.entries["answers"] == 4 * WRITES and stats.entries["file_index"] == 4 * WRITES
    assert stats.entries["runs"] == 4
    assert all(opened.get_answer(f"{w}-{i}").text == f"{w}-{i}" for w in range(4) for i in range(WRITES))
    opened.close()
    conn = sqlite3.connect(tmp_path / FILE_NAME)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


# --------------------------------------------------------------------------- failure policy


def test_a_corrupt_file_warns_once_and_clear_deletes_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / FILE_NAME
    path.write_bytes(b"this is not an sqlite database\x00\xff" * 200)
    opened = Store.open(tmp_path)
    assert not opened.enabled
    assert str(path) in opened.disabled_reason and "vulnhuntr cache clear" in opened.disabled_reason
    assert_no_op(opened)
    records = warnings_from_store(caplog)
    assert len(records) == 1 and str(path) in records[0].getMessage()
    assert opened.clear() == 0 and not path.exists()
    reopened = Store.open(tmp_path)
    reopened.put_answer("k", answer("ok"))
    assert reopened.get_answer("k").text == "ok"
    reopened.close()


def test_a_read_only_database_warns_once_and_drops_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Root ignores file modes, so read-only is enforced by SQLite itself (``mode=ro``)."""
    writable = Store.open(tmp_path)
    writable.put_answer("k", answer("stored"))
    writable.close()

    def read_only(path: Path, busy_timeout: float) -> sqlite3.Connection:
        return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=busy_timeout,
                               isolation_level=None, check_same_thread=False)

    monkeypatch.setattr(store_module, "_connect", read_only)
    opened = Store.open(tmp_path)
    opened.put_answer("k2", answer())  # must not raise
    assert not opened.enabled and "not writable" in opened.disabled_reason
    assert str(tmp_path / FILE_NAME) in opened.disabled_reason
    assert_no_op(opened)
    assert len(warnings_from_store(caplog)) == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="file modes do not stop root")
def test_a_read_only_directory_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        opened = Store.open(folder)
        assert_no_op(opened)
    finally:
        folder.chmod(0o700)
    assert not opened.enabled and len(warnings_from_store(caplog)) == 1


def test_an_unusable_directory_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A plain file where the directory should be fails even for root."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    opened = Store.open(blocker / "cache")
    assert not opened.enabled and "--cache-dir" in opened.disabled_reason
    assert_no_op(opened)
    assert len(warnings_from_store(caplog)) == 1


def test_a_locked_database_warns_once_and_turns_into_a_no_op(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    opened = Store.open(tmp_path, busy_timeout=0.1)
    opened.put_answer("k", answer("before"))
    holder = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        opened.put_answer("k2", answer())  # waits 0.1 s, then gives up quietly
        assert not opened.enabled and "locked" in opened.disabled_reason
        assert_no_op(opened)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    records = warnings_from_store(caplog)
    assert len(records) == 1 and str(tmp_path / FILE_NAME) in records[0].getMessage()
    opened.close()
    again = Store.open(tmp_path)  # nothing was damaged
    assert again.get_answer("k").text == "before"
    again.close()
