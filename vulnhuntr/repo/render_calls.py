"""Render calls as written: which framework renders, the template-name argument, what it passes.

Render calls are recognised by the qualified name the resolver gives them
(import origin, never a variable's name): Flask/Quart ``render_template``,
Django ``render`` / ``render_to_response`` / ``render_to_string`` /
``TemplateResponse`` / ``loader.get_template(...).render``, Jinja2
``Environment.get_template(...).render`` and Starlette/FastAPI
``Jinja2Templates.TemplateResponse``, ``aiohttp_jinja2.render_template``; a Django
class-based view renders its ``template_name`` (:func:`view_template`).

Where the named template lives and how it is escaped is :mod:`.rendering`'s answer;
this module only reads the call (syntax and imports, never the scanned code run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .frameworks.syntax import statements_breadth_first
from .index import ModuleIndex, RepoIndex, dotted
from .resolve import Resolver

FLASK_RENDER = frozenset(
    "flask.render_template flask.templating.render_template flask.stream_template flask.templating.stream_template "
    "quart.render_template quart.templating.render_template quart.stream_template".split()
)
DJANGO_RENDER = {  # qualified name -> (position of the template name, position of the context)
    "django.shortcuts.render": (1, 2),
    "django.shortcuts.render_to_response": (0, 1),
    "django.template.loader.render_to_string": (0, 1),
    "django.template.response.TemplateResponse": (1, 2),
    "django.template.response.SimpleTemplateResponse": (0, 1),
    "django.template.TemplateResponse": (1, 2),
}
DJANGO_LOADERS = frozenset(
    "django.template.loader.get_template django.template.loader.select_template "
    "django.template.engines.get_template".split()
)
JINJA_ENVIRONMENTS = frozenset(
    "jinja2.Environment jinja2.environment.Environment jinja2.sandbox.SandboxedEnvironment "
    "jinja2.nativetypes.NativeEnvironment".split()
)
STARLETTE_TEMPLATES = frozenset(
    "starlette.templating.Jinja2Templates fastapi.templating.Jinja2Templates".split()
)
AIOHTTP_RENDER = frozenset(
    "aiohttp_jinja2.render_template aiohttp_jinja2.render_string aiohttp_jinja2.render_template_async "
    "aiohttp_jinja2.render_string_async".split()
)
_TEMPLATE_GETTERS = ("get_template", "select_template", "get_or_select_template")


@dataclass(frozen=True)
class RenderSpec:
    """A render call as written: which framework, the template-name argument, what it passes."""

    framework: str  # "flask", "django", "jinja2", "starlette", "aiohttp"
    name: ast.expr | None  # the template name (or list of names) argument
    receiver: ast.expr | None  # the environment / Jinja2Templates object, when the call goes through one
    pairs: tuple[tuple[str, ast.expr], ...] = ()  # context variable -> the expression passed for it
    dicts: tuple[ast.expr, ...] = ()  # context mappings that are not literals (``**ctx``, ``context``)


def render_spec(node: ast.Call, qualified: str | None, function: ast.AST | None = None) -> RenderSpec | None:
    """What *node* renders, when its qualified callee name is a render call; *function* holds it (for locals)."""
    if not qualified:
        return None
    if qualified in FLASK_RENDER:
        return _with_context("flask", call_argument(node, 0, "template_name_or_list"), None, node.keywords, ())
    if qualified in AIOHTTP_RENDER:  # (template_name, request, context)
        context = call_argument(node, 2, "context")
        return _with_context("aiohttp", call_argument(node, 0, "template_name"), None, (), (context,))
    if qualified in DJANGO_RENDER:
        at_name, at_context = DJANGO_RENDER[qualified]
        context = call_argument(node, at_context, "context")
        return _with_context("django", call_argument(node, at_name, "template_name") or call_argument(node, None, "template"), None, (), (context,))
    if qualified.endswith(".render") and isinstance(node.func, ast.Attribute):
        getter = _getter_call(node.func.value, function, node.lineno)
        owner = qualified[: -len(".render")]
        if getter is None:
            return None
        contexts = (call_argument(node, 0, "context"),)
        if owner in DJANGO_LOADERS:
            return _with_context("django", call_argument(getter, 0, "template_name"), None, (), contexts)
        if owner.rsplit(".", 1)[0] in JINJA_ENVIRONMENTS and owner.rsplit(".", 1)[-1] in _TEMPLATE_GETTERS:
            receiver = getter.func.value if isinstance(getter.func, ast.Attribute) else None
            return _with_context("jinja2", call_argument(getter, 0, "name"), receiver, node.keywords, contexts)
        if owner.rsplit(".", 1)[0] in STARLETTE_TEMPLATES:
            receiver = getter.func.value if isinstance(getter.func, ast.Attribute) else None
            return _with_context("starlette", call_argument(getter, 0, "name"), receiver, node.keywords, contexts)
        return None
    if qualified.rsplit(".", 1)[0] in STARLETTE_TEMPLATES and qualified.endswith(".TemplateResponse"):
        receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
        first = node.args[0] if node.args else None
        old_style = isinstance(first, (ast.Constant, ast.List, ast.Tuple))
        name = call_argument(node, 0 if old_style else 1, "name")
        context = call_argument(node, 1 if old_style else 2, "context")
        return _with_context("starlette", name, receiver, (), (context,))
    return None


def view_spec(template_name: str, context: ast.expr | None) -> RenderSpec:
    """A Django class-based view rendering its ``template_name`` with *context* (``render_to_response(ctx)``)."""
    return _with_context("django", ast.Constant(template_name), None, (), (context,))


def view_template(index: RepoIndex, resolver: Resolver, file: str, qualname: str) -> str | None:
    """The ``template_name`` of a Django class-based view (set on it or on a repository base), else None."""
    module = index.modules.get(file)
    definition = module.definitions_by_name.get(qualname) if module is not None else None
    if module is None or definition is None or definition.kind != "class":
        return None
    bases = resolver.class_bases(module, definition)
    if not any(b.startswith("django.views.") for b in bases):
        return None
    classes = [(module, definition.line)]
    for base in bases:
        symbol = resolver.resolve(base, file).symbol
        found = index.modules.get(symbol.file) if symbol is not None and symbol.kind == "class" else None
        if found is not None and symbol is not None:
            classes.append((found, symbol.start_line))
    for owner, line in classes:
        name = _class_attribute(owner, line, "template_name")
        if name is not None:
            return name
    return None


def _class_attribute(module: ModuleIndex, line: int, attribute: str) -> str | None:
    for node in _classes_at(module).get(line, ()):
        for statement in node.body:
            if isinstance(statement, ast.Assign) and any(dotted(t) == attribute for t in statement.targets):
                value = statement.value
                return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
    return None


def _classes_at(module: ModuleIndex) -> dict[int, list[ast.ClassDef]]:
    """The classes of *module* by the line of their ``class`` or of a decorator, in walk order (one walk per module)."""
    cached = _classes_memo.get(id(module))
    if cached is not None and cached[0] is module:
        return cached[1]
    table: dict[int, list[ast.ClassDef]] = {}
    for node in statements_breadth_first(module.tree):  # a class is a statement: expressions need no visit
        if isinstance(node, ast.ClassDef):
            for line in dict.fromkeys([node.lineno, *(d.lineno for d in node.decorator_list)]):
                table.setdefault(line, []).append(node)
    if len(_classes_memo) > 4096:
        _classes_memo.clear()
    _classes_memo[id(module)] = (module, table)
    return table


_classes_memo: dict[int, tuple[ModuleIndex, dict[int, list[ast.ClassDef]]]] = {}


def call_argument(node: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    for kw in node.keywords:
        if kw.arg == keyword:
            return kw.value
    if position is not None and position < len(node.args) and not isinstance(node.args[position], ast.Starred):
        return node.args[position]
    return None


def _with_context(
    framework: str,
    name: ast.expr | None,
    receiver: ast.expr | None,
    keywords: Sequence[ast.keyword],
    mappings: Iterable[ast.expr | None],
) -> RenderSpec:
    pairs: list[tuple[str, ast.expr]] = []
    dicts: list[ast.expr] = []
    for kw in keywords:
        if kw.arg is None:
            dicts.append(kw.value)
        elif kw.arg != "template_name_or_list":
            pairs.append((kw.arg, kw.value))
    for mapping in mappings:
        if isinstance(mapping, ast.Dict):
            for key, value in zip(mapping.keys, mapping.values):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    pairs.append((key.value, value))
                elif key is None:
                    dicts.append(value)
        elif isinstance(mapping, ast.Call) and dotted(mapping.func) == "dict":
            pairs += [(kw.arg, kw.value) for kw in mapping.keywords if kw.arg]
        elif mapping is not None:
            dicts.append(mapping)
    return RenderSpec(framework, name, receiver, tuple(pairs), tuple(dicts))


def _getter_call(node: ast.expr, function: ast.AST | None, line: int) -> ast.Call | None:
    """``env.get_template("x")`` itself, or the call last assigned to the local name *node* before *line*."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _TEMPLATE_GETTERS:
        return node
    if isinstance(node, ast.Call) and dotted(node.func) is not None and dotted(node.func).rsplit(".", 1)[-1] in _TEMPLATE_GETTERS:  # type: ignore[union-attr]
        return node
    if isinstance(node, ast.Name) and function is not None:
        value = assigned_before(function, node.id, line)
        if isinstance(value, ast.Call):
            return _getter_call(value, None, line)
    return None


def assigned_before(function: ast.AST, name: str, line: int) -> ast.expr | None:
    """The value last assigned to the plain local *name* above *line* in *function* (syntax only)."""
    found: ast.expr | None = None
    found_line = 0
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and node.lineno < line and node.lineno >= found_line:
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                found, found_line = node.value, node.lineno
        elif isinstance(node, ast.AnnAssign) and node.value is not None and node.lineno < line:
            if isinstance(node.target, ast.Name) and node.target.id == name and node.lineno >= found_line:
                found, found_line = node.value, node.lineno
    return found


def dict_entries(function: ast.AST, name: str, line: int) -> list[tuple[str, ast.expr]] | None:
    """The keys a local context dict gets above *line*: its literal, ``d["k"] = v``, ``d.update(k=v)``; None if unknown."""
    value = assigned_before(function, name, line)
    if isinstance(value, ast.Dict):
        entries = [(k.value, v) for k, v in zip(value.keys, value.values) if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    elif isinstance(value, ast.Call) and dotted(value.func) == "dict":
        entries = [(kw.arg, kw.value) for kw in value.keywords if kw.arg]
    elif isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and _is_super(value.func.value):
        entries = []  # ``super().get_context_data(**kwargs)``: the framework's own keys
    else:
        return None
    for node in ast.walk(function):
        if getattr(node, "lineno", line) >= line:
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == name
                    and isinstance(target.slice, ast.Constant)
                    and isinstance(target.slice.value, str)
                ):
                    entries.append((target.slice.value, node.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
            if isinstance(node.func.value, ast.Name) and node.func.value.id == name:
                entries += [(kw.arg, kw.value) for kw in node.keywords if kw.arg]
    return entries


def _is_super(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def template_names(node: ast.expr | None) -> list[str]:
    """The literal template names of a name argument (a string, or a list/tuple of strings)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []



def render_calls(module: ModuleIndex, function: ast.AST, resolver: Resolver) -> list[tuple[ast.Call, RenderSpec]]:
    """The render calls written in *function* (syntax and imports only, as the prompt builder needs them)."""
    found = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        qualified = _qualified_callee(node, module, function, resolver)
        spec = render_spec(node, qualified, function) if qualified else None
        if spec is not None:
            found.append((node, spec))
    return sorted(found, key=lambda pair: (pair[0].lineno, pair[0].col_offset))


def _qualified_callee(node: ast.Call, module: ModuleIndex, function: ast.AST, resolver: Resolver) -> str | None:
    """``render_template`` → ``flask.render_template``; ``t.render`` with ``t = env.get_template(...)`` → ``...get_template.render``."""
    text = dotted(node.func)
    qualified = resolver.qualify(text, module.path, node.lineno) if text else None
    if qualified or not isinstance(node.func, ast.Attribute) or node.func.attr != "render":
        return qualified
    getter = _getter_call(node.func.value, function, node.lineno)
    getter_text = dotted(getter.func) if getter is not None else None
    if getter is None or getter_text is None:
        return None
    owner = getter_text.rsplit(".", 1)[0]
    if "." in getter_text:
        kind = resolver.instance_type(owner, module.path, node.lineno) or resolver.qualify(owner, module.path, node.lineno)
        return f"{kind}.{getter_text.rsplit('.', 1)[1]}.render" if kind else None
    base = resolver.qualify(getter_text, module.path, node.lineno)
    return f"{base}.render" if base else None
