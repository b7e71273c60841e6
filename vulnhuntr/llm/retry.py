"""Bounded retries around any provider, honouring the server's retry-after."""

from __future__ import annotations

import asyncio
import logging
import random

from ..errors import ProviderError
from .base import LLMRequest, LLMResponse, Provider

log = logging.getLogger(__name__)


class RetryingProvider:
    """Asks again on 429, 5xx and timeouts, at most ``attempts`` times in all.

    The wait is the server's ``retry-after`` when it sent one, else exponential
    backoff with jitter; both are capped so one call cannot stall a scan.
    """

    def __init__(self, inner: Provider, *, attempts: int = 4, base_delay: float = 1.0, max_delay: float = 60.0):
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.attempts = max(1, attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay

    async def complete(self, request: LLMRequest) -> LLMResponse:
        for attempt in range(1, self.attempts + 1):
            try:
                return await self.inner.complete(request)
            except ProviderError as exc:
                if not exc.retryable or attempt == self.attempts:
                    raise
                delay = self._delay(attempt, exc.retry_after)
                log.warning("%s (attempt %d of %d), retrying in %.1fs", exc, attempt, self.attempts, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        backoff = self.base_delay * 2 ** (attempt - 1)
        return min(backoff * (0.5 + random.random() / 2), self.max_delay)

    async def aclose(self) -> None:
        await self.inner.aclose()
