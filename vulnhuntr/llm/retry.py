"""Bounded retries around any provider, honouring the server's retry-after."""

from __future__ import annotations

import asyncio
import logging
import random

from ..errors import ProviderError, ProviderTimeoutError, RateLimitedError
from ..run_summary import Faults
from .base import LLMRequest, LLMResponse, Provider
from .wrapper import ProviderWrapper

log = logging.getLogger(__name__)


class RetryingProvider(ProviderWrapper):
    """Asks again on 429, 5xx and timeouts, with a bounded number of attempts.

    Server errors and timeouts get ``attempts`` tries; rate limits get more
    (``rate_limit_attempts``), because a 429 says "later", not "broken", and the
    concurrency limiter below makes room while we wait. The wait is the server's
    ``retry-after`` plus a little jitter (so retries do not arrive together), else
    exponential backoff with jitter; both are capped so one call cannot stall a scan.
    """

    def __init__(
        self,
        inner: Provider,
        *,
        attempts: int = 4,
        rate_limit_attempts: int = 10,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
    ):
        super().__init__(inner)
        self.attempts = max(1, attempts)
        self.rate_limit_attempts = max(self.attempts, rate_limit_attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.faults = Faults()  # what this run's calls met, for the report's summary

    async def complete(self, request: LLMRequest) -> LLMResponse:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self.inner.complete(request)
            except ProviderError as exc:
                limit = self.rate_limit_attempts if isinstance(exc, RateLimitedError) else self.attempts
                self._count(exc)
                if not exc.retryable or attempt >= limit:
                    raise
                self.faults.retries += 1
                delay = self._delay(attempt, exc.retry_after)
                log.warning("%s (attempt %d of %d), retrying in %.1fs", exc, attempt, limit, delay)
                await asyncio.sleep(delay)

    def _count(self, exc: ProviderError) -> None:
        if isinstance(exc, RateLimitedError):
            self.faults.rate_limited += 1
        elif isinstance(exc, ProviderTimeoutError):
            self.faults.timeouts += 1
        elif exc.retryable:
            self.faults.server_errors += 1

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after * (1 + random.random() / 2), self.max_delay)
        backoff = self.base_delay * 2 ** (attempt - 1)
        return min(backoff * (0.5 + random.random() / 2), self.max_delay)


def faults_of(provider: object) -> Faults:
    """The faults counted by the retry layer somewhere inside a provider stack (none counted: zeros)."""
    while isinstance(provider, ProviderWrapper):
        if isinstance(provider, RetryingProvider):
            return provider.faults
        provider = provider.inner
    return Faults()
