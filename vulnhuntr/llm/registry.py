"""Which provider class serves which ``--llm`` choice, built the same way for all."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..config import Settings
from ..errors import ConfigError
from .base import Provider
from .claude import ClaudeProvider
from .ollama_chat import OllamaProvider
from .openai_chat import OpenAIProvider
from .retry import RetryingProvider

ProviderFactory = Callable[..., Provider]

PROVIDERS: dict[str, ProviderFactory] = {
    "claude": ClaudeProvider,
    "gpt": OpenAIProvider,
    "openai": OpenAIProvider,
    "ollama": OllamaProvider,
}


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
    return RetryingProvider(provider, attempts=analysis.retries + 1)
