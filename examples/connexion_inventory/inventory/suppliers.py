from connexion import NoContent

from . import db, remote


def sync_catalog(supplier_id: int, body: dict):
    supplier = db.get_supplier(supplier_id)
    if supplier is None:
        return NoContent, 404
    prices = remote.fetch_price_feed(body["feed_url"])
    saved = db.save_prices(supplier_id, prices)
    return {"supplier": supplier["name"], "prices": saved}, 200


def supplier_status(supplier_id: int, host: str = ""):
    supplier = db.get_supplier(supplier_id)
    if supplier is None:
        return NoContent, 404
    try:
        return remote.supplier_health(host or supplier["status_host"]), 200
    except ValueError as exc:
        return {"detail": str(exc)}, 400
