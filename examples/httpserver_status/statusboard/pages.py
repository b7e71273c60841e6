import html

STYLE = "body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:1em}"


def layout(title: str, body: str) -> str:
    return (
        "<!doctype html><html><head>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f"</head><body>{body}</body></html>"
    )


def log_page(name: str, text: str) -> str:
    return layout(f"Log {name}", f"<h1>{html.escape(name)}</h1><pre>{html.escape(text)}</pre>")


def history_table(entries: list[dict]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(e.get('job', ''))}</td><td>{html.escape(e.get('status', ''))}</td></tr>"
        for e in entries
    )
    return f"<table><tr><th>Job</th><th>Status</th></tr>{rows}</table>"


def index_page(user_agent: str) -> str:
    links = '<ul><li><a href="/history">History</a></li><li><a href="/logs?name=deploy.log">Deploy log</a></li></ul>'
    return layout("Status Board", f"<p>Signed in from {html.escape(user_agent)}</p>{links}")
