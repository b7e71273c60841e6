"""What stops or changes taint: sanitizers, casts, barriers and string builders, as tables.

A sanitizer removes the vulnerability kinds it neutralises (``shlex.quote``
stops shell injection, not path traversal); a cast leaves only "an object id"
(still useful for IDOR); a barrier returns data that does not come from the
request at all (``len``, ``os.path.exists``, a file handle). The guard-based
sanitizers (allow-lists, ``realpath`` + prefix checks) live in :mod:`.guards`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..findings import VulnType
from .taint import ALL_KINDS, ID_ONLY

V = VulnType


@dataclass(frozen=True)
class Sanitizer:
    """Calling this removes *removes* from the taint of its arguments."""

    removes: frozenset[VulnType]
    first_kept: bool = False  # ``format_html(fmt, *args)``: only the arguments are escaped, not the format


_PATH = frozenset({V.LFI, V.AFO})
_HTML = frozenset({V.XSS})
_CAST = ALL_KINDS - ID_ONLY


def _each(names: str, rule: Sanitizer) -> dict[str, Sanitizer]:
    return {name: rule for name in names.split()}


SANITIZERS: dict[str, Sanitizer] = {
    **_each(
        "werkzeug.utils.secure_filename werkzeug.secure_filename",
        Sanitizer(frozenset({V.LFI, V.AFO, V.RCE, V.SQLI, V.XSS})),
    ),
    **_each(
        "os.path.basename posixpath.basename ntpath.basename werkzeug.utils.safe_join werkzeug.security.safe_join "
        "flask.safe_join flask.helpers.safe_join django.utils._os.safe_join",
        Sanitizer(_PATH),
    ),
    **_each(
        "builtins.int builtins.float builtins.bool builtins.round uuid.UUID decimal.Decimal "
        "datetime.date.fromisoformat datetime.datetime.fromisoformat datetime.datetime.strptime",
        Sanitizer(_CAST),
    ),
    **_each("shlex.quote pipes.quote shlex.join", Sanitizer(frozenset({V.RCE}))),
    **_each(
        "html.escape markupsafe.escape flask.escape jinja2.escape cgi.escape django.utils.html.escape "
        "django.utils.html.conditional_escape django.utils.html.strip_tags xml.sax.saxutils.escape "
        "bleach.clean markupsafe.Markup.escape",
        Sanitizer(_HTML),
    ),
    "django.utils.html.format_html": Sanitizer(_HTML, first_kept=True),
    "markupsafe.Markup.format": Sanitizer(_HTML, first_kept=True),
    **_each(
        "urllib.parse.quote urllib.parse.quote_plus urllib.parse.urlencode",
        Sanitizer(frozenset({V.XSS, V.RCE, V.SQLI})),
    ),
    **_each(
        "hashlib.md5 hashlib.sha1 hashlib.sha256 hashlib.sha512 hashlib.blake2b hashlib.new hmac.new",
        Sanitizer(ALL_KINDS),
    ),
    **_each("builtins.ord builtins.hex builtins.oct builtins.bin builtins.abs", Sanitizer(_CAST)),
    **_each(
        "flask.render_template flask.templating.render_template quart.render_template "
        "django.shortcuts.render django.template.loader.render_to_string",
        Sanitizer(_HTML),  # autoescaped: a template that prints raw is the template's own sink
    ),
}
"""Sanitizers by qualified name."""

ENCODERS = frozenset(
    "base64.b64encode base64.urlsafe_b64encode base64.standard_b64encode base64.b32encode base64.b16encode "
    "base64.encodebytes binascii.hexlify binascii.b2a_base64 binascii.b2a_hex".split()
)
DECODERS = frozenset(
    "base64.b64decode base64.urlsafe_b64decode base64.standard_b64decode base64.b32decode base64.b16decode "
    "base64.decodebytes binascii.unhexlify binascii.a2b_base64 binascii.a2b_hex".split()
)
"""Encodings: an encoded value cannot inject anything, but decoding it gives the request data back."""

BARRIERS = frozenset(
    """
    builtins.len builtins.bool builtins.isinstance builtins.issubclass builtins.hasattr builtins.callable
    builtins.id builtins.hash builtins.type builtins.print builtins.open io.open codecs.open
    os.path.exists os.path.isfile os.path.isdir os.path.islink os.path.getsize os.path.getmtime
    os.listdir os.scandir os.stat uuid.uuid4 uuid.uuid1 secrets.token_hex secrets.token_urlsafe
    time.time datetime.datetime.now datetime.datetime.utcnow
    django.shortcuts.get_object_or_404 django.shortcuts.get_list_or_404
    flask.jsonify flask.json.jsonify django.http.JsonResponse rest_framework.response.Response
    """.split()
)
"""Calls whose result is not request data, whatever their arguments."""

BARRIER_METHODS = frozenset(
    "startswith endswith isdigit isdecimal isnumeric isalnum isalpha isidentifier isspace islower isupper "
    "count find rfind index rindex exists is_file is_dir is_absolute is_relative_to execute executemany "
    "executescript fetchone fetchall fetchmany first all count_documents read_text read_bytes".split()
)
"""Methods that answer a question about the data (or fetch stored rows) instead of returning it."""

PASSTHROUGH_METHODS = frozenset("join format format_map replace encode decode".split())
"""Methods of a clean receiver (a literal, a constant) whose result carries their arguments' taint."""

PATTERN_FACTORIES = frozenset({"re.compile", "regex.compile"})
PATTERN_METHODS = frozenset("sub subn split findall finditer match search fullmatch".split())
"""Methods of a compiled pattern (``BOLD.sub(r"<b>\\1</b>", text)``) whose result is made from the text given."""

MUTATORS = frozenset("append extend add insert update setdefault appendleft extendleft write writelines".split())
"""Methods that put their arguments into the receiver."""

JOINERS = frozenset({"os.path.join", "posixpath.join", "ntpath.join", "pathlib.Path", "pathlib.PurePath"})
"""Path builders: arguments after the first are appended to a base."""

PATH_CLASSES = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath"})
PATH_METHODS = frozenset("resolve absolute joinpath with_name with_suffix with_stem expanduser parent".split())
"""``pathlib`` objects and their methods that give another path."""

NORMALIZERS = frozenset(
    {
        "os.path.realpath",
        "os.path.abspath",
        "os.path.normpath",
        "posixpath.realpath",
        "posixpath.abspath",
        "posixpath.normpath",
    }
)
NORMALIZER_METHODS = frozenset({"resolve", "absolute", "realpath"})
"""Calls that give the canonical path, which a following prefix check can then trust."""

CONTAINMENT_CALLS = frozenset({"os.path.commonpath", "os.path.commonprefix", "posixpath.commonpath"})
CONTAINMENT_METHODS = frozenset({"startswith", "is_relative_to"})
"""Checks that a path stays under a base directory."""

VALIDATOR_METHODS = frozenset("isdigit isdecimal isnumeric isalnum isalpha isidentifier fullmatch".split())
"""A value that passed one of these is an allow-listed shape."""

ABORTS = frozenset({"abort", "exit", "_exit", "quit", "fail", "fail_json"})
"""Calls (by last name) that end the handler like ``raise`` does."""

OWNER = re.compile(r"owner|user|customer|author|created_by|creator|account|tenant|member", re.IGNORECASE)
"""Names of fields that tie a record to a person: the evidence of ownership for IDOR."""
