from connexion import NoContent

from . import db


def search_items(q: str = "", sort: str = "name", limit: int = 25):
    items = db.find_items(q.strip(), sort, min(limit, 100))
    return {"items": items, "count": len(items)}, 200


def get_item(item_id: int):
    item = db.get_item(item_id)
    if item is None:
        return NoContent, 404
    return item, 200
