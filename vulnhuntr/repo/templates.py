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

from .index import read_source
from .skipped import SkippedFile

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
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "poster", "background", "srcset", "xlink:href"})
RAW_TEXT_ELEMENTS = frozenset({"script", "style"})
NOT_VARIABLES = frozenset(
    "and or not in is if else elif true false none True False None loop super self caller varargs kwargs "
    "range dict lipsum cycler joiner namespace forloop block csrf_token request".split()
)
"""Names in expressions that are Jinja2/Django builtins, not context variables."""

_TAG = re.compile(r"\{\{(?P<out>.*?)\}\}|\{%(?P<tag>.*?)%\}|\{#(?P<comment>.*?)#\}", re.S)
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NAME_PATH = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\s*\.\s*[A-Za-z_]\w*)*)")
SAFE_CALLS = frozenset({"url_for", "static", "csrf_token", "csrf_input"})
"""Template globals whose result is fixed text or a URL the app builds (its arguments are URL-quoted)."""
_LITERAL = r"""(?:'[^'\\]*'|"[^"\\]*"|\d+)"""
_LITERAL_CHOICE = re.compile(rf"{_LITERAL}\s+if\s+.+?(?:\s+else\s+{_LITERAL})?", re.S)
_TAG_OPEN = re.compile(r"<(/?)([A-Za-z][\w:-]*)")
_ATTRIBUTE_NAME = re.compile(r"[^\s=>/]+")
_UNQUOTED_END = re.compile(r"[\s>]|$")
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


# --------------------------------------------------------------------------- HTML context


class _HtmlState:
    """Just enough of the HTML tokenizer to know where a template output lands."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled  # a template without outputs needs no HTML tracking
        self.mode = "data"  # data | tag | comment | rawtext
        self.tag = ""  # name of the tag being read
        self.closing = False
        self.raw_end = ""  # element whose end tag leaves rawtext
        self.attr = ""  # attribute being read
        self.quote = ""  # quote of the attribute value being read; "" unquoted
        self.in_value = False
        self.after_eq = False

    def context(self) -> str:
        if self.mode == "rawtext":
            return self.raw_end
        if self.mode != "tag":
            return "html"
        if not self.in_value and not self.after_eq:
            return "attribute name"  # ``<div {{ attrs }}>``: whole attributes can be injected
        attr = self.attr.lower()
        if attr in URL_ATTRIBUTES:
            return "url"
        if attr.startswith("on"):
            return "event handler"
        if attr == "style":
            return "style"
        return "attribute" if self.quote else "unquoted attribute"

    def placeholder(self) -> None:
        """A template output counts as characters of whatever it sits in."""
        if self.mode == "tag" and self.after_eq and not self.in_value:
            self.in_value, self.after_eq, self.quote = True, False, ""

    def feed(self, text: str) -> None:
        if not self.enabled:
            return
        i, n = 0, len(text)
        while i < n:
            if self.mode == "data":
                j = text.find("<", i)
                if j < 0:
                    return
                i = self._open(text, j)
            elif self.mode == "comment":
                j = text.find("-->", i)
                if j < 0:
                    return
                self.mode, i = "data", j + 3
            elif self.mode == "rawtext":
                j = text.lower().find("</" + self.raw_end, i)
                if j < 0:
                    return
                self.mode, self.tag, self.closing, i = "tag", self.raw_end, True, j + 2 + len(self.raw_end)
                self._reset_attr()
            else:
                i = self._tag_char(text, i)

    def _open(self, text: str, j: int) -> int:
        if text.startswith("<!--", j):
            self.mode = "comment"
            return j + 4
        match = _TAG_OPEN.match(text, j)
        if match is None:
            return j + 1
        self.mode, self.closing, self.tag = "tag", bool(match.group(1)), match.group(2).lower()
        self._reset_attr()
        return match.end()

    def _reset_attr(self) -> None:
        self.attr, self.quote, self.in_value, self.after_eq = "", "", False, False

    def _tag_char(self, text: str, i: int) -> int:
        ch = text[i]
        if self.in_value:
            if self.quote:
                end = text.find(self.quote, i)
            else:
                found = _UNQUOTED_END.search(text, i)
                end = found.start() if found is not None else -1
            if end < 0 or end >= len(text):
                return len(text)  # the value goes on past this piece of text
            self._reset_attr()
            if text[end] == ">":
                self._close_tag()
            return end + 1
        if self.after_eq:
            if ch in "\"'":
                self.in_value, self.quote, self.after_eq = True, ch, False
            elif not ch.isspace():
                self.in_value, self.quote, self.after_eq = True, "", False
                return i  # re-read as the first character of an unquoted value
            return i + 1
        if ch == ">":
            self._close_tag()
        elif ch == "=":
            self.after_eq = True
        elif ch.isspace() or ch == "/":
            pass
        else:
            match = _ATTRIBUTE_NAME.match(text, i)
            assert match is not None
            self.attr = match.group(0)
            return match.end()
        return i + 1

    def _close_tag(self) -> None:
        if not self.closing and self.tag in RAW_TEXT_ELEMENTS:
            self.mode, self.raw_end = "rawtext", self.tag
        else:
            self.mode = "data"
        self._reset_attr()


# --------------------------------------------------------------------------- expressions


def split_filters(expression: str) -> tuple[str, list[str]]:
    """``user.name|default("x")|safe`` → (``user.name``, [``default``, ``safe``]); pipes in strings ignored."""
    parts, depth, current, i = [], 0, [], 0
    while i < len(expression):
        ch = expression[i]
        string = _STRING.match(expression, i) if ch in "'\"" else None
        if string is not None:
            current.append(string.group(0))
            i = string.end()
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch == "|" and depth == 0 and expression[i + 1 : i + 2] != "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    base = parts[0].strip()
    filters = [re.match(r"\s*([A-Za-z_]\w*)", p).group(1) for p in parts[1:] if re.match(r"\s*[A-Za-z_]", p)]  # type: ignore[union-attr]
    return base, filters


def _fixed_result(base: str) -> bool:
    """Outputs that can only print fixed text or an app-built URL: ``'selected' if x == y``, ``url_for(...)``."""
    text = _STRING.sub('""', base.strip())
    if _LITERAL_CHOICE.fullmatch(base.strip()):
        return " else " not in text or bool(re.search(rf"\selse\s+{_LITERAL}$", text))
    head = re.match(r"([A-Za-z_]\w*)\s*\(", base.strip())
    return head is not None and head.group(1) in SAFE_CALLS


def name_paths(expression: str) -> list[tuple[str, tuple[str, ...]]]:
    """Variables read by an expression with the attributes read on them: ``a.b.c + d`` → [(a, (b, c)), (d, ())]."""
    text = _STRING.sub('""', expression)
    found = []
    for match in _NAME_PATH.finditer(text):
        name = match.group(1)
        after = text[match.end() :].lstrip()
        if name in NOT_VARIABLES or after.startswith("=") and not after.startswith("=="):
            continue  # a builtin, or a keyword argument's name
        if match.start() > 0 and text[: match.start()].rstrip().endswith("|"):
            continue  # a filter name
        attrs = tuple(a.strip() for a in match.group(2).split(".")[1:])
        found.append((name, attrs))
    return found


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
        self.html = _HtmlState(enabled="{{" in text)
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
        neutral = any(f in NEUTRAL_FILTERS for f in filters[safe_at + 1 :]) or _fixed_result(_base)
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
                reads_request=bool(_REQUEST_READ.search(_STRING.sub('""', expression))),
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
