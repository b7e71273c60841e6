import re

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

BOLD = re.compile(r"\*\*(.+?)\*\*")
LINK = re.compile(r"\[(.+?)\]\((https?://[^)\s]+)\)")


def render_markup(text: str) -> SafeString:
    html = BOLD.sub(r"<strong>\1</strong>", text)
    html = LINK.sub(r'<a href="\2" rel="nofollow">\1</a>', html)
    paragraphs = "".join(f"<p>{block}</p>" for block in html.split("\n\n") if block.strip())
    return mark_safe(paragraphs)


def author_badge(username: str, post_count: int) -> SafeString:
    return format_html('<span class="badge" title="{} posts">{}</span>', post_count, username)
