"""A provider that answers repeated requests from the persistent :class:`~vulnhuntr.store.Store`.

It wraps any :class:`Provider` (outside the retries, so a hit skips them too),
so the analysis loop never knows caching exists. Re-running a scan on an
unchanged repository therefore costs nothing: every identical request is
served from disk.
"""

from __future__ import annotations

import asyncio

from ..config import ModelPrice
from ..findings import Usage
from ..store import CachedAnswer, RunStats, Store, digest
from .base import LLMRequest, LLMResponse, Provider
from .endpoints import endpoint_of
from ..pricing import cost
from .wrapper import ProviderWrapper

KEY_VERSION = 1
"""Bump when the key's ingredients change, so old entries stop matching instead of lying."""


def request_key(provider: str, model: str, endpoint: str, request: LLMRequest) -> str:
    """sha256 of everything that determines the answer, as canonical JSON (sorted keys, no spaces).

    The endpoint is included: two servers offering the same model name (two
    local Ollama or vLLM hosts, OpenRouter versus OpenAI) may run different
    weights or quantisations, and replaying one's answers as the other's would
    be silently wrong. Credentials and headers are never part of the key.
    """
    return digest({
        "v": KEY_VERSION,
        "provider": provider,
        "model": model,
        "endpoint": endpoint_of(endpoint),
        "system": request.system,
        "messages": [[message.role, message.content] for message in request.messages],
        "schema": request.schema,
        "schema_name": request.schema_name,
        "temperature": float(request.temperature),
        "max_tokens": int(request.max_tokens),
    })


class CachingProvider(ProviderWrapper):
    """Serves identical requests from the store; counts hits, misses and the usage they saved.

    ``refresh=True`` always asks the model and overwrites the stored answer;
    ``enabled=False`` (or no store) passes every call straight through.

    Store I/O runs in a worker thread (``asyncio.to_thread``): a lookup is
    microseconds, but a write can wait up to the store's busy timeout while
    another vulnhuntr process holds the lock, and that must not freeze the
    other requests in flight. The thread hop costs far less than any LLM call.
    """

    def __init__(
        self, inner: Provider, store: Store | None, *, ttl_days: float = 7, refresh: bool = False, enabled: bool = True
    ) -> None:
        super().__init__(inner)
        self.store = store
        self.ttl_days = ttl_days
        self.refresh = refresh
        self._enabled = enabled
        self.hits = 0
        self.misses = 0
        self.saved = Usage()  # what the hits would have cost; never added to the run's own usage

    @property
    def enabled(self) -> bool:
        """False for ``--no-cache``; the run summary then leaves the cache out."""
        return self._enabled and self.store is not None

    def key(self, request: LLMRequest) -> str:
        return request_key(self.name, self.model, self.endpoint, request)

    async def complete(self, request: LLMRequest) -> LLMResponse:
        if self.store is None or not self._enabled:
            return await self.inner.complete(request)
        key = self.key(request)
        if not self.refresh:
            cached = await asyncio.to_thread(self.store.get_answer, key, self.ttl_days)
            if cached is not None:
                return self._serve(cached)
        self.misses += 1
        response = await self.inner.complete(request)  # a failure propagates and stores nothing
        await asyncio.to_thread(self.store.put_answer, key, self._entry(response))
        return response

    def _serve(self, cached: CachedAnswer) -> LLMResponse:
        """A hit: nothing was paid, so the response's usage is zero; the saving is counted apart."""
        self.hits += 1
        self.saved.add(cached.usage)
        return LLMResponse(text=cached.text, usage=Usage(), truncated=cached.truncated, model=cached.model)

    def _entry(self, response: LLMResponse) -> CachedAnswer:
        usage = Usage(1, response.usage.input_tokens, response.usage.output_tokens, response.usage.cached_input_tokens)
        return CachedAnswer(self.name, response.model or self.model, response.text, response.truncated, usage)

    def run_stats(self, started_at: float, price: ModelPrice | None) -> RunStats:
        """This run's cache figures, priced, for ``Store.record_run`` and the run summary."""
        saved = Usage()
        saved.add(self.saved)
        return RunStats(started_at, self.hits, self.misses, saved, cost(saved, price))
