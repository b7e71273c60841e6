import sqlite3

from flask import current_app, g

SORT_DEFAULT = "name"


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def find_items(term: str, sort: str, limit: int) -> list[dict]:
    sql = (
        "SELECT id, sku, name, quantity, location FROM items "
        "WHERE name LIKE ? "
        f"ORDER BY {sort or SORT_DEFAULT} LIMIT ?"
    )
    rows = get_db().execute(sql, (f"%{term}%", limit)).fetchall()
    return [dict(row) for row in rows]


def get_item(item_id: int) -> dict | None:
    row = get_db().execute(
        "SELECT id, sku, name, quantity, location FROM items WHERE id = ?", (item_id,)
    ).fetchone()
    return dict(row) if row else None


def get_supplier(supplier_id: int) -> dict | None:
    row = get_db().execute(
        "SELECT id, name, status_host FROM suppliers WHERE id = ?", (supplier_id,)
    ).fetchone()
    return dict(row) if row else None


def save_prices(supplier_id: int, prices: list[dict]) -> int:
    conn = get_db()
    conn.executemany(
        "INSERT OR REPLACE INTO prices (supplier_id, sku, price) VALUES (?, ?, ?)",
        [(supplier_id, p["sku"], p["price"]) for p in prices],
    )
    conn.commit()
    return len(prices)
