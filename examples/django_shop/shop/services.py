from decimal import Decimal
from typing import Any

import yaml

from .models import Product


def apply_promotion(rule: str, subtotal: Decimal, item_count: int) -> Decimal:
    scope: dict[str, Any] = {"subtotal": subtotal, "items": item_count, "Decimal": Decimal}
    result = eval(rule, {"__builtins__": {}}, scope)
    return Decimal(result).quantize(Decimal("0.01"))


def import_catalog(document: bytes) -> int:
    data = yaml.load(document, Loader=yaml.Loader)
    count = 0
    for item in data.get("products", []):
        Product.objects.update_or_create(
            sku=item["sku"],
            defaults={
                "name": item["name"],
                "category": item.get("category", "misc"),
                "price": Decimal(str(item["price"])),
                "description": item.get("description", ""),
            },
        )
        count += 1
    return count
