"""The wrapper base (name, model, endpoint, close forwarded), the hosted-or-not decision and the one cap."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from vulnhuntr.config import Settings
from vulnhuntr.errors import RateLimitedError, TransientProviderError
from vulnhuntr.findings import Usage
from vulnhuntr.llm.base import LLMRequest, LLMResponse, Message
from vulnhuntr.llm.cache import CachingProvider
from vulnhuntr.llm.endpoints import is_hosted
from vulnhuntr.llm.ratelimit import AdaptiveConcurrency, RateLimitedProvider
from vulnhuntr.llm.registry import create_provider
from vulnhuntr.llm.retry import RetryingProvider, faults_of
from vulnhuntr.llm.wrapper import ProviderWrapper

REQUEST = LLMRequest("s", (Message("user", "u"),))


class Stub:
    name, model, endpoint = "openai", "gpt-x", "http://gpu-box:8000/v1"

    def __init__(self, outcomes: list[Exception | None] | None = None, hold: asyncio.Event | None = None) -> None:
        self.outcomes = outcomes or []
        self.hold = hold
        self.closed = 0
        self.active = 0
        self.most_active = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            if self.hold is not None:
                await self.hold.wait()
            outcome = self.outcomes.pop(0) if self.outcomes else None
            if outcome is not None:
                raise outcome
            return LLMResponse("{}", Usage(calls=1))
        finally:
            self.active -= 1

    async def aclose(self) -> None:
        self.closed += 1


def test_every_wrapper_is_the_provider_it_wraps_to_those_above() -> None:
    inner = Stub()
    stack = CachingProvider(
        RetryingProvider(AdaptiveConcurrency(RateLimitedProvider(inner, requests_per_minute=60, tokens_per_minute=None))),
        None,
    )
    layer: object = stack
    while isinstance(layer, ProviderWrapper):
        assert (layer.name, layer.model, layer.endpoint) == ("openai", "gpt-x", "http://gpu-box:8000/v1")
        layer = layer.inner
    assert layer is inner
    asyncio.run(stack.aclose())
    assert inner.closed == 1


def test_faults_are_found_through_the_wrappers_above_the_retry_layer() -> None:
    retrying = RetryingProvider(Stub([TransientProviderError("503")]), base_delay=0.0)
    stack = CachingProvider(retrying, None)
    assert asyncio.run(stack.complete(REQUEST)).text == "{}"
    assert faults_of(stack).server_errors == 1 and faults_of(stack).retries == 1
    assert faults_of(CachingProvider(Stub(), None)).retries == 0  # no retry layer: zeros
    assert faults_of(Stub()).retries == 0


@pytest.mark.parametrize(
    ("endpoint", "hosted"),
    [
        ("https://api.openai.com/v1", True),
        ("https://api.anthropic.com", True),
        ("HTTPS://API.Anthropic.com/", True),
        ("http://localhost:11434", False),
        ("http://localhost:8000/v1", False),
        ("https://openrouter.ai/api/v1", False),
        ("https://proxy.example/api.openai.com", False),  # the path names it; the host does not
        ("https://notanthropic.com", False),
        ("", False),
    ],
)
def test_hosted_is_decided_by_the_host(endpoint: str, hosted: bool) -> None:
    assert is_hosted(endpoint) is hosted


def _stack(llm: str, tmp_path: Path, base_url: str | None) -> list[type]:
    providers = {"openai": {"base_url": base_url}, "claude": {"base_url": base_url}} if base_url else {}
    settings = Settings(root=tmp_path, llm=llm, providers=providers)
    environ = {"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"}
    layer: object = create_provider(settings, environ)
    kinds = []
    while isinstance(layer, ProviderWrapper):
        kinds.append(type(layer))
        layer = layer.inner
    asyncio.run(layer.aclose())  # type: ignore[attr-defined]  # the innermost: a real provider
    return kinds


def test_only_a_hosted_api_is_paced(tmp_path: Path) -> None:
    assert RateLimitedProvider in _stack("gpt", tmp_path, None)
    assert RateLimitedProvider in _stack("claude", tmp_path, None)
    assert RateLimitedProvider in _stack("gpt", tmp_path, "https://api.openai.com/v1")
    assert RateLimitedProvider not in _stack("gpt", tmp_path, "http://localhost:8000/v1")
    assert RateLimitedProvider not in _stack("ollama", tmp_path, None)
    assert _stack("ollama", tmp_path, None) == [RetryingProvider, AdaptiveConcurrency]


def test_adaptive_concurrency_caps_nothing_until_a_429_then_halves() -> None:
    async def run() -> tuple[float, int, int]:
        inner = Stub(hold=asyncio.Event())
        adaptive = AdaptiveConcurrency(inner)
        calls = [asyncio.create_task(adaptive.complete(REQUEST)) for _ in range(12)]
        for _ in range(50):
            await asyncio.sleep(0)
        assert inner.active == 12  # every call reaches the server: the call gate is the one cap
        inner.outcomes = [RateLimitedError("429")] + [None] * 11
        inner.hold.set()
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert sum(isinstance(r, RateLimitedError) for r in results) == 1
        limit = adaptive.limit  # twelve in flight at the 429: six, then grown by eleven successes
        inner.hold = asyncio.Event()
        calls = [asyncio.create_task(adaptive.complete(REQUEST)) for _ in range(12)]
        for _ in range(50):
            await asyncio.sleep(0)
        admitted = inner.active
        inner.hold.set()
        await asyncio.gather(*calls)
        return limit, admitted, adaptive.active

    limit, admitted, active = asyncio.run(run())
    assert 6.0 < limit < 8.0
    assert admitted == int(limit) and active == 0
