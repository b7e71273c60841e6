"""One redaction rule for every place text leaves the process: logs, errors, reports.

Credentials reach error messages in ways nobody writes on purpose: an
``OPENAI_BASE_URL`` of ``http://user:pass@host/v1`` is repeated by the SDK's
timeout errors and by its HTTP logger, a signed URL carries ``?token=``. Every
writer calls :func:`redact` on text it did not compose itself.
"""

from __future__ import annotations

import re

MASK = "[redacted]"

_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@?#]+)@")
_QUERY_SECRET = re.compile(
    r"(?P<key>[?&;](?:[A-Za-z0-9_.-]*(?:key|token|secret|password|passwd|pwd|auth|signature|sig|credential)"
    r"[A-Za-z0-9_.-]*)=)(?P<value>[^&#\s'\"]+)",
    re.IGNORECASE,
)
_API_KEY = re.compile(r"\b(?:sk-ant-|sk-)[A-Za-z0-9_\-]{8,}")
_BEARER = re.compile(r"(?i:\bbearer)\s+[A-Za-z0-9._\-~+/=]{8,}")


def redact(text: str) -> str:
    """*text* with URL user info, secret query values, API keys and bearer tokens masked."""
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group('key')}{MASK}", text)
    text = _API_KEY.sub(MASK, text)
    return _BEARER.sub(f"Bearer {MASK}", text)
