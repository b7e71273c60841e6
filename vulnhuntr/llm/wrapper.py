"""The base of every provider that stands in front of another (cache, retries, pacing, concurrency).

A wrapper is the provider it wraps as far as anyone above can tell: same name,
model and endpoint, and closing it closes the inner one. Subclasses override
``complete`` only.
"""

from __future__ import annotations

from .base import LLMRequest, LLMResponse, Provider


class ProviderWrapper:
    """Forwards ``name``, ``model``, ``endpoint``, ``complete`` and ``aclose`` to *inner*."""

    def __init__(self, inner: Provider) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def model(self) -> str:
        return self.inner.model

    @property
    def endpoint(self) -> str:
        return self.inner.endpoint

    async def complete(self, request: LLMRequest) -> LLMResponse:
        return await self.inner.complete(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
