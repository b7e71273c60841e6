import logging
import os

from flask import Flask, abort, g, request

from helpdesk import db, pages
from helpdesk.tickets import bp as tickets_bp

log = logging.getLogger("helpdesk")

app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ.get("HELPDESK_SECRET_KEY", "dev"),
    DATABASE=os.environ.get("HELPDESK_DB", "/var/lib/helpdesk/helpdesk.db"),
)
app.register_blueprint(tickets_bp)
app.teardown_appcontext(db.close_db)


@app.before_request
def load_workspace():
    slug = request.headers.get("X-Workspace", "default")
    workspace = db.workspace_by_slug(slug)
    if workspace is None:
        abort(403)
    g.workspace = workspace


@app.before_request
def log_client():
    log.info("request %s %s from %s", request.method, request.path, request.headers.get("X-Forwarded-For", "-"))


@app.errorhandler(404)
def page_not_found(error):
    return pages.not_found(request.path), 404


@app.errorhandler(403)
def access_denied(error):
    return pages.forbidden(request.path), 403


@app.get("/")
def home():
    return {"workspace": g.workspace["name"], "tickets": "/tickets/"}
