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
