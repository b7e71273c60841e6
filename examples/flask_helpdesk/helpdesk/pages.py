from markupsafe import escape

ERROR_STYLE = "font-family:sans-serif;max-width:40em;margin:4em auto"


def not_found(path: str) -> str:
    return (
        f'<div style="{ERROR_STYLE}"><h1>Page not found</h1>'
        f"<p>There is nothing at <code>{path}</code>.</p>"
        '<p><a href="/tickets/">Back to tickets</a></p></div>'
    )


def forbidden(path: str) -> str:
    return (
        f'<div style="{ERROR_STYLE}"><h1>Access denied</h1>'
        f"<p>You may not open <code>{escape(path)}</code> in this workspace.</p></div>"
    )
