"""Which template a render call renders, where the file lives, and whether it is autoescaped.

Render calls are read by :mod:`.render_calls` (recognised by the qualified name the
resolver gives them, never by a variable's name) and the repository's loaders found by
:mod:`.template_loaders`. The template name is looked up on the framework's search
path, built from the repository's own configuration:

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

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from .index import RepoIndex, dotted
from .paths import shared_dirs
from .render_calls import (  # the render calls; static.templates and tests import them from here
    RenderSpec as RenderSpec,
    _class_attribute as _class_attribute,
    _classes_at as _classes_at,
    assigned_before as assigned_before,
    dict_entries as dict_entries,
    render_calls,
    render_spec as render_spec,
    template_names,
    view_spec as view_spec,
    view_template as view_template,
)
from .resolve import Resolver
from .template_loaders import Loader, autoescapes, find_loaders
from .template_loaders import _may_construct as _may_construct  # imported from here by tests
from .templates import TemplateSet


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
        if framework == "django":  # the settings nearest the view first: a repository may hold several projects
            ranked = sorted(mine, key=lambda l: (-shared_dirs(l.file, file), l.file, l.line))
            dirs = [f for l in ranked for f in l.folders]
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

