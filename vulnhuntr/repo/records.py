"""The records an index holds for one module: definitions, imports, calls and what fills containers.

Plain frozen values, stored in the cache as rows of their fields (see
:meth:`vulnhuntr.repo.index.ModuleIndex.to_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MODULE_SCOPE = "<module>"
DefinitionKind = Literal["function", "class", "method", "variable"]


@dataclass(frozen=True, slots=True)
class Definition:
    """A named thing a module defines, with its span (decorators included in ``start_line``)."""

    qualname: str  # "load", "NoteStore", "NoteStore.read", "create_app.index" for nested defs
    kind: DefinitionKind
    line: int  # the ``def``/``class`` line, or the assignment line
    start_line: int
    end_line: int
    bases: tuple[str, ...] = ()  # classes: base expressions as written ("views.View")
    decorators: tuple[str, ...] = ()  # as written, without "@"
    value: str | None = None  # variables: the callee when assigned from a call ("Flask"), else None
    is_async: bool = False
    parameters: tuple[str, ...] = ()  # functions and methods: positional parameter names, in order

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One name bound by an import statement."""

    module: str  # absolute dotted module; relative imports already resolved ("pkg.helpers")
    name: str | None  # ``from m import name``: name ("*" for a star import); ``import m``: None
    alias: str  # the local name bound ("helpers", "load", "np"; ``import a.b`` binds "a")
    line: int
    scope: str = MODULE_SCOPE  # qualname of the function that imports, or "<module>"
    level: int = 0  # leading dots of a relative import, kept for display

    @property
    def target(self) -> str:
        """Fully qualified name the alias stands for ("flask.Flask", "os.path")."""
        if self.name is None:
            return self.alias if self.alias == self.module.split(".", 1)[0] else self.module
        return f"{self.module}.{self.name}" if self.module else self.name


@dataclass(frozen=True, slots=True)
class CallSite:
    """A call as written in the source ("helpers.load", "self.store.read", "get_db().execute")."""

    callee: str
    line: int
    scope: str  # qualname of the enclosing function or class, or "<module>"


@dataclass(frozen=True, slots=True)
class AttributeAssignment:
    """``self.<attribute> = <value>`` inside a class: how the resolver types instance attributes."""

    class_name: str
    attribute: str
    value: str  # constructor callee ("NoteStore") or parameter annotation ("storage.NoteStore")
    line: int


@dataclass(frozen=True, slots=True)
class Registration:
    """A name put into a container, so a lookup in the container can reach it.

    ``ACTIONS = {"run": run}``, ``HANDLERS.append(fn)``, ``REGISTRY["x"] = Cls``: the
    resolver turns ``ACTIONS[name](...)`` into every definition registered this way.
    """

    container: str  # as written ("ACTIONS", "self.handlers", "registry.HANDLERS")
    value: str  # what is stored, as written ("run", "views.Upload", "fn"; "Upload()" for an object built there)
    line: int
    scope: str  # qualname of the enclosing function or class, or "<module>"
    key: str | None = None  # a constant key, when the code gives one
