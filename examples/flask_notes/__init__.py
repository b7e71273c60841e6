"""Flask Notes: a small personal note-taking service."""
