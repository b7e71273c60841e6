"""The state of one function while the static pass walks it: what each local holds.

Values are taint (:mod:`.taint`); types are what a local was built from, so a
method call on it can be resolved (``client = httpx.AsyncClient()``,
``store = NoteStore()``) and request objects can be recognised. Branches copy
the state and merge it back, which is all the flow-sensitivity the guards need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Union

from ..findings import VulnType
from ..repo.dispatch import Dispatch
from .constants import GLOBAL, UNKNOWN
from .taint import CLEAN, Value, union, without

if TYPE_CHECKING:
    from .containers import Shape


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
    consts: dict[str, Any] = field(default_factory=dict)  # locals that hold a known constant
    shapes: dict[str, Shape] = field(default_factory=dict)  # locals whose container slots are known
    text: set[str] = field(default_factory=set)  # locals known to hold str/bytes
    written: dict[str, Value] = field(default_factory=dict)  # file path (as written) -> request data saved there

    def copy(self) -> Env:
        return Env(
            dict(self.values),
            dict(self.types),
            dict(self.derived),
            set(self.normalized),
            set(self.html),
            dict(self.consts),
            dict(self.shapes),
            set(self.text),
            dict(self.written),
        )

    def constant(self, name: str) -> Any:
        """The constant *name* holds: UNKNOWN for a local without one, GLOBAL for a name not bound here."""
        if name in self.consts:
            return self.consts[name]
        return UNKNOWN if name in self.values else GLOBAL

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
        self.consts.pop(name, None)
        self.shapes.pop(name, None)
        self.text.discard(name)

    def add(self, name: str, val: Value) -> None:
        """``x += v``, ``items.append(v)``: the old value stays, the new one joins it."""
        self.values[name] = union(self.get(name), val)
        self.consts.pop(name, None)
        if val:
            self.shapes.pop(name, None)

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
            before = set(merged.values)
            for name, val in other.values.items():
                merged.values[name] = union(merged.get(name), val)
            for name, obj_type in other.types.items():
                merged.types.setdefault(name, obj_type)
            for name, parents in other.derived.items():
                merged.derived[name] = merged.derived.get(name, frozenset()) | parents
            merged.normalized &= other.normalized  # normalised only if it is on every branch
            merged.html |= other.html
            merged.text |= other.text
            for path, val in other.written.items():
                merged.written[path] = union(merged.written.get(path, CLEAN), val)
            merged.consts = {
                k: v for k, v in merged.consts.items() if k in other.consts and _same(other.consts[k], v)
            }
            merged.shapes = _merged_shapes(merged.shapes, other.shapes, before, set(other.values))
        return merged


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _merged_shapes(
    mine: dict[str, Shape], theirs: dict[str, Shape], my_names: set[str], their_names: set[str]
) -> dict[str, Shape]:
    """Shapes known on both branches, slot-wise merged; a local only one branch binds keeps that branch's."""
    found: dict[str, Shape] = {}
    for name, shape in mine.items():
        if name in theirs:
            merged = shape.merged(theirs[name])
            if merged is not None:
                found[name] = merged
        elif name not in their_names:
            found[name] = shape
    for name, shape in theirs.items():
        if name not in my_names:
            found[name] = shape
    return found


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
