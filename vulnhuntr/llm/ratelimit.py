"""Client-side pacing: requests and tokens per minute, slowing down when the server says 429.

Hosted APIs enforce per-minute limits on requests and input tokens. Pacing
below them avoids paying latency for rejected calls; when a 429 arrives anyway
(another process shares the key, the limits were set too high), the pace is
halved and recovers gradually with each success, and nothing is sent before
the server's ``retry-after`` has passed.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

from ..errors import RateLimitedError
from .base import LLMRequest, LLMResponse, Provider
from .wrapper import ProviderWrapper

MIN_FACTOR = 0.05
RECOVERY = 1.1  # pace multiplier per successful call after a slowdown


@dataclass
class _Bucket:
    """A token bucket refilled continuously at ``per_minute / 60`` units per second."""

    per_minute: float
    level: float = -1.0
    updated: float = 0.0

    def wait_for(self, amount: float, factor: float, now: float) -> float:
        """Seconds until *amount* is available (0 = now); consumes nothing."""
        rate = self.per_minute * factor / 60.0
        if self.level < 0:
            self.level, self.updated = self.per_minute, now
        self.level = min(self.per_minute, self.level + (now - self.updated) * rate)
        self.updated = now
        amount = min(amount, self.per_minute)  # one huge prompt must still be sendable
        return 0.0 if self.level >= amount else (amount - self.level) / rate

    def take(self, amount: float) -> None:
        self.level -= min(amount, self.per_minute)


class RateLimitedProvider(ProviderWrapper):
    """Paces calls to *inner* by requests and input tokens per minute (None = unlimited)."""

    def __init__(self, inner: Provider, *, requests_per_minute: float | None, tokens_per_minute: float | None):
        super().__init__(inner)
        self._requests = _Bucket(requests_per_minute) if requests_per_minute else None
        self._tokens = _Bucket(tokens_per_minute) if tokens_per_minute else None
        self.factor = 1.0
        self._resume_at = 0.0
        self._lock = asyncio.Lock()
        self.slowdowns = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        await self._admit(request.approx_input_tokens())
        try:
            response = await self.inner.complete(request)
        except RateLimitedError as exc:
            self._slow_down(exc.retry_after)
            raise
        self.factor = min(1.0, self.factor * RECOVERY)
        return response

    async def _admit(self, tokens: float) -> None:
        """Wait (in order of arrival) until the pause is over and both buckets allow the call."""
        async with self._lock:
            while True:
                now = time.monotonic()
                wait = max(self._resume_at - now, 0.0)
                if wait == 0.0:
                    wait = max(
                        self._requests.wait_for(1, self.factor, now) if self._requests else 0.0,
                        self._tokens.wait_for(tokens, self.factor, now) if self._tokens else 0.0,
                    )
                if wait <= 0.0:
                    if self._requests:
                        self._requests.take(1)
                    if self._tokens:
                        self._tokens.take(tokens)
                    return
                await asyncio.sleep(wait)

    def _slow_down(self, retry_after: float | None) -> None:
        self.slowdowns += 1
        self.factor = max(MIN_FACTOR, self.factor / 2)
        if retry_after:
            self._resume_at = max(self._resume_at, time.monotonic() + retry_after)


class AdaptiveConcurrency(ProviderWrapper):
    """Calls in flight to the server, cut in half on every 429 and grown back by one per round of successes.

    ``--workers`` is what the user allows, and the call gate enforces it (the one
    cap); the server may allow less (a local server with a few slots, a shared
    key). Without this, a call waiting out its ``retry-after`` loses its place to
    calls that have not started yet and fails after its retries; with it, the
    client settles just under the server's limit. Until the first 429 it lets
    every call through.
    """

    def __init__(self, inner: Provider) -> None:
        super().__init__(inner)
        self.limit = math.inf
        self.active = 0
        self._changed = asyncio.Condition()

    async def complete(self, request: LLMRequest) -> LLMResponse:
        async with self._changed:
            await self._changed.wait_for(lambda: self.active + 1 <= self.limit)  # the limit is at least 1
            self.active += 1
        try:
            response = await self.inner.complete(request)
        except RateLimitedError:
            self.limit = max(1.0, min(self.limit, float(self.active)) / 2)  # multiplicative decrease
            raise
        finally:
            async with self._changed:
                self.active -= 1
                self._changed.notify_all()
        self.limit += 1.0 / self.limit  # additive increase (past --workers it changes nothing: the gate caps)
        return response
