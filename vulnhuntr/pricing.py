"""Estimated cost of a run from token usage and a per-model price table.

Shared by planning (``--dry-run`` prices its estimate) and the analysis (the
budget, the run's cost), so it sits below both; :mod:`vulnhuntr.llm.pricing`
re-exports it.

Prices are US dollars per million tokens (list prices, November 2026); users
override or add models with ``pricing:`` in the configuration. Local models
cost nothing; an unknown model has no estimate rather than a wrong one.

Input read from a provider's prompt cache is billed at the cached rate; input
written to it at the cache-write rate (Anthropic: 1.25x input for the 5-minute
cache; OpenAI's automatic caching costs nothing extra, so it defaults to input).
"""

from __future__ import annotations

from collections.abc import Mapping

from .config import ModelPrice
from .findings import Usage

BUILTIN_PRICES: dict[str, ModelPrice] = {
    "claude-opus-5": ModelPrice(input=5.0, output=25.0, cached_input=0.5, cache_write=6.25),
    "claude-sonnet-5": ModelPrice(input=2.0, output=10.0, cached_input=0.2, cache_write=2.5),
    "claude-opus-4-6": ModelPrice(input=5.0, output=25.0, cached_input=0.5, cache_write=6.25),
    "claude-opus-4-5": ModelPrice(input=5.0, output=25.0, cached_input=0.5, cache_write=6.25),
    "claude-sonnet-4-6": ModelPrice(input=3.0, output=15.0, cached_input=0.3, cache_write=3.75),
    "claude-sonnet-4-5": ModelPrice(input=3.0, output=15.0, cached_input=0.3, cache_write=3.75),
    "claude-haiku-4-5": ModelPrice(input=1.0, output=5.0, cached_input=0.1, cache_write=1.25),
    "gpt-5.4": ModelPrice(input=2.5, output=15.0, cached_input=0.25),
    "gpt-5.2": ModelPrice(input=1.75, output=14.0, cached_input=0.175),
    "gpt-5.1": ModelPrice(input=1.25, output=10.0, cached_input=0.125),
    "gpt-5-mini": ModelPrice(input=0.25, output=2.0, cached_input=0.025),
    "gpt-5": ModelPrice(input=1.25, output=10.0, cached_input=0.125),
    "gpt-4.1": ModelPrice(input=2.0, output=8.0, cached_input=0.5),
    "gpt-4o-mini": ModelPrice(input=0.15, output=0.6, cached_input=0.075),
    "gpt-4o": ModelPrice(input=2.5, output=10.0, cached_input=1.25),
}
FREE = ModelPrice(input=0.0, output=0.0, cached_input=0.0)


def price_for(provider: str, model: str, overrides: Mapping[str, ModelPrice] | None = None) -> ModelPrice | None:
    """The price of *model*: configuration first, then the built-in table (longest matching prefix)."""
    if overrides and model in overrides:
        return overrides[model]
    if provider == "ollama":
        return FREE
    matches = [name for name in BUILTIN_PRICES if model == name or model.startswith(name + "-")]
    return BUILTIN_PRICES[max(matches, key=len)] if matches else None


def cost(usage: Usage, price: ModelPrice | None) -> float | None:
    """Dollars for *usage*; cached input is billed at the cached rate, cache writes at the write rate."""
    if price is None:
        return None
    cached_rate = price.cached_input if price.cached_input is not None else price.input / 10
    write_rate = price.cache_write if price.cache_write is not None else price.input
    written = usage.cache_write_input_tokens
    fresh = max(0, usage.input_tokens - usage.cached_input_tokens - written)
    total = (
        fresh * price.input + usage.cached_input_tokens * cached_rate + written * write_rate
        + usage.output_tokens * price.output
    )
    return round(total / 1_000_000, 6)
