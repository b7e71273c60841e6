"""``# vulnhuntr: ignore`` comments: a developer's judgement, written next to the code it is about.

Forms (case-insensitive, anywhere in a comment)::

    # vulnhuntr: ignore                      every type
    # vulnhuntr: ignore[SQLI,XSS]            only these types
    # vulnhuntr: ignore[SQLI] -- id is an int by then

A comment silences a finding when it sits on the finding's reported line, on the
line above it, or on the ``def`` line of the finding's entry point (the whole handler).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..findings import Finding, VulnType

_COMMENT = re.compile(
    r"(?:#|\{#|<!--)\s*vulnhuntr:\s*ignore(?:\[(?P<types>[^\]]*)\])?(?:\s*--(?!>)\s*(?P<reason>.*?))?"
    r"\s*(?:#\}|-->)?\s*$",
    re.IGNORECASE,
)
"""A Python comment, or a Jinja/Django ``{# ... #}`` or HTML ``<!-- ... -->`` one in a template."""
_TYPES = {t.value for t in VulnType}


@dataclass(frozen=True)
class Comment:
    """One suppression comment."""

    file: str
    line: int
    types: frozenset[str] | None  # None: every type
    reason: str
    text: str

    def covers(self, vuln_type: str) -> bool:
        return self.types is None or vuln_type in self.types


def comments_in(file: str, source: str) -> list[Comment]:
    """The suppression comments of one file's text (a cheap scan: most files have none)."""
    if "vulnhuntr" not in source.lower():
        return []
    found = []
    for number, line in enumerate(source.splitlines(), 1):
        match = _COMMENT.search(line)
        if match is None:
            continue
        types = match.group("types")
        wanted = frozenset(t.strip().upper() for t in types.split(",") if t.strip()) if types is not None else None
        found.append(Comment(file, number, wanted, (match.group("reason") or "").strip(), match.group(0).strip()))
    return found


def unknown_types(comments: Iterable[Comment]) -> list[str]:
    """Warnings for types no finding can have (a typo silences nothing)."""
    return [
        f"{c.file}:{c.line}: unknown type {t!r} in a vulnhuntr: ignore comment (known: {', '.join(sorted(_TYPES))})"
        for c in comments
        for t in sorted(c.types or ())
        if t not in _TYPES
    ]


def matching(finding: Finding, comments: dict[tuple[str, int], Comment]) -> Comment | None:
    """The comment that silences *finding*, if any: on its lines, the line above, or its handler's ``def``."""
    places = [(finding.file, line) for line in range(finding.start_line - 1, finding.end_line + 1)]
    places.append((finding.entry_file, finding.entry_line))
    for place in places:
        comment = comments.get(place)
        if comment is not None and comment.covers(finding.type.value):
            return comment
    return None
