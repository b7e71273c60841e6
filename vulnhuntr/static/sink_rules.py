"""The sink table: which calls are dangerous, which argument carries the value, the type and CWE of each.

Rules are data (DESIGN: Findings and CWEs), looked up by the qualified name the resolver gives a
call or, when the receiver's type is unknown, by method name; a rule names its extra condition
(``check``) or its own choice of argument (``pick``), both implemented in ``sinks``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Union

from ..findings import VulnType

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
    pick: str | None = None  # a function from PICKS that chooses the dangerous taint instead of *args*
    read_back: bool = False  # clean arguments: the request data this function saved into the file they name
    whole_cwe: int | None = None  # the CWE when the entire value is user-controlled (AFO: 73)
    confidence: int = 6



def _each(names: str, *rules: SinkRule) -> dict[str, tuple[SinkRule, ...]]:
    return {name: rules for name in names.split()}


def _methods(prefixes: str, methods: str, *rules: SinkRule) -> dict[str, tuple[SinkRule, ...]]:
    return {f"{p}.{m}": rules for p in prefixes.split() for m in methods.split()}


READ = SinkRule(V.LFI, 22, "file read", ((0, "file"),), "read_mode")
WRITE = SinkRule(V.AFO, 22, "file write", ((0, "file"),), "write_mode", whole_cwe=73)
PATH_READ = SinkRule(V.LFI, 22, "file read", ("receiver",))
PATH_WRITE = SinkRule(V.AFO, 22, "file write", ("receiver",), whole_cwe=73)
PATH_LIST = SinkRule(V.LFI, 22, "directory listing", ("receiver", (0, "pattern")))
REMOVE = SinkRule(V.AFO, 22, "file delete", ((0, "path"),), whole_cwe=73)
MOVE = SinkRule(V.AFO, 22, "file move", ((0, "src"), (1, "dst")), whole_cwe=73)
COPY = SinkRule(V.AFO, 22, "file copy", ((1, "dst"),), whole_cwe=73)
COPY_SOURCE = SinkRule(V.LFI, 22, "file copied from", ((0, "src"),), confidence=5)
LISTING = SinkRule(V.LFI, 22, "directory listing", ((0, "path"), (None, "top"), (None, "pathname")))
CODE_CONTENT = SinkRule(V.AFO, 94, "request data written into code or a template", pick="path_into_code")
SHELL = SinkRule(V.RCE, 78, "OS command", ((0, "args"), (None, "cmd"), (None, "command")))
SUBPROCESS = SinkRule(V.RCE, 78, "OS command", ((0, "args"), (None, "executable")), pick="subprocess")
EXEC_ARGS = SinkRule(V.RCE, 78, "OS command", ("*",))
CODE = SinkRule(V.RCE, 94, "code evaluation", ((0, "source"), (None, "name")))
EXPRESSION = SinkRule(V.RCE, 94, "expression evaluation", ((0, "expr"), (None, "expression"), (None, "ex")))
DESERIALIZE = SinkRule(V.RCE, 502, "deserialisation", ((0, "data"), (None, "file")), read_back=True)
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
_PATHS = (
    "pathlib.Path pathlib.PurePath pathlib.PosixPath pathlib.WindowsPath pathlib.Path.resolve pathlib.Path.absolute "
    "pathlib.Path.joinpath pathlib.Path.expanduser pathlib.Path.with_name pathlib.Path.with_suffix "
    "pathlib.Path.with_stem pathlib.Path.parent pathlib.Path.cwd pathlib.Path.home"
)
"""What a ``pathlib.Path`` method is qualified as, also on a path derived from one (``Path(p).resolve()``)."""
_DATAFRAMES = (
    "pandas.DataFrame pandas.core.frame.DataFrame pandas.read_csv pandas.read_json pandas.read_excel pandas.read_sql "
    "pandas.read_sql_query pandas.read_parquet pandas.read_table pandas.read_feather pandas.json_normalize"
)
_SESSIONS = (
    "requests.Session requests.session requests.sessions.Session httpx.Client httpx.AsyncClient aiohttp.ClientSession"
)
_MAIL_AND_FILE_CLIENTS = (
    "smtplib.SMTP smtplib.SMTP_SSL smtplib.LMTP ftplib.FTP ftplib.FTP_TLS telnetlib.Telnet poplib.POP3 "
    "poplib.POP3_SSL imaplib.IMAP4 imaplib.IMAP4_SSL nntplib.NNTP"
)
_MONGO_FILTER = SinkRule(V.SQLI, 943, "NoSQL query filter", ((0, "filter"),), pick="mongo_filter", confidence=5)

QUALIFIED: dict[str, tuple[SinkRule, ...]] = {
    # LFI / AFO
    **_each("builtins.open io.open codecs.open aiofiles.open io.FileIO", READ, WRITE),
    **_each(
        "pandas.read_csv pandas.read_excel pandas.read_json pandas.read_table pandas.read_parquet pandas.read_xml "
        "xml.etree.ElementTree.parse lxml.etree.parse",
        SinkRule(V.LFI, 22, "file read", ((0, "filepath_or_buffer"), (None, "source"), (None, "path")), confidence=5),
    ),
    **_each(
        "flask.send_file flask.helpers.send_file werkzeug.utils.send_file quart.send_file quart.helpers.send_file",
        SinkRule(V.LFI, 22, "file sent to the client", ((0, "path_or_file"), (None, "filename_or_fp"))),
    ),
    # The file name is joined with werkzeug's safe_join (``..``, absolute paths refused): only the directory counts.
    **_each(
        "flask.send_from_directory flask.helpers.send_from_directory werkzeug.utils.send_from_directory "
        "quart.send_from_directory quart.helpers.send_from_directory",
        SinkRule(V.LFI, 22, "file sent from a directory", ((0, "directory"),)),
    ),
    **_each(
        "fastapi.responses.FileResponse starlette.responses.FileResponse fastapi.FileResponse "
        "aiohttp.web.FileResponse sanic.response.file sanic.response.file_stream",
        SinkRule(V.LFI, 22, "file sent to the client", ((0, "path"), (None, "location"))),
    ),
    "bottle.static_file": (SinkRule(V.LFI, 22, "file sent from a directory", ((1, "root"),)),),
    **_methods(_PATHS, "read_text read_bytes", PATH_READ),
    **_methods(
        _PATHS,
        "open",
        SinkRule(V.LFI, 22, "file read", ("receiver",), "path_read_mode"),
        SinkRule(V.AFO, 22, "file write", ("receiver",), "path_write_mode", whole_cwe=73),
    ),
    **_methods(_PATHS, "write_text write_bytes", PATH_WRITE, CODE_CONTENT),
    **_methods(_PATHS, "touch", PATH_WRITE),
    **_methods(_PATHS, "iterdir glob rglob", PATH_LIST),
    **_methods(_PATHS, "unlink rmdir", SinkRule(V.AFO, 22, "file delete", ("receiver",), whole_cwe=73)),
    **_methods(
        _PATHS,
        "rename replace symlink_to hardlink_to",
        SinkRule(V.AFO, 22, "file move", ("receiver", (0, "target")), whole_cwe=73),
    ),
    **_each("os.remove os.unlink os.rmdir os.removedirs os.truncate", REMOVE),
    **_each("os.rename os.replace os.renames shutil.move", MOVE),
    **_each("os.symlink os.link", SinkRule(V.AFO, 22, "link created", ((1, "dst"),), whole_cwe=73)),
    **_each("shutil.copy shutil.copy2 shutil.copyfile shutil.copytree", COPY, COPY_SOURCE),
    **_each("os.listdir os.scandir os.walk glob.glob glob.iglob", LISTING),
    **_each(
        "os.path.exists os.path.lexists os.path.isfile os.path.isdir os.path.getsize pathlib.Path.exists "
        "pathlib.Path.is_file pathlib.Path.is_dir pathlib.Path.stat",
        SinkRule(V.LFI, 22, "file existence check", ((0, "path"), "receiver"), confidence=4),
    ),
    "shutil.rmtree": (SinkRule(V.AFO, 22, "directory delete", ((0, "path"),), whole_cwe=73),),
    "shutil.make_archive": (
        SinkRule(V.AFO, 22, "archive written", ((0, "base_name"),), whole_cwe=73),
        SinkRule(V.LFI, 22, "directory archived", ((2, "root_dir"), (3, "base_dir"))),
    ),
    "shutil.unpack_archive": (SinkRule(V.AFO, 22, "archive extraction", ((0, "filename"), (1, "extract_dir"))),),
    # zipfile drops ``..`` and leading slashes from member names: only a user-chosen destination counts.
    **_methods(
        "zipfile.ZipFile zipfile.PyZipFile",
        "extractall",
        SinkRule(V.AFO, 22, "archive extracted to", ((0, "path"),), whole_cwe=73),
    ),
    **_methods(
        "zipfile.ZipFile zipfile.PyZipFile",
        "extract",
        SinkRule(V.AFO, 22, "archive extracted to", ((1, "path"),), whole_cwe=73),
    ),
    **_methods(
        "tarfile.open tarfile.TarFile tarfile.TarFile.open",
        "extractall extract",
        SinkRule(V.AFO, 22, "archive extraction", ("receiver",), "unfiltered_extraction"),
    ),
    **_each(
        "builtins.open.write builtins.open.writelines io.open.write codecs.open.write aiofiles.open.write",
        SinkRule(V.AFO, 94, "request data written into code or a template", pick="handle_into_code"),
    ),
    # RCE
    **_each(
        "os.system os.popen os.popen2 os.popen3 os.popen4 subprocess.getoutput subprocess.getstatusoutput "
        "commands.getoutput commands.getstatusoutput popen2.popen2 popen2.popen3 popen2.popen4 "
        "asyncio.create_subprocess_shell invoke.run",
        SHELL,
    ),
    **_each(
        "subprocess.run subprocess.call subprocess.check_call subprocess.check_output subprocess.Popen", SUBPROCESS
    ),
    **_each("os.execl os.execle os.execlp os.execlpe", SinkRule(V.RCE, 78, "program executed", pick="exec_path")),
    **_each(
        "os.execv os.execve os.execvp os.execvpe os.posix_spawn os.posix_spawnp",
        SinkRule(V.RCE, 78, "program executed", pick="execv_path"),
    ),
    **_each("os.spawnl os.spawnle os.spawnlp os.spawnlpe", SinkRule(V.RCE, 78, "program executed", pick="spawn_path")),
    **_each("os.spawnv os.spawnve os.spawnvp os.spawnvpe", SinkRule(V.RCE, 78, "program executed", pick="spawnv_path")),
    **_each("asyncio.create_subprocess_exec pty.spawn", SinkRule(V.RCE, 78, "program executed", pick="exec_vector")),
    **_methods(
        "paramiko.SSHClient paramiko.client.SSHClient paramiko.Channel paramiko.channel.Channel",
        "exec_command",
        SinkRule(V.RCE, 78, "remote shell command", ((0, "command"),)),
    ),
    **_each(
        "builtins.eval builtins.exec builtins.compile builtins.__import__ importlib.import_module "
        "importlib.__import__ runpy.run_module runpy.run_path code.compile_command",
        CODE,
    ),
    **_methods("code.InteractiveInterpreter code.InteractiveConsole", "runsource runcode push", CODE),
    **_each(
        "timeit.timeit timeit.repeat timeit.Timer",
        SinkRule(V.RCE, 94, "code evaluation", ((0, "stmt"), (1, "setup"))),
    ),
    **_each(
        "PIL.ImageMath.eval PIL.ImageMath.unsafe_eval numexpr.evaluate pandas.eval sympy.sympify "
        "sympy.parse_expr sympy.parsing.sympy_parser.parse_expr js2py.eval_js",
        EXPRESSION,
    ),
    **_methods(_DATAFRAMES, "query eval", EXPRESSION),
    **_each(
        "pickle.loads pickle.load pickle.Unpickler cPickle.loads cPickle.load _pickle.loads _pickle.load "
        "dill.loads dill.load dill.Unpickler cloudpickle.loads cloudpickle.load marshal.loads marshal.load "
        "jsonpickle.decode jsonpickle.loads jsonpickle.unpickler.decode pandas.read_pickle joblib.load "
        "sklearn.externals.joblib.load yaml.unsafe_load yaml.unsafe_load_all yaml.full_load yaml.full_load_all "
        "shelve.open",
        DESERIALIZE,
    ),
    **_each(
        "yaml.load yaml.load_all",
        SinkRule(V.RCE, 502, "deserialisation", ((0, "stream"),), "unsafe_yaml", read_back=True),
    ),
    "numpy.load": (SinkRule(V.RCE, 502, "deserialisation", ((0, "file"),), "pickle_allowed", read_back=True),),
    "torch.load": (SinkRule(V.RCE, 502, "deserialisation", ((0, "f"),), "weights_not_only", read_back=True),),
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
    # SSRF (a ``urllib.request.Request(url)`` only describes the request: the ``urlopen`` that sends it is the sink)
    **_each(" ".join(f"requests.{v} httpx.{v} requests.api.{v}" for v in _HTTP_VERBS.split()), URL0),
    **_each("requests.request requests.api.request httpx.request httpx.stream aiohttp.request urllib3.request", URL1),
    **_methods(_SESSIONS, _HTTP_VERBS + " ws_connect", URL0),
    **_methods(
        _SESSIONS + " urllib3.PoolManager urllib3.poolmanager.PoolManager urllib3.ProxyManager", "request stream", URL1
    ),
    **_methods("urllib3.PoolManager urllib3.poolmanager.PoolManager urllib3.ProxyManager", "urlopen", URL1),
    **_each(
        "httpx.Client httpx.AsyncClient aiohttp.ClientSession",
        SinkRule(V.SSRF, 918, "client base URL", ((None, "base_url"),)),
    ),
    **_each(
        "urllib.request.urlopen urllib.request.urlretrieve urllib2.urlopen urllib.request.build_opener.open "
        "urllib.request.OpenerDirector.open httplib2.Http.request websocket.create_connection websockets.connect "
        "websockets.client.connect",
        URL0,
    ),
    **_each(
        "http.client.HTTPConnection http.client.HTTPSConnection urllib3.HTTPConnectionPool "
        "urllib3.HTTPSConnectionPool urllib3.connection_from_url " + _MAIL_AND_FILE_CLIENTS,
        HOST,
    ),
    **_methods(_MAIL_AND_FILE_CLIENTS, "connect", HOST),
    **_each(
        "socket.create_connection socket.socket.connect socket.socket.connect_ex",
        SinkRule(V.SSRF, 918, "outbound connection", ((0, "address"),)),
    ),
    "pycurl.Curl.setopt": (SinkRule(V.SSRF, 918, "outbound request", ((1, None),), "curl_url_option"),),
    **_each(
        "tornado.httpclient.AsyncHTTPClient.fetch tornado.httpclient.HTTPClient.fetch",
        SinkRule(V.SSRF, 918, "outbound request", ((0, "request"),)),
    ),
    # SQLI
    **_each(
        "sqlalchemy.text sqlalchemy.sql.text sqlalchemy.sql.expression.text sqlalchemy.literal_column "
        "sqlalchemy.sql.literal_column sqlalchemy.sql.expression.literal_column",
        SQL_TEXT,
    ),
    **_each(
        "django.db.models.expressions.RawSQL django.db.models.RawSQL pandas.read_sql pandas.read_sql_query peewee.SQL",
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
    **_each("execute executemany executescript exec_driver_sql execute_sql", _SQL),
    **_each("fetch fetchrow fetchval", SinkRule(V.SQLI, 89, "SQL query", ((0, "query"),), "sql_like", confidence=5)),
    "raw": (SinkRule(V.SQLI, 89, "raw SQL query", ((0, "raw_query"),)),),
    "extra": (SinkRule(V.SQLI, 89, "raw SQL fragment", ((None, "where"), (None, "select"), (None, "tables"))),),
    **_each("read_text read_bytes", SinkRule(V.LFI, 22, "file read", ("receiver",), confidence=5)),
    **_each(
        "write_text write_bytes",
        SinkRule(V.AFO, 22, "file write", ("receiver",), whole_cwe=73, confidence=5),
        replace(CODE_CONTENT, confidence=5),
    ),
    **_each("iterdir rglob", replace(PATH_LIST, confidence=5)),
    **_each(
        "extractall extract",
        SinkRule(V.AFO, 22, "archive extraction", ("receiver",), "unfiltered_extraction", confidence=5),
    ),
    "save": (
        SinkRule(V.AFO, 22, "upload saved", ((0, "dst"),), "tainted_receiver", whole_cwe=73, confidence=5),
        SinkRule(V.AFO, 94, "upload saved into code or a template", pick="upload_into_code", confidence=5),
    ),
    "from_string": (SinkRule(V.RCE, 1336, "template compiled from text", ((0, "source"),), confidence=5),),
    "exec_command": (SinkRule(V.RCE, 78, "remote shell command", ((0, "command"),), confidence=5),),
    **_each(
        "find find_one find_one_and_delete find_one_and_replace find_one_and_update update_one update_many "
        "delete_one delete_many replace_one count_documents find_raw_batches",
        _MONGO_FILTER,
    ),
    **_each(
        "aggregate aggregate_raw_batches watch", replace(_MONGO_FILTER, args=((0, "pipeline"),), pick="mongo_pipeline")
    ),
    "distinct": (replace(_MONGO_FILTER, args=((1, "filter"),), pick="mongo_second"),),
    **_each("objects filter", replace(_MONGO_FILTER, args=("**",), pick="mongo_raw")),
}
"""Sinks recognised by method name when the receiver's type is unknown (``get_db().execute(q)``)."""

CLASS_METHODS = frozenset({"objects"})
"""Method names matched also when called on a class: mongoengine's ``User.objects(__raw__=...)``."""


def rules_for(qualified: str | None, method: str | None) -> tuple[tuple[SinkRule, ...], bool]:
    """The sink rules of a call: by qualified name, else by method name; True when by name only."""
    if qualified and qualified in QUALIFIED:
        return QUALIFIED[qualified], False
    return (METHODS.get(method, ()), True) if method else ((), False)
