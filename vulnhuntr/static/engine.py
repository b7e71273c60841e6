"""Per-run state of the static pass: entry-point analysis and function summaries.

A function is summarised once per calling shape (its ``self`` class, which
parameters get the request object) and the summary is reused by every caller;
recursion sees an empty summary, and past :data:`MAX_DEPTH` nested calls a
callee is treated like outside code (its arguments' taint flows into its
result). Resolver queries live in :mod:`.lookup`.
"""

from __future__ import annotations

import ast

from ..repo.frameworks.entry import EntryPoint
from ..repo.index import RepoIndex
from ..repo.resolve import Resolver
from .callee import FunctionRef
from .env import Env, ObjType, RepoClass, RequestObject
from .expressions import Evaluator
from .frame import Frame, fixed_route
from .hits import EMPTY, Hit, Summary
from .lookup import Lookup
from .sources import handler_params, route_names
from .statements import Walker
from .templates import TemplateTracker
from .taint import ALL_KINDS, CLEAN, Source, Value, from_source, symbolic, union

MAX_DEPTH = 10

SummaryKey = tuple[str, str, "RepoClass | None", "frozenset[tuple[str, str]]", "str | None", bool]


class Engine(Lookup):
    """Shared by every entry point of one run: entry analysis and memoised summaries."""

    def __init__(self, index: RepoIndex, resolver: Resolver) -> None:
        super().__init__(index, resolver)
        self._summaries: dict[SummaryKey, Summary] = {}
        self.entries: frozenset[tuple[str, str]] = frozenset()  # (file, function) of every entry point
        self.templates: TemplateTracker | None = None  # set when the repository has templates
        self._last_entry: tuple[EntryPoint, Evaluator] | None = None  # see entry_evaluation

    # entry points -----------------------------------------------------------------
    def analyze_entry(self, entry: EntryPoint) -> set[Hit]:
        """Every sink request data reaches from *entry*, with complete paths."""
        ev = self.evaluate_entry(entry)
        self._last_entry = (entry, ev) if ev is not None else None
        return ev.hits if ev is not None else set()

    def entry_evaluation(self, entry: EntryPoint) -> Evaluator | None:
        """The walk ``analyze_entry`` just made of *entry* (no second walk of the same body), else a new one."""
        if self._last_entry is not None and self._last_entry[0] is entry:
            return self._last_entry[1]
        return self.evaluate_entry(entry)

    def evaluate_entry(self, entry: EntryPoint) -> Evaluator | None:
        """The walk of *entry*'s body, left in its final state (its locals can still be evaluated)."""
        node = self.function_def(entry.file, entry.function)
        if node is None:
            return None
        receiver = RepoClass(entry.file, entry.function.rsplit(".", 1)[0]) if "." in entry.function else None
        if receiver is not None and not isinstance(self.function_node(receiver.file, receiver.qualname), ast.ClassDef):
            receiver = None
        frame = Frame(
            self.index.modules[entry.file], node, entry.function, receiver, entry.framework, True,
            fixed_path=fixed_route(entry.route),
        )
        env = self._entry_env(frame, entry)
        return self._run(frame, env)

    def _entry_env(self, frame: Frame, entry: EntryPoint) -> Env:
        env = Env()
        params = handler_params(
            frame.node, entry.framework, entry.route, lambda n: self.qualify(n, entry.file, entry.line), entry.kind
        )
        placeholders = route_names(entry.route)
        annotations = self._annotations(frame)
        for param in params:
            if param.role == "request":
                env.bind(param.name, CLEAN, RequestObject(entry.framework))
            elif param.role == "data":
                kind = "route parameter" if param.name in placeholders else "handler parameter"
                source = Source(entry.file, entry.line, f"{kind} '{param.name}'", param.name)
                env.bind(param.name, from_source(source, param.kinds), annotations.get(param.name))
                if param.name not in annotations and param.kinds == ALL_KINDS:
                    env.text.add(param.name)  # a path or query string parameter

            else:
                env.bind(param.name, CLEAN)
        return env

    # summaries ----------------------------------------------------------------------
    def summary(
        self, ref: FunctionRef, requests: frozenset[tuple[str, str]], framework: str | None, depth: int,
        fixed_path: bool = False,
    ) -> Summary | None:
        """What *ref* does with its parameters; None when too deep to look."""
        key: SummaryKey = (ref.file, ref.qualname, ref.receiver, requests, framework, fixed_path)
        if key in self._summaries:
            return self._summaries[key]
        if depth > MAX_DEPTH:
            return None
        node = self.function_def(ref.file, ref.qualname)
        if node is None:
            return None
        self._summaries[key] = EMPTY  # recursion sees nothing rather than looping
        frame = Frame(
            self.index.modules[ref.file], node, ref.qualname, ref.receiver, framework, False, depth, requests,
            fixed_path,
        )
        ev = self._run(frame, self._summary_env(frame))
        result = Summary(
            frozenset(ev.hits), union(CLEAN, *ev.returns), self.return_type(ref.file, node), _fields(ev, frame)
        )
        self._summaries[key] = result
        return result

    def _summary_env(self, frame: Frame) -> Env:
        env = Env()
        args = frame.node.args
        names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
        names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        if frame.is_method and names:
            names = names[1:]  # ``self`` stays unbound: it means ``frame.receiver``, as in an entry point
        requests = dict(frame.request_params)
        annotations = self._annotations(frame)
        for name in names:
            if name in requests:
                env.bind(name, CLEAN, RequestObject(requests[name]))
            else:
                env.bind(name, symbolic(name), annotations.get(name))
        return env

    def _annotations(self, frame: Frame) -> dict[str, ObjType]:
        """Parameter types declared by annotations (``store: NoteStore``, ``dest: Path``)."""
        args = frame.node.args
        found: dict[str, ObjType] = {}
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            if arg.annotation is not None:
                declared = self.declared_type(arg.annotation, frame.file, frame.node.lineno)
                if declared is not None:
                    found[arg.arg] = declared
        return found

    def _run(self, frame: Frame, env: Env) -> Evaluator:
        ev = Evaluator(self, frame, env)
        Walker(ev).block(frame.node.body)
        return ev


def _fields(ev: Evaluator, frame: Frame) -> tuple[tuple[str, Value], ...]:
    """What a method leaves in ``self.<name>`` (request data or a parameter), for the caller's object."""
    if not frame.is_method:
        return ()
    found = []
    for key, val in sorted(ev.env.values.items()):
        if key.startswith("self.") and key.count(".") == 1 and val and val != symbolic(key):
            found.append((key[5:], val))
    return tuple(found)
