import uuid

from flask import Flask, Response, abort, jsonify, request
from werkzeug.utils import secure_filename

from . import db, render
from .auth import current_user_id, login_required
from .config import ATTACHMENTS_ROOT, NOTES_ROOT, SECRET_KEY
from .render import note_html as render_note
from .storage import NoteStore

app = Flask(__name__)
app.secret_key = SECRET_KEY
app.teardown_appcontext(db.close_db)

store = NoteStore(NOTES_ROOT, ATTACHMENTS_ROOT)


@app.get("/")
@login_required
def index():
    rows = db.list_notes(current_user_id())
    return jsonify([dict(row) for row in rows])


@app.post("/notes")
@login_required
def create_note():
    payload = request.get_json(force=True)
    filename = f"{uuid.uuid4().hex}.md"
    store.write(filename, payload.get("body", ""))
    note_id = db.insert_note(current_user_id(), payload.get("title", "Untitled"), filename)
    return jsonify({"id": note_id}), 201


@app.get("/notes/<int:note_id>")
@login_required
def show_note(note_id: int):
    note = db.get_note(note_id)
    if note is None:
        abort(404)
    if note["owner_id"] != current_user_id():
        abort(403)
    return jsonify({"id": note["id"], "title": note["title"], "body": store.read(note["filename"])})


@app.get("/notes/<int:note_id>/export")
@login_required
def export_note(note_id: int):
    note = db.get_note(note_id)
    if note is None:
        abort(404)
    body = store.read(note["filename"])
    return Response(
        f"# {note['title']}\n\n{body}",
        mimetype="text/markdown",
        headers={"Content-Disposition": f"attachment; filename=note-{note['id']}.md"},
    )


@app.get("/notes/download")
@login_required
def download_note():
    name = request.args.get("name", "")
    body = store.read(name)
    return Response(body, mimetype="text/markdown")


@app.get("/attachments/<filename>")
@login_required
def download_attachment(filename: str):
    data = store.read_attachment(secure_filename(filename))
    return Response(data, mimetype="application/octet-stream")


@app.get("/search")
@login_required
def search():
    term = request.args.get("q", "")
    rows = db.search_notes(current_user_id(), term)
    return jsonify([dict(row) for row in rows])


@app.get("/tags/<tag>")
@login_required
def notes_by_tag(tag: str):
    rows = db.notes_with_tag(current_user_id(), tag)
    return jsonify([dict(row) for row in rows])


@app.post("/preview")
@login_required
def preview():
    body = request.form.get("body", "")
    return render_note(body)


@app.get("/share/banner")
def share_banner():
    title = request.args.get("title", "Shared note")
    return render.share_banner(title)
