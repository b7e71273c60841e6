"""The state of one function while the static pass walks it: what each local holds.

Values are taint (:mod:`.taint`); types are what a local was built from, so a
method call on it can be resolved (``client = httpx.AsyncClient()``,
``store = NoteStore()``) and request objects can be recognised. Branches copy
the state and merge it back, which is all the flow-sensitivity the guards need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Union

from ..findings import VulnType
from ..repo.dispatch import Dispatch
from .taint import CLEAN, Value, union, without


@dataclass(frozen=True)
class RequestObject:
    """The framework's request (``request`` parameter, ``self.request``, ``flask.request``)."""

    framework: str


@dataclass(frozen=True)
class RepoClass:
    """An instance of a class defined in the scanned repository."""

    file: str
    qualname: str


@dataclass(frozen=True)
class External:
    """An object made by outside code, by its qualified constructor ("httpx.AsyncClient")."""

    name: str


@dataclass(frozen=True)
class Callables:
    """A callable picked by a key (``fn = ACTIONS[name]``): what it can be, and the key's taint."""

    dispatch: Dispatch
    key: Value
    on_self: bool = False  # looked up on ``self``: bound methods keep the caller's ``self``


ObjType = Union[RequestObject, RepoClass, External, Callables]


@dataclass
class Env:
    """Locals of one function at one point of the walk."""

    values: dict[str, Value] = field(default_factory=dict)  # every name bound locally (shadows module names)
    types: dict[str, ObjType] = field(default_factory=dict)
    derived: dict[str, frozenset[str]] = field(default_factory=dict)  # local -> locals it was computed from
    normalized: set[str] = field(default_factory=set)  # realpath/abspath/resolve() results
    html: set[str] = field(default_factory=set)  # strings built with HTML markup

    def copy(self) -> Env:
        return Env(
            dict(self.values),
            dict(self.types),
            dict(self.derived),
            set(self.normalized),
            set(self.html),
        )

    def get(self, name: str) -> Value:
        return self.values.get(name, CLEAN)

    def is_local(self, name: str) -> bool:
        return name in self.values

    def bind(
        self,
        name: str,
        val: Value,
        obj_type: ObjType | None = None,
        derived: Iterable[str] = (),
        normalized: bool = False,
        html: bool = False,
    ) -> None:
        """Rebind *name*: everything known about its old value is forgotten."""
        self.values[name] = val
        _set_or_drop(self.types, name, obj_type)
        _set_or_drop(self.derived, name, frozenset(derived) or None)
        _flag(self.normalized, name, normalized)
        _flag(self.html, name, html)

    def add(self, name: str, val: Value) -> None:
        """``x += v``, ``items.append(v)``: the old value stays, the new one joins it."""
        self.values[name] = union(self.get(name), val)

    def clean(self, name: str, kinds: frozenset[VulnType], follow: bool = False, depth: int = 0) -> None:
        """Remove *kinds* from *name* (and, for an allow-list, from what it was computed from)."""
        if name in self.values:
            self.values[name] = without(self.values[name], kinds)
        if follow and depth < 4:
            for parent in self.derived.get(name, ()):
                self.clean(parent, kinds, follow, depth + 1)

    @staticmethod
    def merge(envs: list[Env]) -> Env:
        """The state after branches that all fall through to the same point."""
        if len(envs) == 1:
            return envs[0]
        merged = envs[0].copy()
        for other in envs[1:]:
            for name, val in other.values.items():
                merged.values[name] = union(merged.get(name), val)
            for name, obj_type in other.types.items():
                merged.types.setdefault(name, obj_type)
            for name, parents in other.derived.items():
                merged.derived[name] = merged.derived.get(name, frozenset()) | parents
            merged.normalized &= other.normalized  # normalised only if it is on every branch
            merged.html |= other.html
        return merged


def _set_or_drop(table: dict[str, Any], name: str, item: object | None) -> None:
    if item is None:
        table.pop(name, None)
    else:
        table[name] = item


def _flag(flags: set[str], name: str, on: bool) -> None:
    if on:
        flags.add(name)
    else:
        flags.discard(name)
