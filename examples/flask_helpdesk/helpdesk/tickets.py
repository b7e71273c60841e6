from flask import Blueprint, abort, g, redirect, render_template, request, send_from_directory, session, url_for

from . import db, exports
from .forms import CommentForm, ExportForm, TicketForm

bp = Blueprint("tickets", __name__, url_prefix="/tickets", template_folder="templates")


@bp.get("/")
def list_tickets():
    query = request.args.get("q", "")
    tickets = db.list_tickets(g.workspace["id"], query)
    return render_template("tickets/list.html", tickets=tickets, query=query)


@bp.route("/new", methods=["GET", "POST"])
def new_ticket():
    form = TicketForm()
    if form.validate_on_submit():
        ticket_id = db.create_ticket(g.workspace["id"], form.subject.data, form.body.data, form.priority.data)
        return redirect(url_for("tickets.show_ticket", ticket_id=ticket_id))
    return render_template("tickets/new.html", form=form)


@bp.get("/<int:ticket_id>")
def show_ticket(ticket_id: int):
    ticket = db.get_ticket(g.workspace["id"], ticket_id)
    if ticket is None:
        abort(404)
    comments = db.comments_for(ticket_id)
    return render_template("tickets/detail.html", ticket=ticket, comments=comments, form=CommentForm())


@bp.post("/<int:ticket_id>/comments")
def add_comment(ticket_id: int):
    if db.get_ticket(g.workspace["id"], ticket_id) is None:
        abort(404)
    form = CommentForm()
    if form.validate_on_submit():
        db.add_comment(ticket_id, session.get("agent", "anonymous"), form.body.data)
    return redirect(url_for("tickets.show_ticket", ticket_id=ticket_id))


@bp.post("/export")
def export_tickets():
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    rows = [dict(row) for row in db.list_tickets(g.workspace["id"])]
    name = exports.export_tickets(rows, form.filename.data, form.fmt.data)
    return send_from_directory(exports.EXPORT_DIR, name, as_attachment=True)


@bp.post("/<int:ticket_id>/attachments/archive")
def archive_attachments(ticket_id: int):
    if db.get_ticket(g.workspace["id"], ticket_id) is None:
        abort(404)
    archive = exports.archive_attachments(ticket_id)
    return send_from_directory(exports.EXPORT_DIR, archive.rsplit("/", 1)[-1], as_attachment=True)
