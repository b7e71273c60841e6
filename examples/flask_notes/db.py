import sqlite3

from flask import g

from .config import DATABASE


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE)
        g.db.row_factory = sqlite3.Row
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def list_notes(owner_id: int) -> list[sqlite3.Row]:
    return get_db().execute(
        "SELECT id, title, updated_at FROM notes WHERE owner_id = ? ORDER BY updated_at DESC",
        (owner_id,),
    ).fetchall()


def insert_note(owner_id: int, title: str, filename: str) -> int:
    conn = get_db()
    cur = conn.execute(
        "INSERT INTO notes (owner_id, title, filename, updated_at) VALUES (?, ?, ?, datetime('now'))",
        (owner_id, title, filename),
    )
    conn.commit()
    return int(cur.lastrowid)


def get_note(note_id: int) -> sqlite3.Row | None:
    cur = get_db().execute(
        "SELECT id, owner_id, title, filename FROM notes WHERE id = ?", (note_id,)
    )
    return cur.fetchone()


def search_notes(owner_id: int, term: str) -> list[sqlite3.Row]:
    query = (
        "SELECT id, title FROM notes "
        f"WHERE owner_id = {owner_id} AND title LIKE '%{term}%' "
        "ORDER BY updated_at DESC"
    )
    return get_db().execute(query).fetchall()


def notes_with_tag(owner_id: int, tag: str) -> list[sqlite3.Row]:
    return get_db().execute(
        "SELECT n.id, n.title FROM notes n JOIN tags t ON t.note_id = n.id "
        "WHERE n.owner_id = ? AND t.name = ?",
        (owner_id, tag),
    ).fetchall()
