"""Pacing and the adaptive slowdown, checked on the arithmetic and the order of events, not on timings."""

from __future__ import annotations

import asyncio

import pytest

from vulnhuntr.errors import RateLimitedError
from vulnhuntr.findings import Usage
from vulnhuntr.llm import ratelimit
from vulnhuntr.llm.base import LLMRequest, LLMResponse, Message
from vulnhuntr.llm.ratelimit import RateLimitedProvider, _Bucket


def test_bucket_refills_at_its_rate() -> None:
    bucket = _Bucket(per_minute=60)  # one unit a second
    assert bucket.wait_for(60, 1.0, now=0.0) == 0.0
    bucket.take(60)
    assert bucket.wait_for(1, 1.0, now=0.0) == pytest.approx(1.0)
    assert bucket.wait_for(1, 0.5, now=0.0) == pytest.approx(2.0)  # slowed down: half the rate
    assert bucket.wait_for(1, 1.0, now=1.0) == 0.0
    assert bucket.wait_for(10_000, 1.0, now=100.0) == 0.0  # larger than the bucket: capped, still sendable


class Scripted:
    name, model = "mock", "m"

    def __init__(self, outcomes: list[Exception | None]) -> None:
        self.outcomes = outcomes

    async def complete(self, request: LLMRequest) -> LLMResponse:
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return LLMResponse("{}", Usage(calls=1))

    async def aclose(self) -> None:
        return None


def test_429_halves_the_pace_and_waits_for_retry_after(monkeypatch) -> None:
    clock = [0.0]
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(ratelimit.asyncio, "sleep", fake_sleep)
    provider = RateLimitedProvider(
        Scripted([RateLimitedError("429", retry_after=5.0), None, None]), requests_per_minute=600, tokens_per_minute=None
    )
    request = LLMRequest("s", (Message("user", "u"),))

    async def run() -> None:
        with pytest.raises(RateLimitedError):
            await provider.complete(request)
        assert provider.factor == 0.5 and provider.slowdowns == 1
        await provider.complete(request)  # must wait out retry-after first
        await provider.complete(request)

    asyncio.run(run())
    assert sleeps and sleeps[0] == pytest.approx(5.0)
    assert provider.factor == pytest.approx(0.5 * 1.1 * 1.1)


def test_requests_per_minute_spaces_calls(monkeypatch) -> None:
    clock = [0.0]

    async def fake_sleep(seconds: float) -> None:
        clock[0] += seconds

    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(ratelimit.asyncio, "sleep", fake_sleep)
    provider = RateLimitedProvider(Scripted([None] * 5), requests_per_minute=2, tokens_per_minute=None)

    async def run() -> None:
        for _ in range(5):
            await provider.complete(LLMRequest("s", (Message("user", "u"),)))

    asyncio.run(run())
    assert clock[0] == pytest.approx(90.0)  # 2 at once, then one every 30 s
