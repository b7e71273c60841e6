"""Map HTTP failures of any provider SDK onto vulnhuntr's error classes.

The SDKs differ in class names but agree on HTTP status codes, so one
function decides what is retryable, what is a configuration problem and how
long the server asked us to wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from ..errors import ProviderConfigError, ProviderError, RateLimitedError, TransientProviderError


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
        return TransientProviderError(f"{provider} call timed out ({where})")
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


def error_for_status(
    status: int, detail: str, headers: Mapping[str, str] | None, *, provider: str, where: str, key_variable: str | None
) -> ProviderError:
    """The vulnhuntr error for an HTTP *status* returned by *provider* at *where*."""
    detail = " ".join(detail.split())[:300]
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
