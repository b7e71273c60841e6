"""Map HTTP failures of any provider SDK onto vulnhuntr's error classes.

The SDKs differ in class names but agree on HTTP status codes, so one
function decides what is retryable, what is a configuration problem and how
long the server asked us to wait.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from ..errors import (
    ProviderConfigError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitedError,
    TransientProviderError,
    UnusableResponseError,
)

SNIPPET_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def translate_sdk_error(
    exc: Exception, sdk: ModuleType, *, provider: str, where: str, key_variable: str | None, unreachable: str
) -> ProviderError:
    """The vulnhuntr error for an exception of the anthropic or openai SDK (they share these class names)."""
    if isinstance(exc, sdk.APIStatusError):
        return error_for_status(
            exc.status_code, error_detail(exc), exc.response.headers, provider=provider, where=where,
            key_variable=key_variable,
        )
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderTimeoutError(f"{provider} call timed out ({where})")
    if isinstance(exc, sdk.APIConnectionError):
        return ProviderConfigError(f"cannot reach {unreachable}: {exc}")
    return ProviderError(f"{provider} call failed: {exc}")


def error_detail(exc: Any) -> str:
    """The server's own message from an SDK status error (``{"error": {"message": ...}}``), else the SDK's."""
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(exc.message)


def unusable_response(provider: str, where: str, body: Any) -> UnusableResponseError:
    """A success status whose body the SDK could not turn into a response (a proxy's HTML page, a cut stream)."""
    return UnusableResponseError(
        f"{provider} at {where} answered with a body that is not a valid {provider} API response: {snippet(body)}"
    )


def snippet(value: Any, limit: int = SNIPPET_CHARS) -> str:
    """The start of a server's text on one line, control characters made visible: safe to log and report."""
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        error = value.get("error", value)
        message = error.get("message") if isinstance(error, Mapping) else error
        value = message if isinstance(message, str) and message else json.dumps(value, default=str)
    text = " ".join(str(value).split())
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= limit else text[:limit] + "..."


def error_for_status(
    status: int, detail: str, headers: Mapping[str, str] | None, *, provider: str, where: str, key_variable: str | None
) -> ProviderError:
    """The vulnhuntr error for an HTTP *status* returned by *provider* at *where*.

    *detail* is whatever the server said: text, or a JSON object (Ollama passes its body on as it is).
    """
    detail = snippet(detail, 300)
    if status in (401, 403):
        hint = f"; check {key_variable}" if key_variable else ""
        return ProviderConfigError(f"{provider} at {where} refused the credentials (HTTP {status}){hint}: {detail}")
    if status == 404:
        return ProviderConfigError(
            f"{provider} at {where} answered 404 (unknown model or wrong base URL): {detail}"
        )
    if status == 429 or status == 529:
        return RateLimitedError(f"{provider} rate limit (HTTP {status}): {detail}", retry_after=retry_after(headers))
    if status >= 500 or status == 408:
        return TransientProviderError(f"{provider} server error (HTTP {status}): {detail}", retry_after=retry_after(headers))
    return ProviderError(f"{provider} rejected the request (HTTP {status}): {detail}")


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait (``retry-after`` or ``retry-after-ms``), if any."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = lowered.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue  # an HTTP date: rare from LLM APIs, fall back to our own backoff
    return None
