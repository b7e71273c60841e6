"""One exception hierarchy for vulnhuntr.

Library code raises these; the CLI maps them to exit codes. Errors coming from
third-party libraries are wrapped at the boundary with ``raise ... from exc`` so
callers never need to know which library failed.
"""

from __future__ import annotations


class VulnhuntrError(Exception):
    """Base class of every error vulnhuntr raises on purpose."""


class UsageError(VulnhuntrError):
    """The command line or the arguments of :func:`vulnhuntr.scan` are wrong (exit 2)."""


class ConfigError(VulnhuntrError):
    """A configuration file, environment variable or option is invalid (exit 2)."""


class ProviderError(VulnhuntrError):
    """An LLM call failed; ``retryable`` says whether asking again may help."""

    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderConfigError(ProviderError, ConfigError):
    """The provider cannot be used at all: missing key, bad credentials, unreachable server (exit 2)."""


class MissingCredentials(ProviderConfigError):
    """No API key for the chosen provider: without one, a scan can still run the static pass."""


class RateLimitedError(ProviderError):
    """HTTP 429 or an overloaded server: wait (``retry_after`` when the server said) and retry."""

    retryable = True


class TransientProviderError(ProviderError):
    """A 5xx, a dropped connection or a timeout: worth a bounded number of retries."""

    retryable = True


class ProviderTimeoutError(TransientProviderError):
    """The call took longer than ``analysis.timeout_seconds``."""


class UnusableResponseError(ProviderError):
    """The server answered with success but not with its protocol's response (an HTML page, non-JSON, another shape)."""


class AnswerError(VulnhuntrError):
    """The model's answer could not be turned into the expected structure."""
