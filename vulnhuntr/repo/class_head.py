"""The head of a class: what a call of it makes, and what its methods' ``self`` holds.

A prompt showing ``NoteStore.read`` reads ``self.root`` without saying where it
comes from, and a handler calling ``TicketForm()`` builds an object out of the
fields its class declares. Both answers sit at the top of the class: its
``class`` line (the bases), the docstring and class-level statements (the fields
of a form, a dataclass or a pydantic model), and the ``__init__`` when it comes
first. That contiguous span, with its real line numbers, is the class's head.
"""

from __future__ import annotations

from .index import ModuleIndex
from .symbols import Symbol


def class_head(module: ModuleIndex, cls: Symbol) -> Symbol:
    """From the ``class`` line through ``__init__`` if it is the first method, else up to the first method."""
    prefix = cls.qualname + "."
    methods = sorted(
        (d for d in module.definitions
         if d.kind in ("method", "function") and d.qualname.startswith(prefix) and "." not in d.qualname[len(prefix):]),
        key=lambda d: d.start_line,
    )
    end = cls.end_line
    if methods:
        first = methods[0]
        end = first.end_line if first.name == "__init__" else first.start_line - 1
    while end > cls.start_line and not module.lines[end - 1].strip():
        end -= 1
    if end == cls.end_line:
        return cls
    return Symbol(cls.file, cls.module, cls.qualname, cls.kind, cls.start_line, end, module.snippet(cls.start_line, end))
