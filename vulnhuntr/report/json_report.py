"""The JSON report: :meth:`Report.to_dict`, serialised for machines and diffs."""

from __future__ import annotations

import json

from ..findings import Report


def render_json(report: Report) -> str:
    """Serialise *report* with the key order of ``to_dict`` so runs diff cleanly.

    ``json.dumps`` does all the escaping, so scanned text (analysis, PoC, paths)
    cannot break the document whatever it contains.
    """
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
