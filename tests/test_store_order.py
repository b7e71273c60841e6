"""Which store of a value the stored-XSS rule keeps does not depend on the order a set gives its hits in."""

from __future__ import annotations

from vulnhuntr.findings import PathStep, VulnType
from vulnhuntr.static.hits import Hit, Sink
from vulnhuntr.static.taint import Source, Taint
from vulnhuntr.static.templates import _write_order


def _store(source: str) -> Hit:
    sink = Sink("db.py", 41, 41, VulnType.XSS, 79, "stored: column of tickets", "INSERT ...", 6)
    origin = Source("tickets.py", 20, source)
    taint = Taint(frozenset({VulnType.XSS}), (PathStep("tickets.py", 20, f"request data enters: {source}"),), origin)
    return Hit(sink, taint)


def test_two_sources_stored_on_one_line_are_ordered_by_what_they_are() -> None:
    subject, body = _store("form.subject.data"), _store("form.body.data")
    assert sorted([subject, body], key=_write_order) == sorted([body, subject], key=_write_order) == [body, subject]
