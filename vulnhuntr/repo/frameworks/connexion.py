"""connexion: API operations declared in an OpenAPI 3 / Swagger 2 spec and routed by ``operationId``.

The spec is found from the code: ``app.add_api("openapi.yaml", base_path=..., resolver=...)``
on a connexion app (``connexion.App``, ``FlaskApp``, ``AsyncApp``...), read from the
app's ``specification_dir`` (a literal, or ``Path(__file__).parent / "spec"``-style
expressions). When the code does not say where the spec is, every spec-like file
of the repository is tried; a path item may be a ``$ref`` to another file. Each operation becomes an entry point of kind
"api-operation" in the handler's module: the route is the spec path, the method
the operation's. connexion passes the spec's parameters (path, query, header,
cookie, form fields, ``body``) as keyword arguments, so the handler's parameters
are request data, as for a route.

Operation ids are resolved the way connexion's resolvers do: ``module.function``
(made relative by ``x-openapi-router-controller`` / ``x-swagger-router-controller``
or a ``RelativeResolver``), or derived from the path and method by a
``RestyResolver`` (``GET /pets`` → ``api.pets.search``, ``GET /pets/{id}`` →
``api.pets.get``; a ``MethodViewResolver`` names methods of a class per resource,
``api.PetsView.search``).
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass
from typing import Iterator

from ..index import ModuleIndex, dotted
from ..paths import inside_root, shared_dirs
from .context import Context, Target
from .entry import EntryPoint
from .objects import split
from .specs import Operation, SpecError, find_spec_files, is_file_inside, load, looks_like_spec
from .syntax import Scope, call_arg, string_value

_APP_CLASSES = frozenset({"App", "FlaskApp", "AsyncApp", "AioHttpApp", "ConnexionMiddleware", "FlaskApi", "AsyncApi"})
_MAX_FALLBACK_SPECS = 50
_COLLECTION = "search"


@dataclass(frozen=True)
class Naming:
    """How operation ids become dotted function names (connexion's resolver classes)."""

    style: str = "default"  # "default", "relative", "resty", "method-view"
    module: str = ""  # RelativeResolver / RestyResolver default module
    collection: str = _COLLECTION  # RestyResolver's name for a collection GET

    def function_name(self, operation: Operation) -> str | None:
        if operation.operation_id is not None:
            if operation.controller:
                return f"{operation.controller}.{operation.operation_id}"
            if self.style == "relative" and self.module:
                return f"{self.module}.{operation.operation_id}"
            return operation.operation_id
        return self._resty(operation) if self.style in ("resty", "method-view") else None

    def _resty(self, operation: Operation) -> str:
        """REST semantics: the first path segment names the module, the method (or "search") the function."""
        segments = [s for s in operation.spec_path.strip("/").split("/") if s]
        resource = segments[0].replace("-", "_") if segments and not segments[0].startswith("{") else ""
        if self.style == "method-view":  # a class per resource: ``api.PetsView.search``
            resource = resource[:1].upper() + resource[1:] + "View" if resource else ""
        controller = operation.controller or ".".join(p for p in (self.module, resource) if p)
        collection = operation.method == "GET" and resource and len(segments) == 1
        return f"{controller}.{self.collection if collection else operation.method.lower()}"


@dataclass(frozen=True)
class Api:
    """One ``add_api`` call: where its spec is, and how its operations are named."""

    module: ModuleIndex  # where the call is: of two copies of a module, an operation id names the nearer
    spec: str  # relative path of the spec file
    naming: Naming
    base_path: str | None


def detect(ctx: Context) -> Iterator[EntryPoint]:
    if not ctx.repo_imports("connexion"):
        return
    ctx.reads_files = True  # spec files: what it finds depends on more than the index
    apis = list(_declared_apis(ctx)) or _fallback_apis(ctx)
    seen: set[tuple[str, str | None]] = set()
    for api in apis:
        if (api.spec, api.base_path) not in seen:
            seen.add((api.spec, api.base_path))
            yield from _operations(ctx, api)


# -- where the specs are ----------------------------------------------------------------


def _declared_apis(ctx: Context) -> Iterator[Api]:
    for module in ctx.modules():
        for call, scope in ctx.method_calls(module, ("add_api",)):
            assert isinstance(call.func, ast.Attribute)
            if not _is_connexion_app(ctx, module, call.func.value, scope):
                continue
            spec = _spec_file(ctx, module, call, scope)
            if spec is not None:
                base_path = string_value(call_arg(call, None, "base_path"))
                yield Api(module, spec, _naming(ctx, module, call, scope), base_path)


def _fallback_apis(ctx: Context) -> list[Api]:
    """No ``add_api`` said where its spec is: every spec-like file of the repository, default naming."""
    anchor = next((m for m in ctx.modules() if ctx.imports(m, "connexion")), None)
    if anchor is None:
        return []
    files = [f for f in find_spec_files(ctx.index.root) if looks_like_spec(ctx.index.root, f)]
    return [Api(anchor, f, Naming(), None) for f in files[:_MAX_FALLBACK_SPECS]]


def _is_connexion_app(ctx: Context, module: ModuleIndex, receiver: ast.expr, scope: Scope) -> bool:
    typed = ctx.object_type(module, receiver, scope)
    if typed is not None:
        top, last = split(typed)
        return top == "connexion" and last in _APP_CLASSES
    return ctx.is_unknown(module, receiver, scope) and ctx.imports(module, "connexion")


def _spec_file(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> str | None:
    """The relative path of the spec an ``add_api`` call loads, or None (with a reason) when not found."""
    argument = call_arg(call, 0, "specification")
    spec = _path_value(ctx, module, argument, scope)
    if spec is None:
        return None  # a dict built in code, a name we cannot follow: the fallback search may find it
    anchored, text = spec
    module_dir = posixpath.dirname(module.path)
    candidates = [text] if anchored else []
    if not anchored:
        spec_dir = _specification_dir(ctx, module, call.func.value, scope)  # type: ignore[attr-defined]
        if spec_dir is not None:
            dir_anchored, directory = spec_dir
            base = directory if dir_anchored else posixpath.join(module_dir, directory)
            candidates.append(posixpath.join(base, text))
        candidates += [posixpath.join(module_dir, text), text]
    root = ctx.index.root
    for candidate in candidates:
        relative = inside_root(candidate)
        if relative is None:
            continue
        if is_file_inside(root, relative):
            return relative
    return _by_name(ctx, module, posixpath.basename(text), candidates)


def _by_name(ctx: Context, module: ModuleIndex, name: str, tried: list[str]) -> str | None:
    """The spec file named *name* nearest to *module* when it is not where the code says (run from elsewhere)."""
    found = ctx.memo(f"connexion:spec-files:{name}", lambda: find_spec_files(ctx.index.root, name)) if name else []
    if not found:
        shown = next((t for t in tried if inside_root(t) is not None), tried[0] if tried else name)
        ctx.skip(shown, f"OpenAPI spec named in {module.path} not found in the repository")
        return None
    return max(found, key=lambda f: (shared_dirs(f, module.path), -f.count("/")))



def _specification_dir(ctx: Context, module: ModuleIndex, receiver: ast.expr, scope: Scope) -> tuple[bool, str] | None:
    """The ``specification_dir=`` the app was constructed with, as a path."""
    constructor = _constructor(ctx, module, receiver, scope)
    if constructor is None:
        return None
    return _path_value(ctx, module, call_arg(constructor, None, "specification_dir"), scope)


def _constructor(ctx: Context, module: ModuleIndex, receiver: ast.expr, scope: Scope) -> ast.Call | None:
    if isinstance(receiver, ast.Call):
        return receiver
    name = dotted(receiver)
    if name is None or "." in name:
        return None
    binding = ctx.local(scope, name)
    value = binding.value if binding is not None else ctx.variable_value(module, name)
    return value if isinstance(value, ast.Call) else None


# -- paths written in code ------------------------------------------------------------------

_DIRNAME = frozenset({"os.path.dirname", "posixpath.dirname"})
_SAME = frozenset({"os.path.abspath", "os.path.realpath", "os.path.normpath", "os.fspath", "str"})
_JOIN = frozenset({"os.path.join", "posixpath.join"})


def _path_value(
    ctx: Context, module: ModuleIndex, expr: ast.expr | None, scope: Scope, depth: int = 0
) -> tuple[bool, str] | None:
    """A path expression as ``(anchored, path)``: anchored paths are relative to the repository root
    (built from ``__file__``), the others relative to wherever connexion looks (a literal).
    """
    if expr is None or depth > 8:
        return None
    text = string_value(expr)
    if text is not None:
        return False, text
    if isinstance(expr, ast.Name):
        if expr.id == "__file__":
            return True, module.path
        binding = ctx.local(scope, expr.id)
        value = binding.value if binding is not None else ctx.variable_value(module, expr.id)
        return _path_value(ctx, module, value, scope, depth + 1)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
        return _join(_path_value(ctx, module, expr.left, scope, depth + 1), expr.right, ctx, module, scope, depth)
    if isinstance(expr, ast.Attribute) and expr.attr == "parent":
        inner = _path_value(ctx, module, expr.value, scope, depth + 1)
        return (inner[0], posixpath.dirname(inner[1])) if inner is not None else None
    if isinstance(expr, ast.Call):
        return _path_call(ctx, module, expr, scope, depth)
    return None


def _path_call(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope, depth: int) -> tuple[bool, str] | None:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("resolve", "absolute", "expanduser") and not call.args:
        inner = _path_value(ctx, module, func.value, scope, depth + 1)
        if inner is not None or ctx.qualify(module, func) is None:
            return inner
    if isinstance(func, ast.Attribute) and func.attr == "joinpath" and call.args:
        base = _path_value(ctx, module, func.value, scope, depth + 1)
        for part in call.args:
            base = _join(base, part, ctx, module, scope, depth)
        return base
    qualified = ctx.qualify(module, func) or ""
    first = call.args[0] if call.args else None
    if qualified in _DIRNAME:
        inner = _path_value(ctx, module, first, scope, depth + 1)
        return (inner[0], posixpath.dirname(inner[1])) if inner is not None else None
    if qualified in _SAME or split(qualified) in (("pathlib", "Path"), ("pathlib", "PurePath")):
        return _path_value(ctx, module, first, scope, depth + 1) if len(call.args) == 1 else None
    if qualified in _JOIN and call.args:
        base = _path_value(ctx, module, first, scope, depth + 1)
        for part in call.args[1:]:
            base = _join(base, part, ctx, module, scope, depth)
        return base
    return None


def _join(
    base: tuple[bool, str] | None, part: ast.expr, ctx: Context, module: ModuleIndex, scope: Scope, depth: int
) -> tuple[bool, str] | None:
    right = _path_value(ctx, module, part, scope, depth + 1)
    if base is None or right is None:
        return None
    if right[0] or right[1].startswith("/"):
        return right
    return base[0], posixpath.join(base[1], right[1])


# -- operations → functions -----------------------------------------------------------------


def _naming(ctx: Context, module: ModuleIndex, call: ast.Call, scope: Scope) -> Naming:
    """The ``resolver=`` of an ``add_api`` call (or of the app), as a naming rule."""
    resolver = call_arg(call, None, "resolver")
    if resolver is None:
        constructor = _constructor(ctx, module, call.func.value, scope)  # type: ignore[attr-defined]
        resolver = call_arg(constructor, None, "resolver") if constructor is not None else None
    if isinstance(resolver, ast.Name):
        binding = ctx.local(scope, resolver.id)
        resolver = binding.value if binding is not None else ctx.variable_value(module, resolver.id)
    if not isinstance(resolver, ast.Call):
        return Naming()
    top, last = split(ctx.qualify(module, resolver.func) or ".")
    argument = string_value(call_arg(resolver, 0, "default_module_name")) or ""
    if top == "connexion" and last in ("RestyResolver", "MethodViewResolver"):
        collection = string_value(call_arg(resolver, 1, "collection_endpoint_name")) or _COLLECTION
        return Naming("resty" if last == "RestyResolver" else "method-view", argument, collection)
    if top == "connexion" and last == "RelativeResolver":
        return Naming("relative", string_value(call_arg(resolver, 0, "root_path")) or argument)
    return Naming()


def _operations(ctx: Context, api: Api) -> Iterator[EntryPoint]:
    try:
        spec = load(ctx.index.root, api.spec, api.base_path)
    except SpecError as exc:
        ctx.skip(api.spec, str(exc))
        return
    mapped = 0
    for operation in spec.operations:
        name = api.naming.function_name(operation)
        target = _function(ctx, api.module, name) if name else None
        if target is None:
            continue
        mapped += 1
        yield EntryPoint(
            target.module.path,
            target.qualname,
            target.line,
            "connexion",
            operation.path,
            (operation.method,),
            "api-operation",
        )
    if spec.operations and not mapped:
        ctx.skip(api.spec, f"none of its {len(spec.operations)} operations names a function of the repository")


def _function(ctx: Context, near: ModuleIndex, dotted_name: str) -> Target | None:
    """The repo function (or method) a dotted operation id names, as connexion imports it."""
    target = ctx.import_target(dotted_name, near)
    return target if target is not None and not target.is_class else None
