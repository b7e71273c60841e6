"""Status Board: a small operations dashboard on http.server."""

__version__ = "0.9.2"
