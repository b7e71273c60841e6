from fastapi.responses import HTMLResponse

LAYOUT = """<!doctype html>
<html>
<head><title>{title}</title><link rel="stylesheet" href="/static/site.css"></head>
<body>{content}</body>
</html>"""


def search_results(query: str, names: list[str]) -> HTMLResponse:
    items = "".join(f'<li><a href="/files/{n}">{n}</a></li>' for n in names)
    content = f"<h1>Results for {query}</h1><ul>{items}</ul>"
    return HTMLResponse(LAYOUT.format(title="Search", content=content))
