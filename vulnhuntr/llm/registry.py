"""Which provider class serves which ``--llm`` choice, built the same way for all."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

from ..config import Settings
from ..errors import ConfigError
from ..store import Store
from .base import Provider
from .cache import CachingProvider
from .endpoints import is_hosted
from .ratelimit import AdaptiveConcurrency, RateLimitedProvider
from .retry import RetryingProvider

ProviderFactory = Callable[..., Provider]

PROVIDERS: dict[str, tuple[str, str]] = {
    "claude": ("claude", "ClaudeProvider"),
    "gpt": ("openai_chat", "OpenAIProvider"),
    "openai": ("openai_chat", "OpenAIProvider"),
    "ollama": ("ollama_chat", "OllamaProvider"),
}
"""Module and class of each ``--llm`` choice. Imported only when chosen: the SDKs take seconds
to import, which ``-l none``, ``--list-entrypoints``, ``--dry-run`` and ``cache`` never need."""

DEFAULT_MODELS = {
    "claude": "claude-sonnet-5",
    "gpt": "gpt-5.2",
    "openai": "gpt-5.2",
    "ollama": "llama3.1",
}
"""The model of each choice when none is configured (each provider module uses the same value)."""


def provider_class(llm: str) -> ProviderFactory | None:
    """The provider class of an ``--llm`` choice, importing its SDK now; None for an unknown choice."""
    if llm not in PROVIDERS:
        return None
    module, name = PROVIDERS[llm]
    factory: ProviderFactory = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    return factory


def provider_family(llm: str) -> str:
    """The provider behind an ``--llm`` choice, as pricing and rate limits know it."""
    return "openai" if llm == "gpt" else llm


def model_name(settings: Settings) -> str | None:
    """The model a scan would use, without creating a client (no key needed: ``--dry-run``)."""
    if settings.llm == "none":
        return None
    return settings.provider().model or DEFAULT_MODELS[settings.llm]


def create_provider(settings: Settings, environ: Mapping[str, str] | None = None) -> Provider:
    """The provider chosen by ``settings.llm``, wrapped in bounded retries, adaptive concurrency and,
    for a vendor's hosted API, pacing. The number of calls in flight is capped by the call gate."""
    factory = provider_class(settings.llm)
    if factory is None:
        raise ConfigError(f"no LLM provider is configured (--llm {settings.llm})")
    chosen = settings.provider()
    analysis = settings.analysis
    provider = factory(
        chosen.model, chosen.base_url, timeout=analysis.timeout_seconds, environ=dict(environ) if environ else None
    )
    limit = getattr(settings.rate_limits, provider_family(settings.llm))
    if is_hosted(provider.endpoint) and (limit.requests_per_minute or limit.tokens_per_minute):
        provider = RateLimitedProvider(
            provider, requests_per_minute=limit.requests_per_minute, tokens_per_minute=limit.tokens_per_minute
        )
    return RetryingProvider(AdaptiveConcurrency(provider), attempts=analysis.retries + 1)


def with_cache(provider: Provider, settings: Settings, store: Store | None, *, refresh: bool) -> CachingProvider:
    """The cache goes outermost: a hit skips pacing and retries, and costs nothing."""
    cache = settings.performance.cache
    return CachingProvider(provider, store, ttl_days=cache.ttl_days, refresh=refresh, enabled=cache.enabled and store is not None)
