"""Which server answers: its canonical form (for the cache key) and whether it is a vendor's hosted API."""

from __future__ import annotations

from urllib.parse import urlsplit

HOSTED_APIS = ("api.openai.com", "anthropic.com")
"""Hosts (and their subdomains) whose per-minute limits the defaults in ``rate_limits`` describe."""


def endpoint_of(where: str) -> str:
    """The server part of a base URL that can change the answer: scheme, host, port and path.

    User info, query and fragment are dropped: they may carry credentials and do
    not pick a different model. (The key is a hash anyway; nothing of it is stored.)
    """
    if not where:
        return ""
    parts = urlsplit(where if "://" in where else f"http://{where}")
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.lower()}://{host}{port}{parts.path.rstrip('/')}"


def is_hosted(endpoint: str) -> bool:
    """A vendor's API (paced by the configured limits), not a local or compatible server (never paced)."""
    host = (urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}").hostname or "").lower()
    return any(host == api or host.endswith("." + api) for api in HOSTED_APIS)
