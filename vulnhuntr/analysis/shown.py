"""Which callees a prompt shows whole and which it only names.

Pre-resolving every callee to depth 2 sends code no request data reaches in
every round of every chain. A callee is shown whole only when the evidence says
the chain needs it:

* request data flows into it: it is a step of a static taint path from the
  view's entry points (of any type);
* it is on the chain's path: a step of a static path of the chain's type, or
  it holds a dangerous call of the chain's type (for the initial pass: of any
  type), which is where a suspicion of that type points.

* it is small: a definition of a few lines costs less than the round the model
  would spend asking for it.

Every other callee is named in one line (``name (file:line)``) so the model
can still ask for it; what it asks for is fetched as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from ..repo.entrypoints import EntryPoint
from ..repo.resolve import Symbol
from ..static import Candidate
from ..tokens import approx_tokens
from .pruning import FileView

if TYPE_CHECKING:
    from .context import ContextBuilder

Key = tuple[str, str]  # (file, qualname)


def split_callees(
    callees: Sequence[Symbol], fed: Iterable[Key], holds_sink: Callable[[Symbol], bool]
) -> tuple[list[Symbol], list[Symbol]]:
    """(shown, named): the callees request data flows into, that hold a sink or are small, in order; then the rest."""
    wanted = set(fed)
    shown: list[Symbol] = []
    named: list[Symbol] = []
    for symbol in callees:
        needed = (symbol.file, symbol.qualname) in wanted or holds_sink(symbol) or small(symbol)
        (shown if needed else named).append(symbol)
    return shown, named


SMALL_DEFINITION_TOKENS = 60  # about five lines: shown whole rather than named
SMALL_CLASS_TOKENS = 150  # a class of declared fields (a form, a model) of about a dozen lines


def small(symbol: Symbol) -> bool:
    """A definition short enough that showing it is cheaper than a round asking for it.

    A class is a callee only when a call builds it from the fields it declares (see
    :meth:`vulnhuntr.repo.callgraph.Callees.constructor`): those fields (a form's
    validators, a model's types) are what request data becomes, so a larger one is shown.
    """
    if symbol.kind == "module":
        return False
    limit = SMALL_CLASS_TOKENS if symbol.kind == "class" else SMALL_DEFINITION_TOKENS
    return approx_tokens(symbol.source) <= limit


def one_line(symbol: Symbol) -> str:
    """How a callee that is not shown is named: enough to ask for it, and to tell two of one name apart."""
    return f"{symbol.qualname or symbol.module} ({symbol.file}:{symbol.start_line})"


def named_lines(symbols: Iterable[Symbol], exclude: Iterable[Key] = ()) -> tuple[str, ...]:
    """One line per symbol not in *exclude*, each once, in order."""
    skip = set(exclude)
    lines: list[str] = []
    for symbol in symbols:
        if (symbol.file, symbol.qualname) in skip:
            continue
        line = one_line(symbol)
        if line not in lines:
            lines.append(line)
    return tuple(lines)


def path_symbols(context: ContextBuilder, seeds: Sequence[Candidate]) -> list[Symbol]:
    """The definitions a static path runs through, in path order (nearest the source first), its handler aside."""
    symbols: list[Symbol] = []
    for seed in seeds:
        for step in seed.path:
            symbol = context.definition_at(step.file, step.line)
            if symbol is not None and symbol not in symbols and not (symbol.file == seed.source_file and symbol.qualname == seed.entry_function):
                symbols.append(symbol)
    return symbols


def fed_by(context: ContextBuilder, seeds: Sequence[Candidate]) -> set[Key]:
    """Definitions request data flows into by the static paths: those a step is in, and those a step calls."""
    fed = {(s.file, s.qualname) for s in path_symbols(context, seeds)}
    for step in {(step.file, step.line) for seed in seeds for step in seed.path}:
        fed |= {(s.file, s.qualname) for s in context.called_at(*step)}
    return fed


def callees_of(context: ContextBuilder, view: FileView, entry_points: Sequence[EntryPoint]) -> list[Symbol]:
    """What these entry points of the view call, to the walk's depth (none when there are none)."""
    if not entry_points:
        return []
    return context.callees(FileView(view.file, "", tuple(entry_points), frozenset()))


def direct_of(context: ContextBuilder, view: FileView, entry_points: Sequence[EntryPoint]) -> set[Key]:
    """What these entry points of the view call directly (none when there are none)."""
    if not entry_points:
        return set()
    return context.direct(FileView(view.file, "", tuple(entry_points), frozenset()))
