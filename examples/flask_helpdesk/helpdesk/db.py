import sqlite3

from flask import current_app, g


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def workspace_by_slug(slug: str) -> sqlite3.Row | None:
    query = f"SELECT id, slug, name FROM workspaces WHERE slug = '{slug}'"
    return get_db().execute(query).fetchone()


def list_tickets(workspace_id: int, term: str = "") -> list[sqlite3.Row]:
    return get_db().execute(
        "SELECT id, subject, priority, status FROM tickets "
        "WHERE workspace_id = ? AND subject LIKE ? ORDER BY id DESC",
        (workspace_id, f"%{term}%"),
    ).fetchall()


def get_ticket(workspace_id: int, ticket_id: int) -> sqlite3.Row | None:
    return get_db().execute(
        "SELECT id, subject, body, priority, status FROM tickets WHERE workspace_id = ? AND id = ?",
        (workspace_id, ticket_id),
    ).fetchone()


def create_ticket(workspace_id: int, subject: str, body: str, priority: str) -> int:
    conn = get_db()
    cur = conn.execute(
        "INSERT INTO tickets (workspace_id, subject, body, priority, status) VALUES (?, ?, ?, ?, 'open')",
        (workspace_id, subject, body, priority),
    )
    conn.commit()
    return int(cur.lastrowid)


def add_comment(ticket_id: int, author: str, body: str) -> None:
    conn = get_db()
    conn.execute(
        "INSERT INTO comments (ticket_id, author, body, created_at) VALUES (?, ?, ?, datetime('now'))",
        (ticket_id, author, body),
    )
    conn.commit()


def comments_for(ticket_id: int) -> list[sqlite3.Row]:
    return get_db().execute(
        "SELECT author, body, created_at FROM comments WHERE ticket_id = ? ORDER BY created_at",
        (ticket_id,),
    ).fetchall()
