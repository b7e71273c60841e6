"""Which template a render call renders, where the file lives, and whether it is autoescaped.

Render calls are recognised by the qualified name the resolver gives them
(import origin, never a variable's name): Flask/Quart ``render_template``,
Django ``render`` / ``render_to_response`` / ``render_to_string`` /
``TemplateResponse`` / ``loader.get_template(...).render``, Jinja2
``Environment.get_template(...).render`` and Starlette/FastAPI
``Jinja2Templates.TemplateResponse``, ``aiohttp_jinja2.render_template``; a Django
class-based view renders its ``template_name`` (:func:`view_template`). The template
name is looked up on the framework's search path, built from the repository's own
configuration:

* Flask/Quart: every ``Flask(...)``/``Blueprint(...)`` ``template_folder``
  (default ``templates`` next to the app's module; a blueprint has none unless
  given), those of the caller's package first;
* Django: ``TEMPLATES[...]["DIRS"]`` of a settings module, then every app's
  ``templates/`` folder (the caller's app first);
* Jinja2: the ``FileSystemLoader`` / ``PackageLoader`` / ``ChoiceLoader`` of the
  ``Environment`` the call goes through (or of ``aiohttp_jinja2.setup``); Starlette:
  ``Jinja2Templates(directory=...)``.

When that finds nothing, a template of that relative name under any
``templates`` folder is used if there is exactly one. Paths are computed from
the code's text (``BASE_DIR / "templates"``, ``os.path.join(...)``,
``Path(__file__).parent``), never by importing it, and a path that would leave
the root is dropped.

Autoescaping (the default an output gets outside ``{% autoescape %}`` blocks):

* Flask and Quart escape templates whose name ends in ``.html``, ``.htm``,
  ``.xml``, ``.xhtml`` or ``.svg`` and nothing else (a ``.txt``, ``.j2`` or
  ``.jinja2`` template prints raw); ``app.jinja_env.autoescape = False`` anywhere
  in the repository turns it off for all of them.
* Django escapes every template unless a ``TEMPLATES`` entry sets
  ``OPTIONS["autoescape"]`` to ``False``.
* A Jinja2 ``Environment`` escapes only with ``autoescape=True`` (no argument
  means **off**); ``select_autoescape(enabled_extensions, disabled_extensions,
  default_for_string, default)`` escapes names ending in an enabled extension
  (``html``, ``htm``, ``xml`` when not given), not those ending in a disabled one,
  and otherwise follows ``default`` (False). Any other expression is unknown and
  counted as escaping, so unknown code never produces a finding.
* Starlette/FastAPI ``Jinja2Templates`` escapes (it sets ``autoescape=True``), and so
  does ``aiohttp_jinja2.setup`` unless given ``autoescape``.
"""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from .frameworks.syntax import statements_breadth_first
from .index import ModuleIndex, RepoIndex, dotted
from .paths import inside_root, shared_dirs
from .resolve import Resolver
from .templates import TemplateSet

FLASK_EXTENSIONS = (".html", ".htm", ".xml", ".xhtml", ".svg")
JINJA_DEFAULT_ENABLED = ("html", "htm", "xml")

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
AIOHTTP_SETUP = frozenset({"aiohttp_jinja2.setup"})
FLASK_APPS = frozenset("flask.Flask flask.app.Flask quart.Quart quart.app.Quart".split())
FLASK_BLUEPRINTS = frozenset("flask.Blueprint flask.blueprints.Blueprint quart.Blueprint quart.blueprints.Blueprint".split())
_CONSTRUCTORS = frozenset(
    {"Flask", "Quart", "Blueprint", "Environment", "SandboxedEnvironment", "NativeEnvironment", "Jinja2Templates", "setup"}
)
_CONFIGURING = FLASK_APPS | FLASK_BLUEPRINTS | JINJA_ENVIRONMENTS | STARLETTE_TEMPLATES | AIOHTTP_SETUP
_TEMPLATE_GETTERS = ("get_template", "select_template", "get_or_select_template")


# --------------------------------------------------------------------------- render calls


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
        return _with_context("flask", _arg(node, 0, "template_name_or_list"), None, node.keywords, ())
    if qualified in AIOHTTP_RENDER:  # (template_name, request, context)
        context = _arg(node, 2, "context")
        return _with_context("aiohttp", _arg(node, 0, "template_name"), None, (), (context,))
    if qualified in DJANGO_RENDER:
        at_name, at_context = DJANGO_RENDER[qualified]
        context = _arg(node, at_context, "context")
        return _with_context("django", _arg(node, at_name, "template_name") or _arg(node, None, "template"), None, (), (context,))
    if qualified.endswith(".render") and isinstance(node.func, ast.Attribute):
        getter = _getter_call(node.func.value, function, node.lineno)
        owner = qualified[: -len(".render")]
        if getter is None:
            return None
        context = (_arg(node, 0, "context"),)
        if owner in DJANGO_LOADERS:
            return _with_context("django", _arg(getter, 0, "template_name"), None, (), context)
        if owner.rsplit(".", 1)[0] in JINJA_ENVIRONMENTS and owner.rsplit(".", 1)[-1] in _TEMPLATE_GETTERS:
            receiver = getter.func.value if isinstance(getter.func, ast.Attribute) else None
            return _with_context("jinja2", _arg(getter, 0, "name"), receiver, node.keywords, context)
        if owner.rsplit(".", 1)[0] in STARLETTE_TEMPLATES:
            receiver = getter.func.value if isinstance(getter.func, ast.Attribute) else None
            return _with_context("starlette", _arg(getter, 0, "name"), receiver, node.keywords, context)
        return None
    if qualified.rsplit(".", 1)[0] in STARLETTE_TEMPLATES and qualified.endswith(".TemplateResponse"):
        receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
        first = node.args[0] if node.args else None
        old_style = isinstance(first, (ast.Constant, ast.List, ast.Tuple))
        name = _arg(node, 0 if old_style else 1, "name")
        context = _arg(node, 1 if old_style else 2, "context")
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


def _arg(node: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
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


# --------------------------------------------------------------------------- search paths


@dataclass(frozen=True)
class Loader:
    """One configured template search path and its autoescape rule."""

    framework: str
    file: str  # where it is configured
    line: int
    folders: tuple[str, ...]  # relative to the root, in search order ("" = the root itself)
    autoescape: str  # "flask", "on", "off", "unknown", or "select:<enabled>:<disabled>:<default>"
    variable: str | None = None  # qualified name of the variable it is assigned to ("app.web.env")

    def escapes(self, name: str) -> bool:
        """Whether a template called *name* is autoescaped by this loader's environment."""
        return autoescapes(self.autoescape, name)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def autoescapes(rule: str, name: str) -> bool:
    """The autoescape default for template *name* under *rule* (see the module docstring)."""
    lower = name.lower()
    if rule == "flask":
        return lower.endswith(FLASK_EXTENSIONS)
    if rule == "off":
        return False
    if rule.startswith("select:"):
        _, enabled, disabled, default = rule.split(":", 3)
        if any(lower.endswith("." + ext) for ext in enabled.split(",") if ext):
            return True
        if any(lower.endswith("." + ext) for ext in disabled.split(",") if ext):
            return False
        return default == "true"
    return True  # "on" and "unknown"


@dataclass(frozen=True)
class Rendering:
    """Where a render call's template is and how it is escaped."""

    path: str
    name: str
    framework: str
    autoescape: bool
    loader: Loader | None
    folders: tuple[str, ...]  # the search path used, for resolving its extends/includes
    rule: str = "on"  # the environment's autoescape rule (see :func:`autoescapes`)

    def escapes(self, path: str) -> bool:
        """The autoescape default of *path*, this template or one it extends or includes (decided by name)."""
        return self.autoescape if path == self.path else autoescapes(self.rule, path.rsplit("/", 1)[-1])

    @property
    def autoescape_note(self) -> str | None:
        """A one-line note when the environment does not escape this template."""
        if self.autoescape:
            return None
        where = f" ({self.loader.where})" if self.loader is not None else ""
        if self.framework == "flask":
            return f"{self.name} is rendered by Flask without autoescaping (only .html/.htm/.xml/.xhtml/.svg are escaped){where}"
        if self.framework == "jinja2":
            return f"{self.name} is rendered by a Jinja2 Environment with autoescape off{where}"
        return f"{self.name} is rendered with autoescape off{where}"


@dataclass
class TemplateSearch:
    """Every loader of a repository, and the answer for a render call."""

    index: RepoIndex
    resolver: Resolver
    templates: TemplateSet
    _memo: dict[tuple[object, ...], Rendering | None] = field(default_factory=dict)

    @cached_property
    def loaders(self) -> list[Loader]:
        return find_loaders(self.index, self.resolver, self.templates)

    @cached_property
    def django_loaders(self) -> list[Loader]:
        """The Django loaders of :attr:`loaders`: a Django render call needs no search for other constructors."""
        if "loaders" in self.__dict__:
            return [l for l in self.loaders if l.framework == "django"]
        return find_loaders(self.index, self.resolver, self.templates, django_only=True)

    def _loaders_of(self, framework: str) -> list[Loader]:
        return self.django_loaders if framework == "django" else [l for l in self.loaders if l.framework == framework]

    @cached_property
    def template_folders(self) -> list[str]:
        """Every folder named like a template folder that holds templates (Django app ``templates/``)."""
        folders: set[str] = set()
        for path in self.templates.facts:
            parts = path.split("/")[:-1]
            for i, part in enumerate(parts):
                if part in ("templates", "jinja2"):
                    folders.add("/".join(parts[: i + 1]))
        return sorted(folders)

    def resolve(self, spec: RenderSpec, file: str, line: int) -> Rendering | None:
        """The template *spec* renders from *file*, or None when its name is not a literal or not found."""
        names = template_names(spec.name)
        if not names:
            return None
        receiver = self._receiver(spec, file, line)
        key = (spec.framework, tuple(names), file, receiver)
        if key not in self._memo:
            self._memo[key] = self._resolve(spec.framework, names, file, receiver)
        return self._memo[key]

    def rendered_by(self, file: str) -> set[str]:
        """Every template a render call in *file* resolves to, with what those extend and include."""
        module = self.index.modules.get(file)
        if module is None or not self.templates.facts:
            return set()
        found: set[str] = set()
        for call, spec in render_calls(module, module.tree, self.resolver):
            rendering = self.resolve(spec, file, call.lineno)
            if rendering is not None:
                found.update(self.templates.closure(rendering.path, rendering.folders))
        return found

    def _receiver(self, spec: RenderSpec, file: str, line: int) -> str | None:
        text = dotted(spec.receiver) if spec.receiver is not None else None
        if text is None:
            return None
        return self.resolver.qualify(text, file, line) or text

    def _resolve(self, framework: str, names: list[str], file: str, receiver: str | None) -> Rendering | None:
        loader, folders = self._search_path(framework, file, receiver)
        for name in names:
            path = self.templates.find(name, folders)
            if path is not None:
                return self._rendering(path, name, framework, loader, folders)
        for name in names:
            path = self.templates.fallback(name)
            if path is not None:
                return self._rendering(path, name, framework, loader, folders)
        return None

    def _rendering(self, path: str, name: str, framework: str, loader: Loader | None, folders: Sequence[str]) -> Rendering:
        if loader is not None:
            rule = loader.autoescape
        elif framework == "flask":
            rule = self._flask_rule()
        elif framework == "django":
            rule = self._django_rule()
        else:
            rule = "unknown"
        return Rendering(path, name, framework, autoescapes(rule, name), loader, tuple(folders), rule)

    def _search_path(self, framework: str, file: str, receiver: str | None) -> tuple[Loader | None, list[str]]:
        mine = self._loaders_of(framework)
        if framework in ("jinja2", "starlette", "aiohttp"):
            chosen = [l for l in mine if receiver is not None and l.variable == receiver]
            chosen = chosen or [l for l in mine if l.file == file] or (mine if len(mine) == 1 else [])
            if chosen:
                return chosen[0], list(chosen[0].folders)
            return None, [f for l in mine for f in l.folders]
        if framework == "flask":
            ranked = sorted(mine, key=lambda l: (-shared_dirs(l.file, file), l.framework, l.file, l.line))
            folders = [f for l in ranked for f in l.folders] or _default_folders(file, "templates")
            return None, _unique(folders)
        if framework == "django":
            dirs = [f for l in mine for f in l.folders]
            apps = sorted(self.template_folders, key=lambda f: (-shared_dirs(f + "/x", file), f))
            return None, _unique(dirs + apps)
        return None, []

    def _flask_rule(self) -> str:
        rules = {l.autoescape for l in self.loaders if l.framework == "flask"}
        return "off" if "off" in rules else "flask"

    def _django_rule(self) -> str:
        rules = {l.autoescape for l in self.django_loaders}
        return "off" if "off" in rules else "on"



def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _default_folders(file: str, folder: str) -> list[str]:
    """``templates`` next to *file* and next to each package above it."""
    parts = file.split("/")[:-1]
    return [posixpath.join(*parts[:i], folder) if i else folder for i in range(len(parts), -1, -1)]


# --------------------------------------------------------------------------- finding loaders


def _may_construct(module: ModuleIndex) -> bool:
    """Can *module* call a loader constructor? Not when its text names none (empty or non-ASCII text: maybe)."""
    source = module.source
    return not source or not source.isascii() or any(name in source for name in _CONSTRUCTORS)


def find_loaders(
    index: RepoIndex, resolver: Resolver, templates: TemplateSet, django_only: bool = False
) -> list[Loader]:
    """Every Flask app/blueprint, Jinja2 environment, Jinja2Templates and Django TEMPLATES setting.

    *django_only*: the Django settings alone (the same loaders, in the same order, as the
    full list filtered to Django), without reading every call for a loader constructor.
    """
    found: list[Loader] = []
    for module in index.modules.values():
        may_construct = not django_only and _may_construct(module)
        candidates = [c for c in module.calls if c.callee.rsplit(".", 1)[-1] in _CONSTRUCTORS] if may_construct else []
        has_settings = "TEMPLATES" in module.definitions_by_name
        has_jinja_env = not django_only and "jinja_env.autoescape" in module.source
        if not candidates and not has_settings and not has_jinja_env:
            continue
        reader = _ModuleReader(module, resolver, templates)
        for call in candidates:
            qualified = resolver.qualify(call.callee, module.path, call.line)
            if qualified not in _CONFIGURING:
                continue  # ``setuptools.setup``, a local ``Environment`` class: not a template loader
            for node in reader.calls_at(call.line, call.callee):
                loader = reader.loader(node, qualified or "")
                if loader is not None:
                    found.append(loader)
        if has_settings:
            found += reader.django_settings()
        if has_jinja_env:
            found += reader.flask_autoescape_off()
    return found


@dataclass
class _ModuleReader:
    """Reads template configuration out of one module's syntax tree."""

    module: ModuleIndex
    resolver: Resolver
    templates: TemplateSet

    @cached_property
    def parents(self) -> dict[int, ast.AST]:
        table: dict[int, ast.AST] = {}
        for node in ast.walk(self.module.tree):
            for child in ast.iter_child_nodes(node):
                table[id(child)] = node
        return table

    def calls_at(self, line: int, callee: str) -> list[ast.Call]:
        return [
            n for n in ast.walk(self.module.tree)
            if isinstance(n, ast.Call) and n.lineno == line and dotted(n.func) == callee
        ]  # fmt: skip

    def qualify(self, node: ast.expr, line: int) -> str | None:
        text = dotted(node)
        return self.resolver.qualify(text, self.module.path, line) if text else None

    def loader(self, node: ast.Call, qualified: str) -> Loader | None:
        here = self.module.path
        variable = self._variable(node)
        if qualified in FLASK_APPS or qualified in FLASK_BLUEPRINTS:
            given = _arg(node, None, "template_folder")
            if given is None:
                folders = [] if qualified in FLASK_BLUEPRINTS else [self._near("templates")]
            else:
                folders = [f for f in [self._folder(given)] if f is not None]
            return Loader("flask", here, node.lineno, tuple(folders), "flask", variable)
        if qualified in JINJA_ENVIRONMENTS:
            folders = self._loader_folders(_arg(node, None, "loader"))
            return Loader("jinja2", here, node.lineno, tuple(folders), self._autoescape(node), variable)
        if qualified in AIOHTTP_SETUP:  # aiohttp_jinja2.setup(app, loader=..., autoescape=True by default)
            folders = self._loader_folders(_arg(node, None, "loader"))
            rule = "on" if _arg(node, None, "autoescape") is None else self._autoescape(node)
            return Loader("aiohttp", here, node.lineno, tuple(folders), rule, variable)
        if qualified in STARLETTE_TEMPLATES:
            given = _arg(node, 0, "directory")
            folders = self._folders_of(given) if given is not None else []
            return Loader("starlette", here, node.lineno, tuple(folders), "on", variable)
        return None

    def _variable(self, node: ast.Call) -> str | None:
        parent = self.parents.get(id(node))
        if isinstance(parent, (ast.Assign, ast.AnnAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            for target in targets:
                text = dotted(target)
                if text is not None:
                    qualified = self.resolver.qualify(text, self.module.path, node.lineno)
                    return qualified or f"{self.module.module}.{text}"
        return None

    def _autoescape(self, node: ast.Call) -> str:
        value = _arg(node, None, "autoescape")
        if value is None:
            return "off"  # Jinja2's default
        if isinstance(value, ast.Constant):
            return "on" if value.value else "off"
        if isinstance(value, ast.Call) and (self.qualify(value.func, node.lineno) or "").endswith("select_autoescape"):
            enabled = _strings(_arg(value, 0, "enabled_extensions"))
            disabled = _strings(_arg(value, 1, "disabled_extensions"))
            default = _arg(value, 3, "default")
            if enabled is None:
                enabled = list(JINJA_DEFAULT_ENABLED) if _arg(value, 0, "enabled_extensions") is None else None
            if enabled is None or disabled is None and _arg(value, 1, "disabled_extensions") is not None:
                return "unknown"
            is_default = isinstance(default, ast.Constant) and bool(default.value)
            return f"select:{','.join(e.lstrip('.') for e in enabled)}:{','.join(e.lstrip('.') for e in disabled or [])}:{'true' if is_default else 'false'}"
        return "unknown"

    def _loader_folders(self, node: ast.expr | None) -> list[str]:
        if not isinstance(node, ast.Call):
            return []
        qualified = self.qualify(node.func, node.lineno) or ""
        kind = qualified.rsplit(".", 1)[-1]
        if kind == "FileSystemLoader":
            given = _arg(node, 0, "searchpath")
            return self._folders_of(given) if given is not None else []
        if kind == "PackageLoader":
            package = _arg(node, 0, "package_name")
            sub = _arg(node, 1, "package_path")
            sub_text = sub.value if isinstance(sub, ast.Constant) and isinstance(sub.value, str) else "templates"
            if isinstance(package, ast.Constant) and isinstance(package.value, str):
                found = self.resolver.index.find_module(package.value, self.module.module)
                if found is not None:
                    base = posixpath.dirname(found.path)
                    return [inside_root(posixpath.join(base, sub_text))] if inside_root(posixpath.join(base, sub_text)) is not None else []  # type: ignore[list-item]
            return []
        if kind in ("ChoiceLoader", "PrefixLoader"):
            inner = _arg(node, 0, "loaders") if kind == "ChoiceLoader" else _arg(node, 0, "mapping")
            elements = inner.elts if isinstance(inner, (ast.List, ast.Tuple)) else inner.values if isinstance(inner, ast.Dict) else []
            return [f for e in elements for f in self._loader_folders(e)]
        return []

    def _folders_of(self, node: ast.expr) -> list[str]:
        items = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
        return [f for f in (self._folder(i) for i in items) if f is not None]

    def _folder(self, node: ast.expr) -> str | None:
        """A folder argument: relative strings count from the module's folder or the root, whichever holds templates."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if posixpath.isabs(node.value):
                return None
            options = [inside_root(posixpath.join(posixpath.dirname(self.module.path), node.value)), inside_root(node.value)]
            real = [o for o in options if o is not None and self._holds_templates(o)]
            return real[0] if real else options[0]
        return path_value(node, self.module, self.resolver.index)

    def _near(self, folder: str) -> str:
        return inside_root(posixpath.join(posixpath.dirname(self.module.path), folder)) or folder

    def _holds_templates(self, folder: str) -> bool:
        prefix = folder + "/" if folder else ""
        return any(p.startswith(prefix) for p in self.templates.facts)

    def django_settings(self) -> list[Loader]:
        """``TEMPLATES = [{"DIRS": [...], "OPTIONS": {"autoescape": False}}]`` of a settings module."""
        found = []
        for statement in self.module.tree.body:
            if not (isinstance(statement, ast.Assign) and any(dotted(t) == "TEMPLATES" for t in statement.targets)):
                continue
            if not isinstance(statement.value, (ast.List, ast.Tuple)):
                continue
            for entry in statement.value.elts:
                if not isinstance(entry, ast.Dict):
                    continue
                settings = {k.value: v for k, v in zip(entry.keys, entry.values) if isinstance(k, ast.Constant)}
                backend = settings.get("BACKEND")
                jinja = isinstance(backend, ast.Constant) and "jinja2" in str(backend.value).lower()
                dirs = settings.get("DIRS")
                folders = self._folders_of(dirs) if dirs is not None and not isinstance(dirs, ast.Constant) else []
                rule = "on"
                options = settings.get("OPTIONS")
                if isinstance(options, ast.Dict):
                    for key, value in zip(options.keys, options.values):
                        if isinstance(key, ast.Constant) and key.value == "autoescape" and isinstance(value, ast.Constant):
                            rule = "on" if value.value else "off"
                found.append(Loader("django", self.module.path, statement.lineno, tuple(folders), rule if not jinja else rule))
        return found

    def flask_autoescape_off(self) -> list[Loader]:
        """``app.jinja_env.autoescape = False``: Flask renders every template raw."""
        found = []
        for node in ast.walk(self.module.tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is False:
                if any((dotted(t) or "").endswith("jinja_env.autoescape") for t in node.targets):
                    found.append(Loader("flask", self.module.path, node.lineno, (), "off"))
        return found


def _strings(node: ast.expr | None) -> list[str] | None:
    if node is None:
        return None
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return items if len(items) == len(node.elts) else None
    return None



def path_value(node: ast.expr, module: ModuleIndex, index: RepoIndex, depth: int = 0) -> str | None:
    """A folder computed from ``__file__`` (``BASE_DIR / "templates"``, ``os.path.join(BASE_DIR, "t")``)."""
    if depth > 8:
        return None
    again = lambda n: path_value(n, module, index, depth + 1)  # noqa: E731
    if isinstance(node, ast.Name):
        if node.id == "__file__":
            return module.path
        value = _module_assignment(module, node.id)
        return again(value) if value is not None else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return None  # a bare string is only meaningful joined to a computed base
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        base = again(node.value)
        return inside_root(posixpath.dirname(base)) if base else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        base = again(node.left)
        tail = node.right.value if isinstance(node.right, ast.Constant) and isinstance(node.right.value, str) else None
        return inside_root(posixpath.join(base, tail)) if base is not None and tail is not None else None
    if isinstance(node, ast.Call):
        name = dotted(node.func) or (node.func.attr if isinstance(node.func, ast.Attribute) else "")
        last = name.rsplit(".", 1)[-1]
        if isinstance(node.func, ast.Attribute) and last in ("resolve", "absolute") and not node.args:
            return again(node.func.value)
        if last in ("abspath", "realpath", "normpath", "Path", "PurePath", "str", "fspath") and len(node.args) == 1:
            return again(node.args[0])
        if last == "dirname" and len(node.args) == 1:
            base = again(node.args[0])
            return inside_root(posixpath.dirname(base)) if base else None
        if last == "join" and node.args:
            base = again(node.args[0])
            tails = [a.value for a in node.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if base is None or len(tails) != len(node.args) - 1:
                return None
            return inside_root(posixpath.join(base, *tails))
    return None


def _module_assignment(module: ModuleIndex, name: str) -> ast.expr | None:
    for statement in module.tree.body:
        if isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in statement.targets):
            return statement.value
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.target.id == name:
            return statement.value
    return None


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
