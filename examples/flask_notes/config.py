import os

NOTES_ROOT = os.environ.get("NOTES_ROOT", "/var/lib/flask-notes/notes")
ATTACHMENTS_ROOT = os.environ.get("NOTES_ATTACHMENTS", "/var/lib/flask-notes/attachments")
DATABASE = os.environ.get("NOTES_DB", "/var/lib/flask-notes/notes.db")
SECRET_KEY = os.environ.get("NOTES_SECRET_KEY", "dev-secret-change-me")
