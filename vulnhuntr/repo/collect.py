"""The one walk of a module's syntax tree that fills its index records.

:class:`Collector` visits a parsed module once, tracking the enclosing scope, and
records definitions, imports, calls, ``self.x`` assignments, container registrations
and dynamic lookups. The small expression helpers it renders names with
(:func:`dotted`, :func:`expression_text`, :func:`annotation_type`) are shared by the
detectors and the resolver through :mod:`vulnhuntr.repo.index`.
"""

from __future__ import annotations

import ast
from typing import Callable, Iterable, Iterator

from .records import MODULE_SCOPE, AttributeAssignment, CallSite, Definition, ImportRecord, Registration


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    kind = type(node)
    if kind is ast.Name:  # the common cases first: the index asks this of every callee and target
        return node.id  # type: ignore[attr-defined]
    if kind is not ast.Attribute:
        return None
    parts: list[str] = []
    while kind is ast.Attribute:
        parts.append(node.attr)  # type: ignore[attr-defined]
        node = node.value  # type: ignore[attr-defined]
        kind = type(node)
    if kind is ast.Name:
        parts.append(node.id)  # type: ignore[attr-defined]
        parts.reverse()
        return ".".join(parts)
    return None


def expression_text(node: ast.AST, limit: int = 200) -> str:
    """A short, readable rendering of an expression (dotted when possible)."""
    name = dotted(node)
    return name if name is not None else _rendered(node, limit)


def _rendered(node: ast.AST, limit: int = 200) -> str:
    """:func:`expression_text` of an expression that is not a dotted name."""
    text = _plain_text(node)
    if text is None:
        try:
            text = ast.unparse(node)
        except Exception:  # noqa: BLE001 - unparse of odd trees must never stop indexing
            text = type(node).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


_LITERALS = (str, bytes, int, bool, type(None))
"""Constants whose ``repr`` is what ``ast.unparse`` writes (floats and complex numbers are not)."""


def _plain_text(node: ast.AST) -> str | None:
    """``ast.unparse(node)`` for names, attributes, calls, subscripts and simple constants, else None.

    Most texts the index records are such (``request.GET.get('q')``, ``reverse('home')``) and
    unparse's general machinery costs several times this. None of these needs parentheses
    around another, so the text is the parts joined; anything else is left to unparse.
    """
    kind = type(node)
    if kind is ast.Name:
        return node.id  # type: ignore[attr-defined]
    if kind is ast.Attribute:
        value = node.value  # type: ignore[attr-defined]
        if type(value) is ast.Constant and type(value.value) not in (str, bytes):  # ``1 .real``
            return None
        base = _plain_text(value)
        return None if base is None else f"{base}.{node.attr}"  # type: ignore[attr-defined]
    if kind is ast.Call:
        return _plain_call(node)  # type: ignore[arg-type]
    if kind is ast.Constant:
        value = node.value  # type: ignore[attr-defined]
        if node.kind is None and type(value) in _LITERALS:  # type: ignore[attr-defined]
            return repr(value)
        return "..." if value is ... else None
    if kind is ast.Subscript:
        if type(node.slice) is ast.Tuple:  # type: ignore[attr-defined]  # ``a[1, 2]``: unparse drops the parentheses
            return None
        base, key = _plain_text(node.value), _plain_text(node.slice)  # type: ignore[attr-defined]
        return None if base is None or key is None else f"{base}[{key}]"
    if kind is ast.Starred:
        value = _plain_text(node.value)  # type: ignore[attr-defined]
        return None if value is None else "*" + value
    return None


def _plain_call(node: ast.Call) -> str | None:
    func = _plain_text(node.func)
    if func is None:
        return None
    parts: list[str] = []
    for arg in node.args:
        text = _plain_text(arg)
        if text is None:
            return None
        parts.append(text)
    for keyword in node.keywords:
        text = _plain_text(keyword.value)
        if text is None:
            return None
        parts.append(f"**{text}" if keyword.arg is None else f"{keyword.arg}={text}")
    return f"{func}({', '.join(parts)})"


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module of ``from .{level dots}{target} import ...`` inside *module*."""
    if level == 0:
        return target or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        package = package[: len(package) - (level - 1)] if level - 1 <= len(package) else []
    base = ".".join(p for p in package if p)
    if target:
        return f"{base}.{target}" if base else target
    return base


_LEAVES = (ast.Constant, ast.Name, ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop, ast.alias)
"""Nodes holding nothing the collector records: not walked into."""


def _node_classes(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _node_classes(sub)


_ENTERED = frozenset(c for c in _node_classes(ast.AST) if not issubclass(c, _LEAVES))
"""Every node class the collector walks into: one set lookup per child instead of two isinstance checks."""

_PLAIN = frozenset({"id", "attr", "name", "arg", "module", "level", "ctx", "op", "kind", "conversion", "is_async",
                    "type_comment", "simple"})
"""Fields that hold a string, a number or a leaf in every node class that has them: never walked."""

_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    c: tuple(f for f in getattr(c, "_fields", ()) if f not in _PLAIN) for c in _node_classes(ast.AST)
}
"""Node class → the fields that may hold nodes to walk."""


class Collector(ast.NodeVisitor):
    """Walks a module once, tracking the enclosing scope by qualified name.

    ``visit`` and ``generic_visit`` are the stdlib's, made cheaper: the method for each
    node class is looked up once, leaves (names, constants, operators) are not entered,
    and the commonest nodes (calls, attribute chains, expression statements) go straight
    to the children that can hold a call.
    """

    _methods: dict[type, Callable[[Collector, ast.AST], None]]  # entered node class → its visit method

    def visit(self, node: ast.AST) -> None:
        method = self._methods.get(type(node))
        if method is not None:  # else a leaf: nothing in it to record
            method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        """Visit the children worth entering, each with its class's method (no :meth:`visit` in between)."""
        methods = self._methods
        for name in _CHILD_FIELDS[type(node)]:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    method = methods.get(type(item))
                    if method is not None:
                        method(self, item)
            else:
                method = methods.get(type(value))
                if method is not None:
                    method(self, value)  # type: ignore[arg-type]  # an AST node: its class is entered

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.scope: list[tuple[str, str]] = []  # (name, "class"|"function")
        self.definitions: list[Definition] = []
        self.imports: list[ImportRecord] = []
        self.calls: list[CallSite] = []
        self.attributes: list[AttributeAssignment] = []
        self.registrations: list[Registration] = []
        self.lookups: list[CallSite] = []
        self.long_callees: list[str] = []  # the attribute of each callee whose text was shortened
        self._annotations: list[dict[str, str]] = []  # per function: parameter -> annotation
        self._current_name: str | None = None  # _current(), until the scope changes

    # scope helpers -------------------------------------------------------
    def _qualname(self, name: str) -> str:
        return ".".join([s for s, _ in self.scope] + [name])

    def _current(self) -> str:
        if self._current_name is None:
            self._current_name = ".".join(s for s, _ in self.scope) or MODULE_SCOPE
        return self._current_name

    def _enter(self, name: str, kind: str) -> None:
        self.scope.append((name, kind))
        self._current_name = None

    def _leave(self) -> None:
        self.scope.pop()
        self._current_name = None

    def _enclosing_class(self) -> str | None:
        """The class whose method we are directly in (for ``self.x = ...``)."""
        if len(self.scope) >= 2 and self.scope[-1][1] == "function" and self.scope[-2][1] == "class":
            return ".".join(s for s, _ in self.scope[:-1])
        return None

    # definitions ---------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        in_class = bool(self.scope) and self.scope[-1][1] == "class"
        self.definitions.append(
            Definition(
                qualname=self._qualname(node.name),
                kind="method" if in_class else "function",
                line=node.lineno,
                start_line=min([node.lineno] + [d.lineno for d in node.decorator_list]),
                end_line=node.end_lineno or node.lineno,
                decorators=tuple(expression_text(d) for d in node.decorator_list),
                is_async=isinstance(node, ast.AsyncFunctionDef),
                parameters=tuple(a.arg for a in (*node.args.posonlyargs, *node.args.args)),
            )
        )
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._visit_arguments_defaults(node.args)
        self._enter(node.name, "function")
        self._annotations.append(_parameter_annotations(node.args))
        for statement in node.body:
            self.visit(statement)
        self._annotations.pop()
        self._leave()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _visit_arguments_defaults(self, args: ast.arguments) -> None:
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(default)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.definitions.append(
            Definition(
                qualname=self._qualname(node.name),
                kind="class",
                line=node.lineno,
                start_line=min([node.lineno] + [d.lineno for d in node.decorator_list]),
                end_line=node.end_lineno or node.lineno,
                bases=tuple(expression_text(b) for b in node.bases),
                decorators=tuple(expression_text(d) for d in node.decorator_list),
            )
        )
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self._enter(node.name, "class")
        for statement in node.body:
            self.visit(statement)
        self._leave()

    def visit_Assign(self, node: ast.Assign) -> None:
        self._record_assignment(node.targets, node.value, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._record_assignment([node.target], node.value, node)
        elif isinstance(node.target, ast.Attribute):
            self._record_self_attribute(node.target, annotation_type(node.annotation), node.lineno)
        self.generic_visit(node)

    def _record_assignment(self, targets: Iterable[ast.expr], value: ast.expr, node: ast.stmt) -> None:
        self._record_registrations(targets, value, node.lineno)
        at_definition_level = not self.scope or self.scope[-1][1] == "class"
        callee = expression_text(value.func) if isinstance(value, ast.Call) else None
        for target in targets:
            for name_node in _assigned_names(target):
                if at_definition_level:
                    self.definitions.append(
                        Definition(
                            qualname=self._qualname(name_node.id),
                            kind="variable",
                            line=node.lineno,
                            start_line=node.lineno,
                            end_line=node.end_lineno or node.lineno,
                            value=callee,
                        )
                    )
            if isinstance(target, ast.Attribute):
                type_text = callee or self._annotation_of(value)
                if type_text:
                    self._record_self_attribute(target, type_text, node.lineno)

    def _record_registrations(self, targets: Iterable[ast.expr], value: ast.expr, line: int) -> None:
        """Containers filled with names (``T = {"a": f}``, ``T["a"] = f``) and dynamic lookups bound to a name."""
        for target in targets:
            if isinstance(target, ast.Subscript):
                container = dotted(target.value)
                if container is not None:
                    self._register(container, value, line, _constant_key(target.slice))
                continue
            container = dotted(target)
            if container is None:
                continue
            for key, element in _container_elements(value):
                self._register(container, element, line, key)
            if _is_lookup(value):
                self.lookups.append(CallSite(expression_text(value), line, self._current()))

    def _register(self, container: str, value: ast.expr | str, line: int, key: str | None) -> None:
        stored = value if isinstance(value, str) else dotted(value)
        if isinstance(value, ast.Call) and dotted(value.func) is not None:
            stored = f"{dotted(value.func)}()"  # an object built in place: ``{"/a": UploadHandler()}``
        if stored is not None:
            self.registrations.append(Registration(container, stored, line, self._current(), key))

    def _annotation_of(self, value: ast.expr) -> str | None:
        if isinstance(value, ast.Name) and self._annotations:
            return self._annotations[-1].get(value.id)
        return None

    def _record_self_attribute(self, target: ast.Attribute, value: str, line: int) -> None:
        owner = self._enclosing_class()
        if owner and isinstance(target.value, ast.Name) and target.value.id in ("self", "cls"):
            self.attributes.append(AttributeAssignment(owner, target.attr, value, line))

    # imports and calls ---------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".", 1)[0]
            self.imports.append(ImportRecord(alias.name, None, bound, node.lineno, self._current()))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = resolve_relative(self.module, self.is_package, node.level, node.module)
        for alias in node.names:
            self.imports.append(
                ImportRecord(module, alias.name, alias.asname or alias.name, node.lineno, self._current(), node.level)
            )

    def visit_Attribute(self, node: ast.Attribute) -> None:
        """Down an attribute chain (``a.b.c``) in one loop: only where it starts can a call be."""
        value = node.value
        while type(value) is ast.Attribute:
            value = value.value
        method = self._methods.get(type(value))
        if method is not None:
            method(self, value)

    def visit_Expr(self, node: ast.Expr) -> None:
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = dotted(func)  # a name chain holds no call: not walked
        callee = name if name is not None else _rendered(func)
        self.calls.append(CallSite(callee, node.lineno, self._current()))
        if isinstance(func, ast.Attribute) and callee.endswith("..."):
            self.long_callees.append(func.attr)
        if isinstance(func, ast.Attribute) and func.attr in _FILLERS:
            container = dotted(func.value)
            if container is not None:
                for key, element in _filled(func.attr, node):
                    self._register(container, element, node.lineno, key)
        visit = self.visit
        if name is None:
            visit(func)  # ``get_db().execute(...)``: the call inside the callee
        for arg in node.args:
            visit(arg)
        for keyword in node.keywords:
            visit(keyword.value)


Collector._methods = {c: getattr(Collector, "visit_" + c.__name__, Collector.generic_visit) for c in _ENTERED}

_FILLERS = frozenset({"append", "add", "insert", "setdefault", "update", "extend", "register"})


def _constant_key(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _container_elements(value: ast.expr) -> list[tuple[str | None, ast.expr]]:
    """(key, element) of a dict, list, tuple or set literal, or of ``dict(a=f)``."""
    if isinstance(value, ast.Dict):
        return [(_constant_key(k) if k is not None else None, v) for k, v in zip(value.keys, value.values)]
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return [(None, e) for e in value.elts]
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict":
        return [(k.arg, k.value) for k in value.keywords if k.arg] + [
            pair for arg in value.args for pair in _container_elements(arg)
        ]
    return []


def _filled(method: str, node: ast.Call) -> list[tuple[str | None, ast.expr]]:
    """What ``container.<method>(...)`` puts into the container."""
    args = node.args
    if method in ("add", "register") and len(args) > 1:  # ``commands.add("ls", list_files)``
        return [(_constant_key(args[0]), args[1])]
    if method in ("append", "add") and args:
        return [(None, args[0])]
    if method == "insert" and len(args) > 1:
        return [(None, args[1])]
    if method == "setdefault" and len(args) > 1:
        return [(_constant_key(args[0]), args[1])]
    if method in ("update", "extend"):
        found = [pair for arg in args for pair in _container_elements(arg)]
        return found + [(k.arg, k.value) for k in node.keywords if k.arg]
    return []


def _is_lookup(value: ast.expr) -> bool:
    """``TABLE[name]``, ``TABLE.get(name)``, ``getattr(obj, name)``, ``import_module(name)``: a callable picked by a key."""
    if isinstance(value, ast.Subscript):
        return dotted(value.value) is not None or isinstance(value.value, ast.Call)
    if not isinstance(value, ast.Call):
        return False
    name = dotted(value.func)
    if name in ("getattr", "importlib.import_module", "import_module", "__import__"):
        return bool(value.args)
    return isinstance(value.func, ast.Attribute) and value.func.attr == "get" and bool(value.args)


def _assigned_names(target: ast.expr) -> list[ast.Name]:
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for element in target.elts for n in _assigned_names(element)]
    return []


def _parameter_annotations(args: ast.arguments) -> dict[str, str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    return {a.arg: annotation_type(a.annotation) for a in every if a.annotation is not None}


def annotation_type(annotation: ast.expr) -> str:
    """The class an annotation names: ``"Db"``, ``Optional[Db]`` and ``Db | None`` all give ``Db``."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        text = annotation.value
        try:
            annotation = ast.parse(text, mode="eval").body
        except (SyntaxError, ValueError):  # ValueError: a NUL byte, on Python 3.10
            return text
    if isinstance(annotation, ast.Subscript) and dotted(annotation.value) in ("Optional", "typing.Optional"):
        return annotation_type(annotation.slice)
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        for side in (annotation.left, annotation.right):
            if not (isinstance(side, ast.Constant) and side.value is None):
                return annotation_type(side)
    return expression_text(annotation)
