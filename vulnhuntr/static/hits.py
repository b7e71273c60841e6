"""What analysing one function produces: sink hits and the taint of its return value.

A :class:`Summary` is the same thing seen from callers: hits whose taint is
still symbolic (a parameter name) are completed by each caller with the taint of
its own argument, so a helper is analysed once per calling shape, not once per
caller.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..findings import VulnType
from ..repo.index import expression_text
from .env import ObjType
from .taint import CLEAN, Taint, Value


@dataclass(frozen=True)
class Sink:
    """A dangerous call (or return) and what it is."""

    file: str
    line: int
    end_line: int
    vuln: VulnType
    cwe: int
    label: str  # "file read", "shell command"
    text: str  # the call as written, shortened
    confidence: int
    whole_cwe: int | None = None
    markup_only: bool = False  # a hit only when the data was put into HTML markup on its way (raw body writes)

    @classmethod
    def at(
        cls,
        file: str,
        node: ast.stmt | ast.expr,
        vuln: VulnType,
        cwe: int,
        label: str,
        confidence: int,
        whole_cwe: int | None = None,
        shown: ast.expr | None = None,
    ) -> Sink:
        """The sink at *node* (a call, a ``return``), written as *shown* (default: *node* itself)."""
        text = expression_text(shown if shown is not None else node, 80)
        return cls(file, node.lineno, node.end_lineno or node.lineno, vuln, cwe, label, text, confidence, whole_cwe)


@dataclass(frozen=True)
class Hit:
    """Tainted data reaches *sink*, carried by *taint* (its steps end just before the sink)."""

    sink: Sink
    taint: Taint


@dataclass(frozen=True)
class Summary:
    """A function as its callers see it."""

    hits: frozenset[Hit] = frozenset()
    returns: Value = CLEAN
    return_type: ObjType | None = None
    fields: tuple[tuple[str, Value], ...] = ()  # ``self.<name>`` set by the function, in terms of its parameters


EMPTY = Summary()
