"""Template loaders: every configured search path of a repository and its autoescape rule.

Flask/Quart apps and blueprints, Jinja2 environments (and ``aiohttp_jinja2.setup``),
Starlette/FastAPI ``Jinja2Templates`` and Django ``TEMPLATES`` settings, read from the
code's text; the rules they follow are described in :mod:`.rendering`, which searches them.
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass
from functools import cached_property

from .index import ModuleIndex, RepoIndex, dotted
from .paths import inside_root
from .render_calls import JINJA_ENVIRONMENTS, STARLETTE_TEMPLATES, call_argument
from .resolve import Resolver
from .templates import TemplateSet

FLASK_EXTENSIONS = (".html", ".htm", ".xml", ".xhtml", ".svg")
JINJA_DEFAULT_ENABLED = ("html", "htm", "xml")
AIOHTTP_SETUP = frozenset({"aiohttp_jinja2.setup"})
FLASK_APPS = frozenset("flask.Flask flask.app.Flask quart.Quart quart.app.Quart".split())
FLASK_BLUEPRINTS = frozenset("flask.Blueprint flask.blueprints.Blueprint quart.Blueprint quart.blueprints.Blueprint".split())
_CONSTRUCTORS = frozenset(
    {"Flask", "Quart", "Blueprint", "Environment", "SandboxedEnvironment", "NativeEnvironment", "Jinja2Templates", "setup"}
)
_CONFIGURING = FLASK_APPS | FLASK_BLUEPRINTS | JINJA_ENVIRONMENTS | STARLETTE_TEMPLATES | AIOHTTP_SETUP


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
            given = call_argument(node, None, "template_folder")
            if given is None:
                folders = [] if qualified in FLASK_BLUEPRINTS else [self._near("templates")]
            else:
                folders = [f for f in [self._folder(given)] if f is not None]
            return Loader("flask", here, node.lineno, tuple(folders), "flask", variable)
        if qualified in JINJA_ENVIRONMENTS:
            folders = self._loader_folders(call_argument(node, None, "loader"))
            return Loader("jinja2", here, node.lineno, tuple(folders), self._autoescape(node), variable)
        if qualified in AIOHTTP_SETUP:  # aiohttp_jinja2.setup(app, loader=..., autoescape=True by default)
            folders = self._loader_folders(call_argument(node, None, "loader"))
            rule = "on" if call_argument(node, None, "autoescape") is None else self._autoescape(node)
            return Loader("aiohttp", here, node.lineno, tuple(folders), rule, variable)
        if qualified in STARLETTE_TEMPLATES:
            given = call_argument(node, 0, "directory")
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
        value = call_argument(node, None, "autoescape")
        if value is None:
            return "off"  # Jinja2's default
        if isinstance(value, ast.Constant):
            return "on" if value.value else "off"
        if isinstance(value, ast.Call) and (self.qualify(value.func, node.lineno) or "").endswith("select_autoescape"):
            enabled = _strings(call_argument(value, 0, "enabled_extensions"))
            disabled = _strings(call_argument(value, 1, "disabled_extensions"))
            default = call_argument(value, 3, "default")
            if enabled is None:
                enabled = list(JINJA_DEFAULT_ENABLED) if call_argument(value, 0, "enabled_extensions") is None else None
            if enabled is None or disabled is None and call_argument(value, 1, "disabled_extensions") is not None:
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
            given = call_argument(node, 0, "searchpath")
            return self._folders_of(given) if given is not None else []
        if kind == "PackageLoader":
            package = call_argument(node, 0, "package_name")
            sub = call_argument(node, 1, "package_path")
            sub_text = sub.value if isinstance(sub, ast.Constant) and isinstance(sub.value, str) else "templates"
            if isinstance(package, ast.Constant) and isinstance(package.value, str):
                found = self.resolver.index.find_module(package.value, self.module.module)
                if found is not None:
                    base = posixpath.dirname(found.path)
                    return [inside_root(posixpath.join(base, sub_text))] if inside_root(posixpath.join(base, sub_text)) is not None else []  # type: ignore[list-item]
            return []
        if kind in ("ChoiceLoader", "PrefixLoader"):
            inner = call_argument(node, 0, "loaders") if kind == "ChoiceLoader" else call_argument(node, 0, "mapping")
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

