"""Template facts: what a Jinja2 or Django template prints, how, and where it points.

A template is code the view hands its variables to, so a view's XSS lives in it.
This module reads template text without executing or even compiling it: a small
scanner of its own finds every ``{{ expr }}`` output, the ``{% autoescape %}``
and ``{% filter %}`` blocks around it, the HTML context it lands in (text, an
attribute, a URL attribute, ``<script>``, ``<style>``), the ``extends`` /
``include`` / ``import`` edges, and the variable names it uses (loop and
``with``/``set`` aliases traced back to the context variable they come from).

Whether an output is *raw* depends on the environment that renders it (Flask
escapes ``.html`` but not ``.txt``; a bare Jinja2 ``Environment`` escapes
nothing), so an :class:`Output` records what the template itself says and
:meth:`Output.raw_under` combines it with the environment's default.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from .htmlstate import RAW_TEXT_ELEMENTS, URL_ATTRIBUTES, HtmlState
from .index import read_source
from .template_expressions import NOT_VARIABLES, SAFE_CALLS, STRING_LITERAL, fixed_result, name_paths, split_filters
from .skipped import SkippedFile

__all__ = [  # the HTML tracker and the expression helpers moved out stay importable from here
    "ESCAPE_FILTERS", "NEUTRAL_FILTERS", "NOT_VARIABLES", "RAW_TEXT_ELEMENTS", "SAFE_CALLS", "SAFE_FILTERS",
    "URL_ATTRIBUTES", "Output", "TemplateFacts", "TemplateSet", "load_templates", "name_paths", "scan_template",
    "split_filters",
]

SAFE_FILTERS = frozenset({"safe", "safeseq"})
"""Filters that mark a value as markup: it is printed unescaped."""
ESCAPE_FILTERS = frozenset({"escape", "e"})
"""Filters that escape, unless the value is already marked safe (both Jinja2 and Django then leave it)."""
NEUTRAL_FILTERS = frozenset(
    {
        "forceescape", "urlencode", "escapejs", "tojson", "json_script", "int", "float", "length", "count",
        "wordcount", "filesizeformat", "abs", "round", "yesno", "pluralize", "date", "time", "timesince",
        "timeuntil", "add_class", "slugify", "iriencode",
    }
)  # fmt: skip
"""Filters whose result cannot carry markup (an escaped string, a number, JSON): never raw afterwards."""

_TAG = re.compile(r"\{\{(?P<out>.*?)\}\}|\{%(?P<tag>.*?)%\}|\{#(?P<comment>.*?)#\}", re.S)
_QUOTED = re.compile(r"""['"]([^'"]+)['"]""")
_REQUEST_READ = re.compile(
    r"(?<![\w.])request\s*\.\s*(?:args|form|values|GET|POST|query_params|path_params|cookies|COOKIES|headers|META"
    r"|path|full_path|url|query_string|data|json|body)\b"
)
_RAW_BLOCKS = {"raw": "endraw", "verbatim": "endverbatim", "comment": "endcomment"}


@dataclass(frozen=True)
class Output:
    """One ``{{ expr }}`` and how it is printed."""

    line: int
    expression: str  # the whole text between the braces, stripped
    filters: tuple[str, ...]  # filter names in order ("safe", "escape")
    names: tuple[str, ...]  # context variables it reads (aliases resolved: ``post`` of ``for post in posts`` → posts)
    attributes: tuple[str, ...]  # attribute names read on those variables (``post.body`` → body)
    context: str  # "html", "attribute", "unquoted attribute", "attribute name", "url", "event handler", "script", "style"
    marked_safe: bool  # ``|safe`` / ``|safeseq`` (or inside ``{% filter safe %}``)
    neutralised: bool  # a filter after which nothing can be markup (``|escape`` on an unmarked value, ``|int``)
    block_autoescape: bool | None  # the innermost ``{% autoescape %}`` block's setting; None outside any
    block_line: int | None = None  # where that block (or a ``{% filter safe %}`` block) opens
    reads_request: bool = False  # prints request data itself (``{{ request.args.q }}``: Flask and Django inject ``request``)

    def raw_under(self, autoescape: bool) -> bool:
        """Printed without HTML escaping when the environment's default for this template is *autoescape*."""
        if self.neutralised:
            return False
        effective = autoescape if self.block_autoescape is None else self.block_autoescape
        return self.marked_safe or not effective

    @property
    def raw(self) -> bool:
        """Raw even where the environment escapes by default (``|safe``, ``autoescape off``)."""
        return self.raw_under(True)

    @property
    def why_raw(self) -> str:
        """How the template itself switches escaping off, for prompts and explanations."""
        if self.marked_safe:
            return "|safe" if "safe" in self.filters or "safeseq" in self.filters else "filter safe block"
        if self.block_autoescape is False:
            return "autoescape off block"
        return ""


@dataclass(frozen=True)
class TemplateFacts:
    """Everything the scanner learnt about one template file."""

    path: str  # relative POSIX path from the scan root
    sha256: str
    source: str = field(repr=False, compare=False)
    outputs: tuple[Output, ...] = ()
    extends: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()  # ``include`` and ``embed`` targets
    imports: tuple[str, ...] = ()  # ``import`` / ``from ... import`` targets
    problems: tuple[str, ...] = ()  # unbalanced delimiters and the like; the facts are still usable

    @cached_property
    def lines(self) -> list[str]:
        return self.source.splitlines()

    @property
    def references(self) -> tuple[str, ...]:
        """Every template this one pulls in, by the name it uses."""
        return self.extends + self.includes + self.imports

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(name for output in self.outputs for name in output.names)


# --------------------------------------------------------------------------- the scanner


@dataclass
class _Scope:
    """One open block that changes how outputs inside it are printed or named."""

    kind: str  # "autoescape", "filter", "for", "with", "other"
    line: int = 0
    autoescape: bool | None = None
    safe: bool = False
    aliases: dict[str, str] = field(default_factory=dict)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.html = HtmlState(enabled="{{" in text)
        self.scopes: list[_Scope] = []
        self.aliases: dict[str, str] = {}  # ``{% set x = y %}`` at template level
        self.outputs: list[Output] = []
        self.extends: list[str] = []
        self.includes: list[str] = []
        self.imports: list[str] = []
        self.problems: list[str] = []

    def line_at(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def run(self) -> None:
        position = 0
        raw_until: str | None = None
        for match in _TAG.finditer(self.text):
            if raw_until is not None:
                tag = (match.group("tag") or "").strip(" -+\t\n")
                if tag.split(" ", 1)[0] == raw_until:
                    raw_until = None
                    self.html.feed(self.text[position : match.start()])
                    position = match.end()
                continue
            self.html.feed(self.text[position : match.start()])
            position = match.end()
            if match.group("out") is not None:
                self._output(match.group("out"), match.start())
            elif match.group("tag") is not None:
                raw_until = self._tag(match.group("tag"), match.start())
        tail = self.text[position:]
        self.html.feed(tail)
        if "{{" in tail or "{%" in tail:
            self.problems.append(f"line {self.line_at(position + max(tail.find('{{'), tail.find('{%')))}: unclosed tag")
        if raw_until is not None:
            self.problems.append(f"unclosed block, missing {{% {raw_until} %}}")

    # outputs ------------------------------------------------------------------------
    def _output(self, body: str, offset: int) -> None:
        expression = body.strip(" \t\n-+")
        _base, filters = split_filters(expression)
        safe_at = max((i for i, f in enumerate(filters) if f in SAFE_FILTERS), default=-1)
        block_safe = any(s.safe for s in self.scopes)
        marked_safe = safe_at >= 0 or block_safe
        neutral = any(f in NEUTRAL_FILTERS for f in filters[safe_at + 1 :]) or fixed_result(_base)
        escaped = not marked_safe and any(f in ESCAPE_FILTERS for f in filters)
        opener = next((s for s in reversed(self.scopes) if s.kind == "autoescape" or s.safe), None)
        block = next((s.autoescape for s in reversed(self.scopes) if s.kind == "autoescape"), None)
        names, attributes = self._names(expression)
        self.html.placeholder()
        self.outputs.append(
            Output(
                line=self.line_at(offset + len(body) - len(body.lstrip())),
                expression=expression,
                filters=tuple(filters),
                names=names,
                attributes=attributes,
                context=self.html.context(),
                marked_safe=marked_safe,
                neutralised=neutral or escaped,
                block_autoescape=block,
                block_line=opener.line if opener is not None else None,
                reads_request=bool(_REQUEST_READ.search(STRING_LITERAL.sub('""', expression))),
            )
        )

    def _names(self, expression: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        names: list[str] = []
        attributes: list[str] = []
        for name, attrs in name_paths(expression):
            root = self._alias(name)
            if root not in names:
                names.append(root)
            for attr in attrs:
                if attr not in attributes:
                    attributes.append(attr)
        return tuple(names), tuple(attributes)

    def _alias(self, name: str, depth: int = 0) -> str:
        for scope in reversed(self.scopes):
            if name in scope.aliases:
                target = scope.aliases[name]
                return self._alias(target, depth + 1) if depth < 8 and target != name else target
        found = self.aliases.get(name)
        return self._alias(found, depth + 1) if found and depth < 8 and found != name else name

    # tags ---------------------------------------------------------------------------
    def _tag(self, body: str, offset: int) -> str | None:
        """Handle one ``{% ... %}``; returns the end tag to skip to for raw/verbatim/comment blocks."""
        text = body.strip(" \t\n-+")
        word, _, rest = text.partition(" ")
        rest = rest.strip()
        if word in _RAW_BLOCKS:
            return _RAW_BLOCKS[word]
        if word == "autoescape":
            setting = rest.split(" ", 1)[0].lower()
            value = True if setting in ("true", "on") else False if setting in ("false", "off") else None
            self.scopes.append(_Scope("autoescape", self.line_at(offset), autoescape=value))
        elif word == "filter":
            filters = [f.strip().split("(", 1)[0].split(":", 1)[0] for f in rest.split("|")]
            self.scopes.append(_Scope("filter", self.line_at(offset), safe=any(f in SAFE_FILTERS for f in filters)))
        elif word == "for":
            self.scopes.append(_Scope("for", aliases=_for_aliases(rest)))
        elif word == "with":
            self.scopes.append(_Scope("with", aliases=_assignments(rest)))
        elif word == "set":
            self.aliases.update(_assignments(rest))
        elif word in ("extends", "include", "import", "from", "embed"):
            self._edge(word, rest)
        elif word.startswith("end") and word[3:] in ("autoescape", "filter", "for", "with"):
            self._close(word[3:], offset)
        return None

    def _edge(self, word: str, rest: str) -> None:
        if word == "from":
            rest = rest.split(" import ", 1)[0]
        elif word == "import":
            rest = rest.split(" as ", 1)[0]
        elif word in ("include", "embed"):
            rest = re.split(r"\s(?:with|only|ignore|without)\b", rest, maxsplit=1)[0]
        names = _QUOTED.findall(rest)
        target = {"extends": self.extends, "import": self.imports, "from": self.imports}.get(word, self.includes)
        target.extend(n for n in names if n not in target)

    def _close(self, kind: str, offset: int) -> None:
        for i in range(len(self.scopes) - 1, -1, -1):
            if self.scopes[i].kind == kind:
                del self.scopes[i:]
                return
        self.problems.append(f"line {self.line_at(offset)}: end{kind} without {kind}")


def _for_aliases(rest: str) -> dict[str, str]:
    """``item in items`` / ``k, v in d.items()`` → each loop name stands for the iterated variable."""
    targets, _, iterable = rest.partition(" in ")
    paths = name_paths(iterable.split(" if ", 1)[0].split(" recursive", 1)[0])
    if not paths:
        return {}
    source = paths[0][0]
    return {t.strip(): source for t in targets.split(",") if t.strip().isidentifier()}


def _assignments(rest: str) -> dict[str, str]:
    """``x = a.b`` (Jinja ``set``/``with``), ``a.b as x`` (old Django ``with``), ``x=a y=b`` (Django ``with``)."""
    found: dict[str, str] = {}
    old = re.fullmatch(r"(.+?)\s+as\s+([A-Za-z_]\w*)", rest)
    if old is not None:
        paths = name_paths(old.group(1))
        return {old.group(2): paths[0][0]} if paths else {}
    for match in re.finditer(r"([A-Za-z_]\w*)\s*=\s*([^\s=,][^=,]*?)(?=\s+[A-Za-z_]\w*\s*=|,|$)", rest):
        paths = name_paths(match.group(2))
        if paths:
            found[match.group(1)] = paths[0][0]
    return found


# --------------------------------------------------------------------------- public


def scan_template(path: str, text: str, sha256: str = "") -> TemplateFacts:
    """The facts of one template's text; never raises on malformed templates (problems are listed)."""
    scanner = _Scanner(text)
    scanner.run()
    return TemplateFacts(
        path=path,
        sha256=sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=text,
        outputs=tuple(scanner.outputs),
        extends=tuple(scanner.extends),
        includes=tuple(scanner.includes),
        imports=tuple(scanner.imports),
        problems=tuple(scanner.problems),
    )


@dataclass
class TemplateSet:
    """Every scanned template of a repository, and lookups by the names render calls use."""

    facts: dict[str, TemplateFacts] = field(default_factory=dict)  # by relative path
    skipped: list[SkippedFile] = field(default_factory=list)
    _closures: dict[tuple[str, tuple[str, ...], int], list[str]] = field(default_factory=dict, repr=False, compare=False)

    def get(self, path: str) -> TemplateFacts | None:
        return self.facts.get(path)

    def find(self, name: str, folders: Iterable[str]) -> str | None:
        """The first ``folder/name`` that is a known template (the search path's order decides)."""
        clean = _clean_name(name)
        if clean is None:
            return None
        for folder in folders:
            candidate = f"{folder}/{clean}" if folder else clean
            if candidate in self.facts:
                return candidate
        return None

    def fallback(self, name: str) -> str | None:
        """The one template named *name* under any ``templates`` folder, when exactly one exists."""
        clean = _clean_name(name)
        if clean is None:
            return None
        matches = [p for p in self.facts if p.endswith("/" + clean) and _under_template_folder(p, clean)]
        return matches[0] if len(matches) == 1 else None

    def closure(self, path: str, folders: Iterable[str], limit: int = 12) -> list[str]:
        """*path* and the templates it extends, includes and imports (transitively, bounded)."""
        folder_list = list(folders)
        key = (path, tuple(folder_list), limit)
        if key not in self._closures:
            self._closures[key] = self._closure(path, folder_list, limit)
        return self._closures[key]

    def _closure(self, path: str, folder_list: list[str], limit: int) -> list[str]:
        seen = [path]
        queue = [path]
        while queue and len(seen) < limit:
            facts = self.facts.get(queue.pop(0))
            if facts is None:
                continue
            for ref in facts.references:
                found = self.find(ref, folder_list) or self.fallback(ref)
                if found is not None and found not in seen:
                    seen.append(found)
                    queue.append(found)
        return seen

    def hashes(self) -> dict[str, str]:
        return {path: facts.sha256 for path, facts in self.facts.items()}


def _clean_name(name: str) -> str | None:
    """A template name as a relative POSIX path, or None when it would leave its folder."""
    pure = PurePosixPath(name.replace("\\", "/").lstrip("/"))
    if not pure.parts or any(part == ".." for part in pure.parts):
        return None
    return pure.as_posix()


def _under_template_folder(path: str, name: str) -> bool:
    folder = path[: -len(name)].rstrip("/")
    return folder.rsplit("/", 1)[-1] in ("templates", "template", "jinja2", "jinja_templates")


def load_templates(root: Path, paths: Iterable[str], max_bytes: int = 2_000_000) -> TemplateSet:
    """Read and scan every template; unreadable, oversized or non-UTF-8 files are skipped with a reason."""
    found = TemplateSet()
    for path in paths:
        loaded = read_source(root / path, max_bytes)
        if isinstance(loaded, str):
            found.skipped.append(SkippedFile(path, loaded))
            continue
        data, text = loaded
        found.facts[path] = scan_template(path, text, hashlib.sha256(data).hexdigest())
    return found
