"""Which provider class serves which ``--llm`` choice, built the same way for all."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..config import Settings
from ..errors import ConfigError
from .base import Provider
from . import claude, ollama_chat, openai_chat
from .claude import ClaudeProvider
from .ollama_chat import OllamaProvider
from .openai_chat import OpenAIProvider
from ..store import Store
from .cache import CachingProvider
from .ratelimit import AdaptiveConcurrency, RateLimitedProvider
from .retry import RetryingProvider

ProviderFactory = Callable[..., Provider]

PROVIDERS: dict[str, ProviderFactory] = {
    "claude": ClaudeProvider,
    "gpt": OpenAIProvider,
    "openai": OpenAIProvider,
    "ollama": OllamaProvider,
}


DEFAULT_MODELS = {
    "claude": claude.DEFAULT_MODEL,
    "gpt": openai_chat.DEFAULT_MODEL,
    "openai": openai_chat.DEFAULT_MODEL,
    "ollama": ollama_chat.DEFAULT_MODEL,
}


def provider_family(llm: str) -> str:
    """The provider behind an ``--llm`` choice, as pricing and rate limits know it."""
    return "openai" if llm == "gpt" else llm


def model_name(settings: Settings) -> str | None:
    """The model a scan would use, without creating a client (no key needed: ``--dry-run``)."""
    if settings.llm == "none":
        return None
    return settings.provider().model or DEFAULT_MODELS[settings.llm]


def create_provider(settings: Settings, environ: Mapping[str, str] | None = None) -> Provider:
    """The provider chosen by ``settings.llm``, wrapped in bounded retries."""
    factory = PROVIDERS.get(settings.llm)
    if factory is None:
        raise ConfigError(f"no LLM provider is configured (--llm {settings.llm})")
    chosen = settings.provider()
    analysis = settings.analysis
    provider = factory(
        chosen.model, chosen.base_url, timeout=analysis.timeout_seconds, environ=dict(environ) if environ else None
    )
    limit = getattr(settings.rate_limits, provider_family(settings.llm))
    hosted = chosen.base_url is None or "api.openai.com" in chosen.base_url or "anthropic.com" in chosen.base_url
    if hosted and (limit.requests_per_minute or limit.tokens_per_minute):
        provider = RateLimitedProvider(
            provider, requests_per_minute=limit.requests_per_minute, tokens_per_minute=limit.tokens_per_minute
        )
    concurrent = AdaptiveConcurrency(provider, limit=settings.performance.parallel.in_flight)
    return RetryingProvider(concurrent, attempts=analysis.retries + 1)


def with_cache(provider: Provider, settings: Settings, store: Store | None, *, refresh: bool) -> CachingProvider:
    """The cache goes outermost: a hit skips pacing and retries, and costs nothing."""
    cache = settings.performance.cache
    return CachingProvider(provider, store, ttl_days=cache.ttl_days, refresh=refresh, enabled=cache.enabled and store is not None)
