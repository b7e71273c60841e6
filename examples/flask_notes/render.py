from flask import render_template_string
from markupsafe import Markup

FOOTER = "Shared with Flask Notes"


def note_html(body: str) -> Markup:
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
    html = "".join(f"<p>{p}</p>" for p in paragraphs)
    return Markup(f'<article class="note">{html}</article>')


def share_banner(title: str) -> str:
    page = '<header class="banner"><h1>' + title + "</h1></header><footer>{{ footer }}</footer>"
    return render_template_string(page, footer=FOOTER)
