"""What detectors ask about the repository: types of objects and the code a reference names.

Detectors identify framework objects by import origin. :class:`Context` wraps the
:class:`~vulnhuntr.repo.resolve.Resolver` with the two things it cannot see on
its own: names bound inside functions (``def create_app(): app = Flask(...)``,
``def init(app: Flask)``) and the objects factories return. Everything is
memoised for one run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Collection, Iterator, TypeVar

from ..index import ModuleIndex, RepoIndex, annotation_type, dotted
from ..resolve import Resolver
from ..skipped import SkippedFile
from .objects import router_framework
from .syntax import DefinitionNode, FunctionNode, Scope, statements, walk_calls

_MAX_DEPTH = 6  # factories returning factories, aliases of aliases
T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """A function, method or class of the repository, with its syntax node."""

    module: ModuleIndex
    qualname: str
    node: DefinitionNode

    @property
    def line(self) -> int:
        return self.node.lineno

    @property
    def is_class(self) -> bool:
        return isinstance(self.node, ast.ClassDef)

    def method(self, node: FunctionNode) -> Target:
        return Target(self.module, f"{self.qualname}.{node.name}", node)


@dataclass(frozen=True)
class Binding:
    """A name bound inside a function: by a parameter (maybe annotated) or an assignment."""

    value: ast.expr | None = None
    annotation: ast.expr | None = None


class Context:
    """Repository-wide queries shared by all detectors, memoised for one run."""

    def __init__(self, index: RepoIndex, resolver: Resolver) -> None:
        self.index = index
        self.resolver = resolver
        self._nodes: dict[str, dict[str, DefinitionNode]] = {}
        self._values: dict[str, dict[str, ast.expr]] = {}
        self._locals: dict[int, dict[str, Binding]] = {}
        self._bases: dict[tuple[str, str], list[str]] = {}
        self._memo: dict[str, Any] = {}
        self._definitions: dict[str, list[tuple[DefinitionNode, Scope]]] = {}
        self._calls: dict[str, list[tuple[ast.Call, Scope]]] = {}
        self.skipped: list[SkippedFile] = []  # files a detector read and could not use (API specs)
        self.reads_files = False  # a detector read files besides the index (API specs): not cacheable by the index

    def skip(self, path: str, reason: str) -> None:
        """Say why a file a detector needed (an API spec) was not used; reported once per path and reason."""
        entry = SkippedFile(path, reason)
        if entry not in self.skipped:
            self.skipped.append(entry)

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """A repository-wide table a detector builds once per run (route names, URL prefixes)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    # modules -------------------------------------------------------------------
    def modules(self) -> list[ModuleIndex]:
        return [self.index.modules[path] for path in sorted(self.index.modules)]

    def imports(self, module: ModuleIndex, root: str) -> bool:
        """Does *module* import *root* (``"flask"``, ``"azure.functions"``) or anything under it?"""
        return root in module.imported_prefixes

    def repo_imports(self, root: str) -> bool:
        """Does any module of the repository import *root*?"""
        return self.memo(f"imports:{root}", lambda: any(self.imports(m, root) for m in self.modules()))

    def may_name(self, root: str) -> bool:
        """Can a name qualified in this repository lie under *root*? Only through an import of it, or a repo module."""
        return self.repo_imports(root) or self.is_repo_name(root)

    def may_call(self, module: ModuleIndex, names: Collection[str]) -> bool:
        """Can *module* call something named one of *names* (``x.add_url_rule(...)``)? The index says, without a walk."""
        return not module.called_names.isdisjoint(names)

    @cached_property
    def _repo_roots(self) -> frozenset[str]:
        return frozenset(m.module.split(".", 1)[0] for m in self.index.modules.values())

    def is_repo_name(self, qualified: str) -> bool:
        return qualified.split(".", 1)[0] in self._repo_roots

    # syntax, walked once per module ----------------------------------------------------
    def definitions(self, module: ModuleIndex) -> list[tuple[DefinitionNode, Scope]]:
        """Every function and class of *module* with the scope it is defined in (a walk of statements only)."""
        if module.path not in self._definitions:
            self._definitions[module.path] = [
                (node, scope)
                for node, scope in statements(module.tree)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            ]
        return self._definitions[module.path]

    def calls(self, module: ModuleIndex) -> list[tuple[ast.Call, Scope]]:
        """Every call of *module* with its scope (the one full walk of the tree)."""
        if module.path not in self._calls:
            self._calls[module.path] = walk_calls(module.tree)
        return self._calls[module.path]

    def method_calls(self, module: ModuleIndex, names: Collection[str]) -> list[tuple[ast.Call, Scope]]:
        """The ``<receiver>.<name>(...)`` calls of *module* for one of *names*; modules without any are not walked."""
        if not self.may_call(module, names):
            return []
        return [(c, s) for c, s in self.calls(module) if isinstance(c.func, ast.Attribute) and c.func.attr in names]

    def nodes(self, module: ModuleIndex) -> dict[str, DefinitionNode]:
        """Every function and class of *module* by qualname."""
        if module.path not in self._nodes:
            self._nodes[module.path] = {scope.qualname(node.name): node for node, scope in self.definitions(module)}
        return self._nodes[module.path]

    def target(self, module: ModuleIndex, qualname: str) -> Target | None:
        node = self.nodes(module).get(qualname)
        return Target(module, qualname, node) if node is not None else None

    def variable_value(self, module: ModuleIndex, qualname: str) -> ast.expr | None:
        """The expression a module- or class-level variable is assigned."""
        if qualname not in module.definitions_by_name:
            return None  # the index records every such assignment (and more): nothing to walk the tree for
        if module.path not in self._values:
            self._values[module.path] = _assigned_values(module.tree)
        return self._values[module.path].get(qualname)

    def bases(self, target: Target) -> list[str]:
        """Qualified base classes of a class target, transitively."""
        return self.class_bases(target.module, target.qualname)

    def class_bases(self, module: ModuleIndex, qualname: str) -> list[str]:
        """:meth:`bases` from the index alone: no syntax tree is needed to tell what a class derives from."""
        key = (module.path, qualname)
        if key not in self._bases:
            definition = module.definitions_by_name.get(qualname)
            self._bases[key] = self.resolver.class_bases(module, definition) if definition else []
        return self._bases[key]

    # names --------------------------------------------------------------------------
    def qualify(self, module: ModuleIndex, expr: ast.AST | None, line: int | None = None) -> str | None:
        """The qualified name a dotted expression stands for (``"flask.Flask"``), else None."""
        name = dotted(expr) if expr is not None else None
        if name is None:
            return None
        return self.resolver.qualify(name, module.path, line if line is not None else getattr(expr, "lineno", None))

    def decorators(self, module: ModuleIndex, node: DefinitionNode) -> Iterator[tuple[ast.expr, str | None]]:
        """Each decorator of *node* with the qualified name it names or calls (``@x`` and ``@x(...)`` alike)."""
        for decorator in node.decorator_list:
            yield decorator, self.qualify(module, decorator.func if isinstance(decorator, ast.Call) else decorator)

    def local(self, scope: Scope, name: str) -> Binding | None:
        """How *name* is bound in the innermost enclosing function that binds it."""
        owner = self.local_owner(scope, name)
        return self._bindings(owner)[name] if owner is not None else None

    def local_owner(self, scope: Scope, name: str) -> FunctionNode | None:
        """The innermost enclosing function that binds *name* (parameter or assignment)."""
        return next((f for f in reversed(scope.functions) if name in self._bindings(f)), None)

    def _bindings(self, function: FunctionNode) -> dict[str, Binding]:
        if id(function) not in self._locals:
            self._locals[id(function)] = _function_bindings(function)
        return self._locals[id(function)]

    def resolve(self, module: ModuleIndex, expr: ast.AST | None, scope: Scope, depth: int = 0) -> Target | None:
        """The repo function or class a handler expression refers to.

        Follows imports, ``Cls.as_view(...)``, ``Cls()`` instances, wrappers such as
        ``login_required(view)`` and variables holding any of these.
        """
        if expr is None or depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Call):
            return self._resolve_call(module, expr, scope, depth)
        name = dotted(expr)
        if name is None:
            return None
        binding = self.local(scope, name.split(".", 1)[0])
        if binding is not None:
            if "." in name or binding.value is None:
                return None
            return self.resolve(module, binding.value, scope, depth + 1)
        return self._resolve_name(module, name, getattr(expr, "lineno", None), depth)

    def import_target(self, dotted_name: str, near: ModuleIndex) -> Target | None:
        """The repo function or class a dotted import string names (``"app.api.get_pet"``, settings' ``MIDDLEWARE``).

        Frameworks import the longest importable module prefix and take the rest as
        attributes, so the module is found by name (also under a ``src/`` folder, the
        copy nearest *near*), never through the names bound where the string is written.
        """
        parts = dotted_name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            home = self.index.find_module(".".join(parts[:cut]), near.module)
            if home is None:
                continue
            found = self.resolver.resolve(".".join(parts[cut:]), home.path)
            symbol = found.symbol
            if symbol is None or found.approximate or symbol.kind == "variable":
                return None
            owner = self.index.modules.get(symbol.file)
            return self.target(owner, symbol.qualname) if owner is not None else None
        return None

    def _resolve_call(self, module: ModuleIndex, call: ast.Call, scope: Scope, depth: int) -> Target | None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "as_view":
            return self.resolve(module, func.value, scope, depth + 1)
        callee = self.resolve(module, func, scope, depth + 1)
        if callee is not None and callee.is_class:
            return callee  # an instance: its class holds the handlers
        if call.args and not isinstance(call.args[0], ast.Starred):
            return self.resolve(module, call.args[0], scope, depth + 1)  # wrapper(view)
        return None

    def _resolve_name(self, module: ModuleIndex, name: str, line: int | None, depth: int) -> Target | None:
        found = self.resolver.resolve(name, module.path, line)
        symbol = found.symbol
        if symbol is None or found.approximate:
            return None
        home = self.index.modules.get(symbol.file)
        if home is None:
            return None
        if symbol.kind == "variable":
            value = self.variable_value(home, symbol.qualname)
            return self.resolve(home, value, Scope(), depth + 1) if value is not None else None
        return self.target(home, symbol.qualname)

    # object types -----------------------------------------------------------------------
    def object_type(self, module: ModuleIndex, expr: ast.AST, scope: Scope, depth: int = 0) -> str | None:
        """The qualified type of an object expression (``"flask.Flask"``), or None when unknown.

        Modules and outside names come back as themselves (``"requests"``), so a
        caller can tell "known to be something else" from "unknown".
        """
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Call):
            return self.product(module, expr.func, scope, depth + 1)
        name = dotted(expr)
        if name is None:
            return None
        binding = self.local(scope, name.split(".", 1)[0])
        if binding is not None:
            return None if "." in name else self._binding_type(module, binding, scope, depth)
        line = getattr(expr, "lineno", None)
        typed = self.resolver.instance_type(name, module.path, line)
        if typed is not None:
            return self.refine(typed, depth + 1)
        found = self.resolver.resolve(name, module.path, line)
        if found.external is not None:
            return found.external
        symbol = found.symbol
        if symbol is None or found.approximate:
            return None
        if symbol.kind in ("module", "class"):
            return symbol.qualified_name
        home = self.index.modules.get(symbol.file)
        value = self.variable_value(home, symbol.qualname) if home and symbol.kind == "variable" else None
        return self.object_type(home, value, Scope(), depth + 1) if home and value is not None else None

    def _binding_type(self, module: ModuleIndex, binding: Binding, scope: Scope, depth: int) -> str | None:
        if binding.annotation is not None:
            text = annotation_type(binding.annotation)
            qualified = self.resolver.qualify(text, module.path, binding.annotation.lineno)
            return self.refine(qualified, depth + 1) if qualified else None
        if binding.value is not None:
            return self.object_type(module, binding.value, scope, depth + 1)
        return None

    def product(self, module: ModuleIndex, callee: ast.AST, scope: Scope, depth: int = 0) -> str | None:
        """The type of ``callee(...)``: a class, or what a factory function returns."""
        name = dotted(callee)
        if name is None or depth > _MAX_DEPTH:
            return None
        if self.local(scope, name.split(".", 1)[0]) is not None:
            return None
        found = self.resolver.resolve(name, module.path, getattr(callee, "lineno", None))
        if found.external is not None:
            return found.external
        if found.symbol is None or found.approximate:
            return None
        return self.refine(found.symbol.qualified_name, depth + 1)

    def refine(self, qualified: str, depth: int = 0) -> str | None:
        """A repo class becomes its framework base; a repo factory becomes what it returns."""
        if not self.is_repo_name(qualified) or depth > _MAX_DEPTH:
            return qualified
        found = self.resolver.resolve(qualified)
        symbol = found.symbol
        home = self.index.modules.get(symbol.file) if symbol is not None else None
        target = self.target(home, symbol.qualname) if home is not None and symbol is not None else None
        if target is None:
            return qualified
        if target.is_class:
            return next((b for b in self.bases(target) if router_framework(b)), qualified)
        return self._returned_type(target, depth + 1)

    def _returned_type(self, target: Target, depth: int) -> str | None:
        scope = Scope(tuple(target.qualname.split(".")), (target.node,))  # type: ignore[arg-type]
        types = [
            self.object_type(target.module, node.value, scope, depth + 1)
            for node, inner in statements(target.node)
            if isinstance(node, ast.Return) and node.value is not None and len(inner.functions) == 1
        ]
        return next((t for t in types if router_framework(t)), next((t for t in types if t), None))

    def is_unknown(self, module: ModuleIndex, expr: ast.AST, scope: Scope) -> bool:
        """Nothing tells what *expr* is (a parameter, a factory we cannot follow): a fallback may guess."""
        if dotted(expr) is None:
            return False
        return self.object_type(module, expr, scope) is None


def _assigned_values(tree: ast.Module) -> dict[str, ast.expr]:
    """Module- and class-level ``name = value`` by qualname (first assignment wins)."""
    values: dict[str, ast.expr] = {}
    for node, scope in statements(tree):
        if scope.functions or not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                values.setdefault(scope.qualname(target.id), node.value)
    return values


def _function_bindings(function: FunctionNode) -> dict[str, Binding]:
    """Parameters and local assignments of one function (nested functions excluded)."""
    args = function.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, *(a for a in (args.vararg, args.kwarg) if a)]
    bindings = {a.arg: Binding(annotation=a.annotation) for a in every}
    for node, scope in statements(function):
        if len(scope.functions) != 1:
            continue  # inside a nested function
        for name, binding in _bound_by(node):
            bindings[name] = binding
    return bindings


def _bound_by(node: ast.AST) -> list[tuple[str, Binding]]:
    if isinstance(node, ast.Assign):
        return [(t.id, Binding(value=node.value)) for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [(node.target.id, Binding(value=node.value, annotation=node.annotation))]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [
            (item.optional_vars.id, Binding(value=item.context_expr))
            for item in node.items
            if isinstance(item.optional_vars, ast.Name)
        ]
    if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
        return [(node.target.id, Binding())]
    return []
