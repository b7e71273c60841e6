"""Dangerous calls, by qualified name or method name, with the CWE of each sink kind.

Rules are data: which call, which of its arguments carries the dangerous value,
the vulnerability type and CWE (DESIGN: Findings and CWEs), and, for a few, a
named condition (``open`` reads or writes by its mode, ``yaml.load`` is only
unsafe without a safe loader, a generic ``Response`` is only HTML when its
content type or its text says so).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable, Union

from ..findings import VulnType
from .taint import CLEAN, Value, union

Arg = Union[tuple[Union[int, None], Union[str, None]], str]
"""``(position, keyword)`` of one argument, or ``"*"`` (every argument), ``"receiver"``, ``"**"`` (keywords)."""

V = VulnType


@dataclass(frozen=True)
class SinkRule:
    """One kind of dangerous call."""

    vuln: VulnType
    cwe: int
    label: str  # what the call does, for the explanation ("file read", "shell command")
    args: tuple[Arg, ...] = ((0, None),)
    check: str | None = None  # a condition from CHECKS that must hold too
    whole_cwe: int | None = None  # the CWE when the entire value is user-controlled (AFO: 73)
    confidence: int = 6


@dataclass
class CallFacts:
    """What a sink condition may look at: the call and its evaluated arguments."""

    node: ast.Call
    args: list[Value]
    keywords: dict[str, Value]
    receiver: Value
    is_html: Callable[[ast.expr], bool]

    def argument(self, position: int | None, keyword: str | None) -> tuple[ast.expr | None, Value]:
        if keyword is not None and keyword in self.keywords:
            node = next(k.value for k in self.node.keywords if k.arg == keyword)
            return node, self.keywords[keyword]
        if position is not None and position < len(self.args) and position < len(self.node.args):
            return self.node.args[position], self.args[position]
        return None, CLEAN

    def literal(self, position: int | None, keyword: str | None) -> object:
        node, _ = self.argument(position, keyword)
        return node.value if isinstance(node, ast.Constant) else _MISSING if node is None else _DYNAMIC


_MISSING = object()
_DYNAMIC = object()


def dangerous_value(rule: SinkRule, facts: CallFacts) -> Value:
    """The union of the arguments *rule* names, or CLEAN when its condition does not hold."""
    if rule.check is not None and not CHECKS[rule.check](facts):
        return CLEAN
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
    return union(*found) if found else CLEAN


# -- conditions ---------------------------------------------------------------------

_WRITE_MODE = re.compile(r"[wax+]")
_SAFE_LOADER = re.compile(r"Safe|BaseLoader")
_HOSTED_PREFIX = re.compile(r"^[A-Za-z][\w+.-]*://[^/{}]+/")


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


CHECKS: dict[str, Callable[[CallFacts], bool]] = {
    "read_mode": _reads,
    "write_mode": _writes,
    "path_read_mode": lambda f: _reads(f, 0),
    "path_write_mode": lambda f: _writes(f, 0),
    "unsafe_yaml": _unsafe_yaml,
    "html_response": _html_response,
    "unsafe_template": _unsafe_template,
    "tainted_receiver": _tainted_receiver,
}


def fixed_host(prefix: str) -> bool:
    """A URL whose scheme and host are fixed text (``https://api.example.com/{x}``) is not SSRF."""
    return bool(_HOSTED_PREFIX.match(prefix))


# -- tables -----------------------------------------------------------------------


def _each(names: str, *rules: SinkRule) -> dict[str, tuple[SinkRule, ...]]:
    return {name: rules for name in names.split()}


def _methods(prefixes: str, methods: str, *rules: SinkRule) -> dict[str, tuple[SinkRule, ...]]:
    return {f"{p}.{m}": rules for p in prefixes.split() for m in methods.split()}


READ = SinkRule(V.LFI, 22, "file read", ((0, "file"),), "read_mode")
WRITE = SinkRule(V.AFO, 22, "file write", ((0, "file"),), "write_mode", whole_cwe=73)
PATH_READ = SinkRule(V.LFI, 22, "file read", ("receiver",))
PATH_WRITE = SinkRule(V.AFO, 22, "file write", ("receiver",), whole_cwe=73)
REMOVE = SinkRule(V.AFO, 22, "file delete", ((0, "path"),), whole_cwe=73)
MOVE = SinkRule(V.AFO, 22, "file move", ((0, "src"), (1, "dst")), whole_cwe=73)
COPY = SinkRule(V.AFO, 22, "file copy", ((1, "dst"),), whole_cwe=73)
SHELL = SinkRule(V.RCE, 78, "OS command", ((0, "args"), (None, "cmd")))
EXEC_ARGS = SinkRule(V.RCE, 78, "OS command", ("*",))
CODE = SinkRule(V.RCE, 94, "code evaluation", ((0, "source"), (None, "name")))
DESERIALIZE = SinkRule(V.RCE, 502, "deserialisation", ((0, "data"), (None, "file")))
TEMPLATE = SinkRule(V.RCE, 1336, "template compiled from text", ((0, "source"),))
URL0 = SinkRule(V.SSRF, 918, "outbound request", ((0, "url"),))
URL1 = SinkRule(V.SSRF, 918, "outbound request", ((1, "url"),))
HOST = SinkRule(V.SSRF, 918, "outbound connection", ((0, "host"),))
SQL_TEXT = SinkRule(V.SQLI, 89, "SQL text", ((0, "text"), (None, "sql")))
MARKUP = SinkRule(V.XSS, 79, "HTML marked safe", ((0, "value"), (None, "s")))
HTML_RESPONSE = SinkRule(V.XSS, 79, "HTML response", ((0, "content"),))
RESPONSE = SinkRule(V.XSS, 79, "HTML response", ((0, "response"), (None, "content"), (None, "text")), "html_response")
TEMPLATE_CONTEXT = SinkRule(V.XSS, 79, "unescaped template variable", ("**",), "unsafe_template")

_HTTP_VERBS = "get post put patch delete head options"

QUALIFIED: dict[str, tuple[SinkRule, ...]] = {
    # LFI / AFO
    **_each("builtins.open io.open codecs.open", READ, WRITE),
    **_each(
        "flask.send_file flask.helpers.send_file werkzeug.utils.send_file quart.send_file",
        SinkRule(V.LFI, 22, "file sent to the client", ((0, "path_or_file"), (None, "filename_or_fp"))),
    ),
    **_each(
        "flask.send_from_directory flask.helpers.send_from_directory werkzeug.utils.send_from_directory",
        SinkRule(V.LFI, 22, "file sent from a directory", ((0, "directory"),)),
    ),
    **_each(
        "fastapi.responses.FileResponse starlette.responses.FileResponse fastapi.FileResponse "
        "aiohttp.web.FileResponse sanic.response.file sanic.response.file_stream",
        SinkRule(V.LFI, 22, "file sent to the client", ((0, "path"), (None, "location"))),
    ),
    "bottle.static_file": (SinkRule(V.LFI, 22, "file sent from a directory", ((1, "root"),)),),
    **_each("pathlib.Path.read_text pathlib.Path.read_bytes", PATH_READ),
    "pathlib.Path.open": (
        SinkRule(V.LFI, 22, "file read", ("receiver",), "path_read_mode"),
        SinkRule(V.AFO, 22, "file write", ("receiver",), "path_write_mode", whole_cwe=73),
    ),
    **_each("pathlib.Path.write_text pathlib.Path.write_bytes pathlib.Path.touch", PATH_WRITE),
    **_each("pathlib.Path.unlink pathlib.Path.rmdir", SinkRule(V.AFO, 22, "file delete", ("receiver",), whole_cwe=73)),
    **_each(
        "pathlib.Path.rename pathlib.Path.replace",
        SinkRule(V.AFO, 22, "file move", ("receiver", (0, "target")), whole_cwe=73),
    ),
    **_each("os.remove os.unlink os.rmdir os.removedirs os.truncate", REMOVE),
    **_each("os.rename os.replace os.renames shutil.move", MOVE),
    **_each("shutil.copy shutil.copy2 shutil.copyfile shutil.copytree", COPY),
    **_each(
        "os.path.exists os.path.lexists os.path.isfile os.path.isdir os.path.getsize pathlib.Path.exists "
        "pathlib.Path.is_file pathlib.Path.is_dir pathlib.Path.stat",
        SinkRule(V.LFI, 22, "file existence check", ((0, "path"), "receiver"), confidence=4),
    ),
    "shutil.rmtree": (SinkRule(V.AFO, 22, "directory delete", ((0, "path"),), whole_cwe=73),),
    "shutil.unpack_archive": (SinkRule(V.AFO, 22, "archive extraction", ((0, "filename"), (1, "extract_dir"))),),
    # RCE
    **_each(
        "os.system os.popen subprocess.getoutput subprocess.getstatusoutput asyncio.create_subprocess_shell pty.spawn",
        SHELL,
    ),
    **_each("subprocess.run subprocess.call subprocess.check_call subprocess.check_output subprocess.Popen", SHELL),
    **_each(
        "os.execl os.execle os.execlp os.execlpe os.execv os.execve os.execvp os.execvpe os.spawnl os.spawnle "
        "os.spawnlp os.spawnv os.spawnve os.spawnvp asyncio.create_subprocess_exec",
        EXEC_ARGS,
    ),
    **_each(
        "builtins.eval builtins.exec builtins.compile builtins.__import__ importlib.import_module "
        "importlib.__import__ runpy.run_module runpy.run_path",
        CODE,
    ),
    **_each(
        "pickle.loads pickle.load pickle.Unpickler cPickle.loads cPickle.load _pickle.loads _pickle.load "
        "dill.loads dill.load marshal.loads marshal.load jsonpickle.decode pandas.read_pickle torch.load "
        "yaml.unsafe_load yaml.unsafe_load_all shelve.open",
        DESERIALIZE,
    ),
    **_each("yaml.load yaml.load_all", SinkRule(V.RCE, 502, "deserialisation", ((0, "stream"),), "unsafe_yaml")),
    **_each(
        "flask.render_template_string quart.render_template_string flask.templating.render_template_string",
        TEMPLATE,
        TEMPLATE_CONTEXT,
    ),
    **_each(
        "jinja2.Template jinja2.environment.Template tornado.template.Template mako.template.Template "
        "django.template.Template",
        TEMPLATE,
    ),
    **_each(
        "jinja2.Environment.from_string jinja2.environment.Environment.from_string django.template.Engine.from_string",
        TEMPLATE,
    ),
    # SSRF
    **_each(" ".join(f"requests.{v} httpx.{v}" for v in _HTTP_VERBS.split()), URL0),
    **_each("requests.request httpx.request httpx.stream aiohttp.request urllib3.request", URL1),
    **_methods(
        "requests.Session requests.sessions.Session httpx.Client httpx.AsyncClient aiohttp.ClientSession",
        _HTTP_VERBS + " ws_connect",
        URL0,
    ),
    **_methods(
        "requests.Session requests.sessions.Session httpx.Client httpx.AsyncClient aiohttp.ClientSession "
        "urllib3.PoolManager",
        "request stream",
        URL1,
    ),
    **_each("urllib.request.urlopen urllib.request.Request urllib.request.urlretrieve urllib2.urlopen", URL0),
    **_each("http.client.HTTPConnection http.client.HTTPSConnection", HOST),
    "socket.create_connection": (SinkRule(V.SSRF, 918, "outbound connection", ((0, "address"),)),),
    **_each(
        "tornado.httpclient.AsyncHTTPClient.fetch tornado.httpclient.HTTPClient.fetch",
        SinkRule(V.SSRF, 918, "outbound request", ((0, "request"),)),
    ),
    # SQLI
    **_each("sqlalchemy.text sqlalchemy.sql.text sqlalchemy.sql.expression.text", SQL_TEXT),
    **_each(
        "django.db.models.expressions.RawSQL django.db.models.RawSQL pandas.read_sql pandas.read_sql_query",
        SinkRule(V.SQLI, 89, "SQL text", ((0, "sql"),)),
    ),
    # XSS
    **_each(
        "markupsafe.Markup flask.Markup jinja2.Markup django.utils.safestring.mark_safe "
        "django.utils.safestring.SafeString",
        MARKUP,
    ),
    **_each("fastapi.responses.HTMLResponse starlette.responses.HTMLResponse fastapi.HTMLResponse", HTML_RESPONSE),
    **_each(
        "flask.Response flask.wrappers.Response flask.make_response werkzeug.Response werkzeug.wrappers.Response "
        "quart.Response quart.make_response django.http.HttpResponse django.http.response.HttpResponse "
        "starlette.responses.Response fastapi.Response fastapi.responses.Response aiohttp.web.Response",
        RESPONSE,
    ),
}
"""Sinks by the qualified name the resolver gives a call (``"builtins.open"``, ``"httpx.AsyncClient.get"``)."""

_SQL = SinkRule(
    V.SQLI, 89, "SQL query", ((0, "sql"), (None, "statement"), (None, "operation"), (None, "query")), confidence=6
)

METHODS: dict[str, tuple[SinkRule, ...]] = {
    **_each("execute executemany executescript", _SQL),
    "raw": (SinkRule(V.SQLI, 89, "raw SQL query", ((0, "raw_query"),)),),
    "extra": (SinkRule(V.SQLI, 89, "raw SQL fragment", ((None, "where"), (None, "select"), (None, "tables"))),),
    **_each("read_text read_bytes", SinkRule(V.LFI, 22, "file read", ("receiver",), confidence=5)),
    **_each("write_text write_bytes", SinkRule(V.AFO, 22, "file write", ("receiver",), whole_cwe=73, confidence=5)),
    **_each(
        "extractall extract", SinkRule(V.AFO, 22, "archive extraction", ("receiver",), "tainted_receiver", confidence=5)
    ),
    "save": (SinkRule(V.AFO, 22, "upload saved", ((0, "dst"),), "tainted_receiver", whole_cwe=73, confidence=5),),
    "from_string": (SinkRule(V.RCE, 1336, "template compiled from text", ((0, "source"),), confidence=5),),
}
"""Sinks recognised by method name when the receiver's type is unknown (``get_db().execute(q)``)."""


def rules_for(qualified: str | None, method: str | None) -> tuple[tuple[SinkRule, ...], bool]:
    """The sink rules of a call: by qualified name, else by method name; True when by name only."""
    if qualified and qualified in QUALIFIED:
        return QUALIFIED[qualified], False
    return (METHODS.get(method, ()), True) if method else ((), False)
