from typing import Any

from django.db import connection

from .models import Order


def _rows(cursor: Any) -> list[dict[str, Any]]:
    columns = [col[0] for col in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def search_products(term: str) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, sku, name, price FROM shop_product "
            "WHERE name LIKE '%" + term + "%' ORDER BY name LIMIT 50"
        )
        return _rows(cursor)


def products_in_category(category: str) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, sku, name, price FROM shop_product WHERE category = %s ORDER BY name",
            [category],
        )
        return _rows(cursor)


def order_by_id(order_id: int) -> Order:
    return Order.objects.select_related("customer").get(pk=order_id)
