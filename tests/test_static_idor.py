"""IDOR: records fetched by a request-supplied id, and what counts as an ownership check.

A check counts only when it compares the record (or the query's filter) with the
current user (session, ``current_user``, ``request.user``, ``g.user``, the JWT
identity, an injected user dependency), never with another value the request sends.
"""

from __future__ import annotations

import textwrap

from vulnhuntr.static import StaticResult

from test_static import Scan, scan  # noqa: F401  (the fixture, shared with test_static)


def reported(result: StaticResult) -> set[str]:
    """The entry points with an IDOR finding."""
    return {f.entry_function for f in result.findings if f.type.value == "IDOR" and f.cwe == 639}


FLASK_MODELS = """from flask_sqlalchemy import SQLAlchemy
db = SQLAlchemy()

class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    owner_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    body = db.Column(db.Text)
"""

FLASK_APP = """from flask import Flask, request, session, g, abort, jsonify
from flask_login import current_user
from flask_jwt_extended import get_jwt_identity
from sqlalchemy import select
from models import db, Note
app = Flask(__name__)

@app.get("/a/<int:nid>")
def a(nid):
    return jsonify(Note.query.filter_by(id=nid).first().body)

@app.get("/b/<int:nid>")
def b(nid):
    return jsonify(Note.query.get_or_404(nid).body)

@app.get("/c/<int:nid>")
def c(nid):
    return jsonify(db.get_or_404(Note, nid).body)

@app.get("/d/<int:nid>")
def d(nid):
    return jsonify(db.session.get(Note, nid).body)

@app.get("/e/<int:nid>")
def e(nid):
    return jsonify(Note.query.filter(Note.id == nid).first().body)

@app.get("/f/<int:nid>")
def f(nid):
    return jsonify(db.session.execute(select(Note).where(Note.id == nid)).scalar_one().body)

@app.get("/g/<int:nid>")
def g_(nid):
    note = Note.query.get(nid)
    if note.owner_id != request.args.get("uid", type=int):
        abort(403)
    return jsonify(note.body)

@app.get("/h/<int:nid>")
def h(nid):
    return jsonify(Note.query.filter_by(id=nid, owner_id=request.args["uid"]).first().body)

# safe ones
@app.get("/s1/<int:nid>")
def s1(nid):
    return jsonify(Note.query.filter_by(id=nid, owner_id=current_user.id).first_or_404().body)

@app.get("/s2/<int:nid>")
def s2(nid):
    note = Note.query.get_or_404(nid)
    if note.owner_id != session["user_id"]:
        abort(403)
    return jsonify(note.body)

@app.get("/s3/<int:nid>")
def s3(nid):
    note = db.session.get(Note, nid)
    if note.owner_id != get_jwt_identity():
        abort(403)
    return jsonify(note.body)

@app.get("/s4/<int:nid>")
def s4(nid):
    return jsonify(Note.query.filter(Note.id == nid, Note.owner_id == g.user.id).first().body)

@app.get("/s5/<int:nid>")
def s5(nid):
    note = Note.query.get(nid)
    if note.owner_id == current_user.id:
        return jsonify(note.body)
    abort(403)
"""


def test_flask_sqlalchemy_fetches_and_owner_checks(scan: Scan) -> None:
    result = scan({"models.py": FLASK_MODELS, "app.py": FLASK_APP})
    # every fetch style is found; a comparison with a request value or an owner filter from the
    # request is no check; the s* handlers compare with the session, current_user, the JWT or g.user
    assert reported(result) == {"a", "b", "c", "d", "e", "f", "g_", "h"}
    lines = textwrap.dedent(FLASK_APP).splitlines()
    for finding in result.findings:
        assert "Note" in lines[finding.sink_location.start_line - 1]


DJANGO_MODELS = """
from django.conf import settings
from django.db import models

class Invoice(models.Model):
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    total = models.IntegerField()
"""

DJANGO_VIEWS = """
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from models import Invoice

def by_filter(request, pk):
    return JsonResponse({"t": Invoice.objects.filter(pk=pk).first().total})

def by_id_kwarg(request):
    return JsonResponse({"t": Invoice.objects.get(id=request.GET["id"]).total})

def owner_from_query(request, pk):
    inv = get_object_or_404(Invoice, pk=pk, customer_id=request.GET["customer"])
    return JsonResponse({"t": inv.total})

def compared_with_request(request, pk):
    inv = Invoice.objects.get(pk=pk)
    if inv.customer_id != int(request.GET["me"]):
        raise PermissionDenied
    return JsonResponse({"t": inv.total})

def safe_shortcut(request, pk):
    inv = get_object_or_404(Invoice, pk=pk, customer=request.user)
    return JsonResponse({"t": inv.total})

def safe_compare(request, pk):
    inv = Invoice.objects.get(pk=pk)
    if inv.customer != request.user:
        raise PermissionDenied
    return JsonResponse({"t": inv.total})

def safe_session(request, pk):
    me = request.session["uid"]
    inv = Invoice.objects.get(pk=pk)
    if inv.customer_id != me:
        raise PermissionDenied
    return JsonResponse({"t": inv.total})
"""

DJANGO_URLS = """
from django.urls import path
import views
urlpatterns = [
    path("a/<int:pk>/", views.by_filter),
    path("b/", views.by_id_kwarg),
    path("c/<int:pk>/", views.owner_from_query),
    path("d/<int:pk>/", views.compared_with_request),
    path("e/<int:pk>/", views.safe_shortcut),
    path("f/<int:pk>/", views.safe_compare),
    path("g/<int:pk>/", views.safe_session),
]
"""


def test_django_fetches_and_owner_checks(scan: Scan) -> None:
    result = scan({"models.py": DJANGO_MODELS, "views.py": DJANGO_VIEWS, "urls.py": DJANGO_URLS})
    assert reported(result) == {"by_filter", "by_id_kwarg", "owner_from_query", "compared_with_request"}


FASTAPI_APP = """
import sqlite3
from fastapi import Depends, FastAPI

app = FastAPI()
db = sqlite3.connect("x.db")

def get_current_user():
    return {"id": 1}

@app.get("/doc/{doc_id}")
def doc(doc_id: int, owner: int):
    return db.execute("SELECT body FROM docs WHERE id = ? AND owner_id = ?", (doc_id, owner)).fetchone()

@app.get("/mine/{doc_id}")
def mine(doc_id: int, user=Depends(get_current_user)):
    return db.execute("SELECT body FROM docs WHERE id = ? AND owner_id = ?", (doc_id, user["id"])).fetchone()

@app.get("/checked/{doc_id}")
def checked(doc_id: int, user=Depends(get_current_user)):
    row = db.execute("SELECT body, owner_id FROM docs WHERE id = ?", (doc_id,)).fetchone()
    if row["owner_id"] != user["id"]:
        return None
    return row
"""


def test_raw_sql_owner_parameter_and_injected_user(scan: Scan) -> None:
    result = scan({"app.py": FASTAPI_APP})
    assert reported(result) == {"doc"}


def test_a_request_value_named_like_the_user_is_no_check(scan: Scan) -> None:
    app = (
        FLASK_APP
        + """
@app.get("/t/<int:nid>")
def t(nid):
    note = Note.query.get(nid)
    if note.owner_id != request.args.get("current_user_id", type=int):
        abort(403)
    return jsonify(note.body)
"""
    )
    assert "t" in reported(scan({"models.py": FLASK_MODELS, "app.py": app}))


SCHEMA_APP = """
import sqlite3
from flask import Flask
app = Flask(__name__)
db = sqlite3.connect("x.db")
db.executescript('''
CREATE TABLE IF NOT EXISTS invoices (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    total INTEGER
);
CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY, title TEXT);
''')

@app.get("/invoice/<int:iid>")
def invoice(iid):
    return str(db.execute("SELECT total FROM invoices WHERE id = ?", (iid,)).fetchone())

@app.get("/product/<int:pid>")
def product(pid):
    return str(db.execute("SELECT title FROM products WHERE id = ?", (pid,)).fetchone())
"""


def test_raw_sql_table_owned_by_its_create_statement(scan: Scan) -> None:
    result = scan({"app.py": SCHEMA_APP})
    assert reported(result) == {"invoice"}  # products belong to no one: a candidate for the LLM only
    assert any(c.entry_function == "product" and c.confidence < 4 for c in result.candidates["app.py"])


def test_queries_through_the_user_or_scoped_by_a_later_filter(scan: Scan) -> None:
    app = (
        FLASK_APP
        + """
@app.get("/r1/<int:nid>")
def r1(nid):
    return jsonify(current_user.notes.filter_by(id=nid).first().body)

@app.get("/r2/<int:nid>")
def r2(nid):
    return jsonify(Note.query.filter_by(id=nid).filter_by(owner_id=current_user.id).first().body)

@app.get("/r3/<int:nid>")
def r3(nid):
    return jsonify(Note.query.filter_by(id=nid).filter_by(owner_id=request.args["u"]).first().body)

@app.get("/r4/<int:nid>")
def r4(nid):
    return jsonify(Note.query.filter(Note.body != current_user.name).filter_by(id=nid).first().body)
"""
    )
    found = reported(scan({"models.py": FLASK_MODELS, "app.py": app}))
    assert {"r3", "r4"} <= found and not {"r1", "r2"} & found


PUBLIC_MODELS = """from django.conf import settings
from django.db import models

class Thread(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

class Invoice(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"""


def _public_views(listing: str) -> str:
    return f"""from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, render
from .models import Invoice, Thread

{listing}

def thread_detail(request, thread_id):
    return render(request, "t.html", {{"thread": get_object_or_404(Thread, pk=thread_id)}})

def invoice_detail(request, invoice_id):
    return render(request, "i.html", {{"invoice": get_object_or_404(Invoice, pk=invoice_id)}})

def my_invoices(request):
    return render(request, "l.html", {{"items": Invoice.objects.filter(owner=request.user)}})
"""


def _public_urls() -> str:
    return """from django.urls import path
from . import views
urlpatterns = [
    path("threads/<int:thread_id>/", views.thread_detail),
    path("invoices/<int:invoice_id>/", views.invoice_detail),
    path("invoices/", views.my_invoices),
    path("threads/", views.thread_list),
]
"""


def test_a_model_the_app_lists_to_anyone_unfiltered_is_public_so_fetching_it_by_id_is_no_idor(scan: Scan) -> None:
    listing = 'def thread_list(request):\n    return render(request, "l.html", {"t": Thread.objects.order_by("-id")[:30]})'
    files = {"board/__init__.py": "", "board/models.py": PUBLIC_MODELS, "board/urls.py": _public_urls(),
             "board/views.py": _public_views(listing)}
    assert reported(scan(files)) == {"invoice_detail"}


def test_a_listing_behind_a_staff_check_does_not_make_the_model_public(scan: Scan) -> None:
    listing = (
        "@staff_member_required\n"
        'def thread_list(request):\n    return render(request, "l.html", {"t": Thread.objects.all()})'
    )
    files = {"board/__init__.py": "", "board/models.py": PUBLIC_MODELS, "board/urls.py": _public_urls(),
             "board/views.py": _public_views(listing)}
    assert reported(scan(files)) == {"invoice_detail", "thread_detail"}


GATED_APP = '''
import sqlite3
from flask import Flask, abort, g, session
app = Flask(__name__)

def db():
    return sqlite3.connect("t.db")

def get_ticket(team_id, ticket_id):
    return db().execute("SELECT id FROM tickets WHERE team_id = ? AND id = ?", (team_id, ticket_id)).fetchone()

def comments_for(ticket_id):
    return db().execute("SELECT author, body FROM comments WHERE ticket_id = ?", (ticket_id,)).fetchall()

@app.get("/tickets/<int:ticket_id>")
def show(ticket_id):
    ticket = get_ticket(g.team["id"], ticket_id)
    if ticket is None:
        abort(404)
    return {"comments": [dict(c) for c in comments_for(ticket_id)]}

@app.get("/tickets/<int:ticket_id>/comments")
def comments(ticket_id):
    return {"comments": [dict(c) for c in comments_for(ticket_id)]}
'''


def test_records_fetched_by_an_id_a_lookup_already_checked_are_no_separate_idor(scan: Scan) -> None:
    assert reported(scan({"app.py": GATED_APP})) == {"comments"}


def test_a_listing_outside_any_request_handler_does_not_make_the_model_public(scan: Scan) -> None:
    listing = (
        'def thread_list(request):\n    return render(request, "l.html", {"t": []})\n\n'
        "def nightly_export():\n    return list(Thread.objects.all())"
    )
    files = {"board/__init__.py": "", "board/models.py": PUBLIC_MODELS, "board/urls.py": _public_urls(),
             "board/views.py": _public_views(listing)}
    assert reported(scan(files)) == {"invoice_detail", "thread_detail"}
