from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


def review_html(product_name: str, author: str, body: str) -> SafeString:
    paragraphs = "".join(f"<p>{line}</p>" for line in body.splitlines() if line.strip())
    return mark_safe(
        f'<h3>{escape(product_name)}</h3>'
        f'<blockquote class="review"><cite>{escape(author)}</cite>{paragraphs}</blockquote>'
    )


def category_heading(category: str, count: int) -> SafeString:
    return format_html('<h2>{} <small>({} products)</small></h2>', category, count)


def product_row(product: dict[str, Any]) -> SafeString:
    return format_html('<li><a href="/products/{}/">{}</a> {}</li>', product["id"], product["name"], product["price"])
