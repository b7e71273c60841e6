"""Per-run state of the static pass: resolver queries, syntax nodes and function summaries.

Every answer is memoised for the run. A function is summarised once per calling
shape (its ``self`` class, which parameters get the request object); recursion
sees an empty summary, and past :data:`MAX_DEPTH` nested calls a callee is
treated like outside code (its arguments' taint flows into its result).
"""

from __future__ import annotations

import ast
from typing import Any

from ..repo.frameworks.entry import EntryPoint
from ..repo.index import MODULE_SCOPE, RepoIndex, annotation_type, dotted
from ..repo.resolve import Resolution, Resolver, Symbol, scope_at
from .callee import Callee, FunctionRef
from .env import Env, External, ObjType, RepoClass, RequestObject
from .frame import Frame, FunctionNode
from .hits import EMPTY, Hit, Summary
from .idor import has_owner_field
from .sources import global_request, handler_params, route_names
from .statements import Walker
from .expressions import Evaluator
from .taint import CLEAN, Source, from_source, symbolic, union

MAX_DEPTH = 10

SummaryKey = tuple[str, str, "RepoClass | None", frozenset, "str | None"]


class Engine:
    """Shared by every entry point of one run."""

    def __init__(self, index: RepoIndex, resolver: Resolver) -> None:
        self.index = index
        self.resolver = resolver
        self._nodes: dict[str, dict[str, ast.AST]] = {}
        self._summaries: dict[SummaryKey, Summary] = {}
        self._memo: dict[tuple[Any, ...], Any] = {}

    # entry points -----------------------------------------------------------------
    def analyze_entry(self, entry: EntryPoint) -> set[Hit]:
        """Every sink request data reaches from *entry*, with complete paths."""
        node = self.function_node(entry.file, entry.function)
        module = self.index.modules.get(entry.file)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or module is None:
            return set()
        receiver = RepoClass(entry.file, entry.function.rsplit(".", 1)[0]) if "." in entry.function else None
        if receiver is not None and not isinstance(self.function_node(receiver.file, receiver.qualname), ast.ClassDef):
            receiver = None
        frame = Frame(module, node, entry.function, receiver, entry.framework, True)
        env = self._entry_env(frame, entry)
        return self._run(frame, env).hits

    def _entry_env(self, frame: Frame, entry: EntryPoint) -> Env:
        env = Env()
        params = handler_params(frame.node, entry.framework, entry.route, lambda n: self.qualify(n, entry.file, entry.line))
        placeholders = route_names(entry.route)
        annotations = self._annotations(frame)
        for param in params:
            if param.role == "request":
                env.bind(param.name, CLEAN, RequestObject(entry.framework))
            elif param.role == "data":
                kind = "route parameter" if param.name in placeholders else "handler parameter"
                source = Source(entry.file, entry.line, f"{kind} '{param.name}'", param.name)
                env.bind(param.name, from_source(source, param.kinds), annotations.get(param.name))
            else:
                env.bind(param.name, CLEAN)
        return env

    # summaries ----------------------------------------------------------------------
    def summary(self, ref: FunctionRef, requests: frozenset[tuple[str, str]], framework: str | None,
                depth: int) -> Summary | None:
        """What *ref* does with its parameters; None when too deep to look."""
        key: SummaryKey = (ref.file, ref.qualname, ref.receiver, requests, framework)
        if key in self._summaries:
            return self._summaries[key]
        if depth > MAX_DEPTH:
            return None
        node = self.function_node(ref.file, ref.qualname)
        module = self.index.modules.get(ref.file)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or module is None:
            return None
        self._summaries[key] = EMPTY  # recursion sees nothing rather than looping
        frame = Frame(module, node, ref.qualname, ref.receiver, framework, False, depth, requests)
        ev = self._run(frame, self._summary_env(frame))
        result = Summary(frozenset(ev.hits), union(CLEAN, *ev.returns), self.return_type(ref.file, node))
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

    # syntax -------------------------------------------------------------------------
    def function_node(self, file: str, qualname: str) -> ast.AST | None:
        """The ``def``/``class`` node of *qualname* in *file*."""
        if file not in self._nodes:
            module = self.index.modules.get(file)
            self._nodes[file] = _definitions(module.tree) if module is not None else {}
        return self._nodes[file].get(qualname)

    # names and types ----------------------------------------------------------------
    def qualify(self, name: str, file: str, line: int | None) -> str | None:
        module = self.index.modules.get(file)
        scope = scope_at(module, line) if module is not None and line is not None else MODULE_SCOPE
        return self._cached(("qualify", name, file, scope), lambda: self.resolver.qualify(name, file, line))

    def global_type(self, name: str, file: str, line: int) -> ObjType | None:
        """Module-level request proxies (``flask.request``) by what the name is imported from."""
        framework = global_request(self.qualify(name, file, line))
        return RequestObject(framework) if framework else None

    def class_ref(self, qualified: str | None) -> RepoClass | None:
        """The repository class a qualified name stands for."""
        if not qualified:
            return None

        def find() -> RepoClass | None:
            symbol = self._symbol(self._resolve(qualified))
            return RepoClass(symbol.file, symbol.qualname) if symbol is not None and symbol.kind == "class" else None

        return self._cached(("class", qualified), find)

    def attribute_type(self, owner: RepoClass, attribute: str) -> ObjType | None:
        """The type of ``instance.attribute`` from ``self.attribute = Cls(...)`` in the class."""
        def find() -> ObjType | None:
            qualified = self.resolver.instance_type(f"{owner.qualname}.{attribute}", owner.file)
            return self.class_ref(qualified) or (External(qualified) if qualified else None)

        return self._cached(("attr", owner, attribute), find)

    def return_type(self, file: str, node: FunctionNode) -> ObjType | None:
        """The declared return class (``-> sqlite3.Connection``, ``-> Path``), when there is one."""
        return self.declared_type(node.returns, file, node.lineno) if node.returns is not None else None

    def declared_type(self, annotation: ast.expr, file: str, line: int) -> ObjType | None:
        """The class an annotation names, in the repository or outside (builtins are not useful)."""
        qualified = self.qualify(annotation_type(annotation), file, line)
        if qualified is None or qualified.startswith(("builtins.", "typing.")):
            return None
        return self.class_ref(qualified) or External(qualified)

    def owned_model(self, expr: ast.expr, file: str) -> bool:
        """Is *expr* a repository model class with an owner/user field?"""
        name = dotted(expr)
        if name is None:
            return False

        def find() -> bool:
            symbol = self._symbol(self._resolve(name, file))
            node = self.function_node(symbol.file, symbol.qualname) if symbol is not None else None
            return isinstance(node, ast.ClassDef) and has_owner_field(node)

        return self._cached(("owned", name, file), find)

    def constant_text(self, name: str, file: str, line: int) -> str | None:
        """The value of a module-level string constant (``API_BASE = "https://api.example.com"``)."""

        def find() -> str | None:
            symbol = self._symbol(self._resolve(name, file, line))
            module = self.index.modules.get(symbol.file) if symbol is not None and symbol.kind == "variable" else None
            if module is None or symbol is None:
                return None
            for statement in module.tree.body:
                if getattr(statement, "lineno", None) == symbol.start_line and isinstance(statement, (ast.Assign, ast.AnnAssign)):
                    value = statement.value
                    return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
            return None

        return self._cached(("constant", name, file), find)

    # callees ------------------------------------------------------------------------
    def callee_by_name(self, name: str, file: str, line: int, scope: str, receiver: str | None = None) -> Callee:
        """The callee of a dotted name as written in *file* (``store.read``, ``subprocess.run``)."""
        return self._cached(("callee", name, file, scope), lambda: self._callee(name, file, line, receiver))

    def _callee(self, name: str, file: str, line: int, receiver: str | None) -> Callee:
        resolution = self._resolve(name, file, line)
        method = name.rsplit(".", 1)[-1] if receiver is not None else None
        symbol = self._symbol(resolution)
        if symbol is not None:
            return self._repo_callee(symbol, file, line, receiver, method)
        namespace = receiver is not None and self._is_namespace(receiver, file, line)
        return Callee(qualified=resolution.external, method=method, namespace=namespace)

    def _repo_callee(self, symbol: Symbol, file: str, line: int, receiver: str | None, method: str | None) -> Callee:
        if symbol.kind == "class":
            return Callee(cls=RepoClass(symbol.file, symbol.qualname))
        if symbol.kind not in ("function", "method"):
            return Callee(method=method)
        if symbol.kind == "function":
            return Callee(function=FunctionRef(symbol.file, symbol.qualname, None, False))
        owner = RepoClass(symbol.file, symbol.qualname.rsplit(".", 1)[0])
        instance = self.class_ref(self.resolver.instance_type(receiver, file, line)) if receiver else None
        kind = self._method_kind(symbol)
        implicit = kind == "classmethod" or (instance is not None and kind == "method")
        return Callee(function=FunctionRef(symbol.file, symbol.qualname, instance or owner, implicit))

    def member_call(self, cls: RepoClass, rest: str, attribute: str) -> Callee:
        """``self<rest>.attribute(...)`` where ``self`` is an instance of *cls* at run time."""
        return self._cached(("member", cls, rest, attribute), lambda: self._member(cls, rest, attribute))

    def _member(self, cls: RepoClass, rest: str, attribute: str) -> Callee:
        resolution = self._resolve(f"{cls.qualname}{rest}.{attribute}", cls.file)
        symbol = self._symbol(resolution)
        if symbol is None:
            return Callee(qualified=resolution.external, method=attribute)
        if symbol.kind == "class":
            return Callee(cls=RepoClass(symbol.file, symbol.qualname))
        if symbol.kind != "method":
            return Callee(method=attribute)
        instance = cls if not rest else self.class_ref(self.resolver.instance_type(f"{cls.qualname}{rest}", cls.file))
        kind = self._method_kind(symbol)
        implicit = kind != "staticmethod" and (instance is not None or kind == "classmethod")
        owner = RepoClass(symbol.file, symbol.qualname.rsplit(".", 1)[0])
        return Callee(function=FunctionRef(symbol.file, symbol.qualname, instance or owner, implicit))

    def _method_kind(self, symbol: Symbol) -> str:
        node = self.function_node(symbol.file, symbol.qualname)
        decorators = {dotted(d) for d in getattr(node, "decorator_list", [])}
        for kind in ("staticmethod", "classmethod"):
            if kind in decorators:
                return kind
        return "method"

    def _is_namespace(self, receiver: str, file: str, line: int) -> bool:
        """``os.path``, ``yaml``, ``Path``, a repo module or class: not an object like ``g.db`` or ``Model.objects``."""
        symbol = self._symbol(self._resolve(receiver, file, line))
        if symbol is not None:
            return symbol.kind in ("module", "class")
        module = self.index.modules.get(file)
        root = receiver.split(".", 1)[0]
        record = next((r for r in module.imports if r.alias == root), None) if module is not None else None
        if record is None:
            return False
        if record.name is None:
            return True  # ``import os`` then ``os.path.join``: a chain of modules
        return receiver == root and root[:1].isupper()  # ``from pathlib import Path`` then ``Path.home()``

    def _resolve(self, name: str, file: str | None = None, line: int | None = None) -> Resolution:
        """The resolver's answer when imports and members lead to it; never its repo-wide name search.

        That search scans every definition of the repository and may guess; a call the
        chain of imports cannot explain is outside code (or a dynamic value) for this pass.
        """
        if file is not None:
            found = self.resolver.qualify(name, file, line) is not None
        else:
            parts = name.split(".")
            found = any(self.index.find_module(".".join(parts[:n])) for n in range(len(parts) - 1, 0, -1))
        return self.resolver.resolve(name, file, line) if found else Resolution(name)

    def _symbol(self, resolution: Any) -> Symbol | None:
        return resolution.symbol if resolution.symbol is not None and not resolution.approximate else None

    def _cached(self, key: tuple[Any, ...], compute: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def _definitions(tree: ast.Module) -> dict[str, ast.AST]:
    """Every function and class of a module by qualified name ("Store.read", "create_app.index")."""
    found: dict[str, ast.AST] = {}
    stack: list[tuple[str, ast.AST]] = [("", tree)]
    while stack:
        prefix, node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualname = f"{prefix}{child.name}"
                found.setdefault(qualname, child)
                stack.append((qualname + ".", child))
            elif not isinstance(child, (ast.expr,)):
                stack.append((prefix, child))
    return found
