"""``python -m vulnhuntr`` runs the command-line tool."""

from .cli import entry

entry()
