"""Dangerous calls: the facts a sink rule looks at and the conditions and picks rules name.

The rules themselves are data in ``sink_rules`` (re-exported here): which call, which of its
arguments carries the dangerous value, the vulnerability type and CWE, and, for a few, a
named condition (``open`` reads or writes by its mode, ``yaml.load`` is only
unsafe without a safe loader, a generic ``Response`` is only HTML when its
content type or its text says so).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable, Iterable

from . import commands, nosql, written
from .sink_rules import CLASS_METHODS, METHODS, QUALIFIED, Arg, SinkRule, rules_for
from .taint import CLEAN, Value, union


@dataclass
class CallFacts:
    """What a sink condition may look at: the call and its evaluated arguments."""

    node: ast.Call
    args: list[Value]
    keywords: dict[str, Value]
    receiver: Value
    is_html: Callable[[ast.expr], bool]
    evaluate: Callable[[ast.expr], Value] = lambda node: CLEAN  # the taint of a sub-expression (list items)
    scope: ast.AST | None = None  # the enclosing function, for look-ups in its own syntax
    imports: frozenset[str] = frozenset()  # top-level modules the file imports (``pymongo``)
    constant: Callable[[ast.expr], str] = lambda node: "{}"  # a module constant's text (``TEMPLATES = "..."``)

    def argument(self, position: int | None, keyword: str | None) -> tuple[ast.expr | None, Value]:
        if keyword is not None and keyword in self.keywords:
            node = next(k.value for k in self.node.keywords if k.arg == keyword)
            return node, self.keywords[keyword]
        if position is not None and position < len(self.args) and position < len(self.node.args):
            return self.node.args[position], self.args[position]
        return None, CLEAN

    def switched_on(self, keyword: str) -> bool:
        """``shell=True``: a keyword given as a true constant, or as an expression we cannot read."""
        node = next((k.value for k in self.node.keywords if k.arg == keyword), None)
        if node is None:
            return False
        return bool(node.value) if isinstance(node, ast.Constant) else True

    def literal(self, position: int | None, keyword: str | None) -> object:
        node, _ = self.argument(position, keyword)
        return node.value if isinstance(node, ast.Constant) else _MISSING if node is None else _DYNAMIC


_MISSING = object()
_DYNAMIC = object()
_roots: dict[tuple[str, str], frozenset[str]] = {}


def imported_roots(path: str, sha256: str, modules: Iterable[str]) -> frozenset[str]:
    """The top-level modules a file imports (``pymongo`` for ``from pymongo.collection import ...``), memoised."""
    key = (path, sha256)
    if key not in _roots:
        _roots[key] = frozenset(m.split(".", 1)[0] for m in modules)
    return _roots[key]


def dangerous_value(rule: SinkRule, facts: CallFacts) -> Value:
    """The union of the arguments *rule* names, or CLEAN when its condition does not hold."""
    if rule.check is not None and not CHECKS[rule.check](facts):
        return CLEAN
    if rule.pick is not None:
        return PICKS[rule.pick](facts)
    found: list[Value] = []
    for spec in rule.args:
        if spec == "*":
            found += [*facts.args, *facts.keywords.values()]
        elif spec == "**":
            found += list(facts.keywords.values())
        elif spec == "receiver":
            found.append(facts.receiver)
        else:
            assert isinstance(spec, tuple)
            found.append(facts.argument(*spec)[1])
    tainted = union(*found) if found else CLEAN
    if not tainted and rule.read_back:
        first = next((spec for spec in rule.args if isinstance(spec, tuple)), None)
        return written.written_back(facts, facts.argument(*first)[0]) if first is not None else CLEAN
    return tainted


# -- conditions ---------------------------------------------------------------------

_WRITE_MODE = re.compile(r"[wax+]")
_SAFE_LOADER = re.compile(r"Safe|BaseLoader")
_HOSTED_PREFIX = re.compile(r"^[A-Za-z][\w+.-]*://[^/{}]+/")
_PATH_PREFIX = re.compile(r"^/[^/{}\\]")


def _writes(facts: CallFacts, position: int = 1) -> bool:
    mode = facts.literal(position, "mode")
    return isinstance(mode, str) and bool(_WRITE_MODE.search(mode))


def _reads(facts: CallFacts, position: int = 1) -> bool:
    return not _writes(facts, position)


def _unsafe_yaml(facts: CallFacts) -> bool:
    node, _ = facts.argument(1, "Loader")
    return node is None or not _SAFE_LOADER.search(ast.unparse(node))


def _html_response(facts: CallFacts) -> bool:
    """Explicit HTML content type, or none given and the text is built from HTML markup."""
    for keyword in ("mimetype", "content_type", "media_type"):
        kind = facts.literal(None, keyword)
        if kind is not _MISSING:
            return isinstance(kind, str) and "html" in kind
    content, _ = facts.argument(0, None)
    if content is None:
        content = next((k.value for k in facts.node.keywords if k.arg in ("response", "content", "text", "body")), None)
    return content is not None and facts.is_html(content)


def _unsafe_template(facts: CallFacts) -> bool:
    """A literal template that switches escaping off (``|safe``, ``autoescape false``)."""
    source = facts.literal(0, "source")
    return isinstance(source, str) and bool(re.search(r"\|\s*safe\b|autoescape\s+(false|off)", source))


def _tainted_receiver(facts: CallFacts) -> bool:
    return bool(facts.receiver)


def _unfiltered_extraction(facts: CallFacts) -> bool:
    """An archive from the request extracted with no member list and no ``filter="data"``/``"tar"``."""
    if not facts.receiver or any(k.arg == "members" for k in facts.node.keywords):
        return False
    kind = facts.literal(None, "filter")
    if kind is _MISSING or kind is None:
        return True
    return kind is not _DYNAMIC and kind not in ("data", "tar")  # a filter function is taken to check members


def _pickle_allowed(facts: CallFacts) -> bool:
    """``numpy.load(f, allow_pickle=True)``: only then can the file run code."""
    return facts.switched_on("allow_pickle")


def _weights_not_only(facts: CallFacts) -> bool:
    """``torch.load(f)`` unpickles unless ``weights_only=True`` is given."""
    flag = facts.literal(None, "weights_only")
    return flag is not True


def _curl_url_option(facts: CallFacts) -> bool:
    """``curl.setopt(pycurl.URL, url)`` (also ``c.URL``, ``"URL"``): the option that picks the server."""
    option, _ = facts.argument(0, None)
    if option is None:
        return False
    text = option.value if isinstance(option, ast.Constant) else ast.unparse(option)
    return isinstance(text, str) and text.rsplit(".", 1)[-1] in ("URL", "PROXY", "CURLOPT_URL")


def _sql_like(facts: CallFacts) -> bool:
    """A method name shared with other libraries (``fetch``): only when its first argument reads like SQL."""
    node, val = facts.argument(0, "query")
    if node is None or not val:
        return False
    if any(_SQL_WORDS.search(t.prefix) for t in val):
        return True
    return (
        isinstance(node, ast.Name)
        and _SQL_WORDS.search(written.path_text(node, facts.scope, facts.node.lineno, facts.constant)) is not None
    )


_SQL_WORDS = re.compile(r"\b(select|insert|update|delete|where|from|order\s+by|values)\b", re.IGNORECASE)


CHECKS: dict[str, Callable[[CallFacts], bool]] = {
    "read_mode": _reads,
    "write_mode": _writes,
    "path_read_mode": lambda f: _reads(f, 0),
    "path_write_mode": lambda f: _writes(f, 0),
    "unsafe_yaml": _unsafe_yaml,
    "html_response": _html_response,
    "unsafe_template": _unsafe_template,
    "tainted_receiver": _tainted_receiver,
    "unfiltered_extraction": _unfiltered_extraction,
    "pickle_allowed": _pickle_allowed,
    "weights_not_only": _weights_not_only,
    "curl_url_option": _curl_url_option,
    "sql_like": _sql_like,
    "mongo_module": nosql.in_mongo_module,
}


PICKS: dict[str, Callable[[CallFacts], Value]] = {
    "subprocess": commands.subprocess_command,
    "exec_path": commands.exec_program(0, listed=False),
    "execv_path": commands.exec_program(0, listed=True),
    "spawn_path": commands.exec_program(1, listed=False),
    "spawnv_path": commands.exec_program(1, listed=True),
    "exec_vector": commands.exec_vector,
    "handle_into_code": written.handle_content_into_code,
    "path_into_code": written.path_content_into_code,
    "upload_into_code": written.upload_into_code,
    "mongo_filter": nosql.query_filter(0, "filter"),
    "mongo_pipeline": nosql.query_filter(0, "pipeline"),
    "mongo_second": nosql.query_filter(1, "filter"),
    "mongo_raw": nosql.raw_query,
}


def fixed_host(prefix: str) -> bool:
    """A URL whose scheme and host are fixed text (``https://api.example.com/{x}``) is not SSRF.

    Nor is one that starts with a fixed path (``/items/{x}``): it is relative to a client's
    base URL or no URL at all. A bare ``/`` is not enough (``//evil.example`` names a host).
    """
    return bool(_HOSTED_PREFIX.match(prefix) or _PATH_PREFIX.match(prefix))


__all__ = [  # the rule table moved to sink_rules; re-exported for the callers that import it from here
    "CLASS_METHODS", "METHODS", "QUALIFIED", "Arg", "CallFacts", "SinkRule", "dangerous_value", "fixed_host",
    "imported_roots", "rules_for",
]
