"""CachingProvider: keys, hits, refresh, pass-through, and a real re-run against the fake server."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from vulnhuntr.errors import TransientProviderError
from vulnhuntr.findings import Usage
from vulnhuntr.llm.base import LLMRequest, LLMResponse, Message
from vulnhuntr.llm.cache import CachingProvider, endpoint_of, request_key
from vulnhuntr.llm.openai_chat import OpenAIProvider
from vulnhuntr.llm.pricing import price_for
from vulnhuntr.llm.retry import RetryingProvider
from vulnhuntr.store import Store
from fakes import FakeLLM

SCHEMA = {"type": "object", "properties": {"vulnerable": {"type": "boolean"}, "kind": {"type": "string"}},
          "required": ["vulnerable", "kind"]}
REQUEST = LLMRequest(
    system="You are a security reviewer.",
    messages=(Message("user", "def view(q): cursor.execute(q)"),),
    schema=SCHEMA,
    schema_name="analysis",
    max_tokens=1000,
    temperature=0.0,
)


class StubProvider:
    """Counts calls; answers 'answer N' (or raises) so a served-from-cache answer is recognisable."""

    name = "openai"

    def __init__(self, model: str = "gpt-4o", where: str = "https://api.openai.com/v1", fail: bool = False):
        self.model = model
        self.endpoint = where
        self.fail = fail
        self.calls = 0
        self.closed = False

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        number = self.calls
        await asyncio.sleep(0)  # let concurrent calls interleave
        if self.fail:
            raise TransientProviderError("boom")
        return LLMResponse(f"answer {number}", Usage(1, 1000, 200, 100), model="gpt-4o-x")

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path)
    yield opened
    opened.close()


def ask(provider: CachingProvider, request: LLMRequest = REQUEST) -> LLMResponse:
    return asyncio.run(provider.complete(request))


# --------------------------------------------------------------------------- hits and misses


def test_a_hit_returns_the_same_text_with_zero_usage(store: Store) -> None:
    inner = StubProvider()
    first = CachingProvider(inner, store)
    fresh = ask(first)
    assert fresh.usage == Usage(1, 1000, 200, 100) and (first.hits, first.misses) == (0, 1)
    second = CachingProvider(inner, store)  # a re-run: new provider, same store
    cached = ask(second)
    assert inner.calls == 1
    assert cached.text == fresh.text and cached.model == fresh.model and cached.truncated is False
    assert cached.usage == Usage() and cached.usage.calls == 0
    assert (second.hits, second.misses) == (1, 0) and second.saved == Usage(1, 1000, 200, 100)


def test_run_stats_price_the_saved_usage(store: Store) -> None:
    inner = StubProvider()
    ask(CachingProvider(inner, store))
    provider = CachingProvider(inner, store)
    ask(provider)
    stats = provider.run_stats(123.0, price_for("openai", "gpt-4o"))
    assert (stats.started_at, stats.hits, stats.misses, stats.saved) == (123.0, 1, 0, Usage(1, 1000, 200, 100))
    assert stats.saved_usd == pytest.approx((900 * 2.5 + 100 * 1.25 + 200 * 10.0) / 1e6)
    assert provider.run_stats(0.0, None).saved_usd is None
    store.record_run(stats)
    assert store.stats().last_run == stats


def test_refresh_always_asks_and_overwrites(store: Store) -> None:
    inner = StubProvider()
    ask(CachingProvider(inner, store))
    refreshing = CachingProvider(inner, store, refresh=True)
    assert ask(refreshing).text == "answer 2" and ask(refreshing).text == "answer 3"
    assert (refreshing.hits, refreshing.misses) == (0, 2)
    assert ask(CachingProvider(inner, store)).text == "answer 3" and inner.calls == 3


@pytest.mark.parametrize("options", [{"enabled": False}, {"store": None}])
def test_disabled_caching_passes_through(store: Store, options: dict[str, Any]) -> None:
    inner = StubProvider()
    arguments = {"store": store, **options}
    provider = CachingProvider(inner, arguments.pop("store"), **arguments)
    assert [ask(provider).text for _ in range(2)] == ["answer 1", "answer 2"]
    assert not provider.enabled and (provider.hits, provider.misses) == (0, 0)
    assert store.stats().entries["answers"] == 0


def test_failures_propagate_and_store_nothing(store: Store) -> None:
    provider = CachingProvider(StubProvider(fail=True), store)
    with pytest.raises(TransientProviderError):
        ask(provider)
    assert store.stats().entries["answers"] == 0 and provider.hits == 0


def test_expired_answers_are_asked_again(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from vulnhuntr import store as store_module

    now = [1_000_000.0]
    monkeypatch.setattr(store_module, "_now", lambda: now[0])
    inner = StubProvider()
    ask(CachingProvider(inner, store, ttl_days=1))
    now[0] += 2 * 86400
    assert ask(CachingProvider(inner, store, ttl_days=1)).text == "answer 2"
    assert ask(CachingProvider(inner, store, ttl_days=0)).text == "answer 2" and inner.calls == 2


def test_a_broken_store_never_breaks_the_scan(tmp_path: Path) -> None:
    (tmp_path / "store.sqlite3").write_bytes(b"garbage" * 100)
    broken = Store.open(tmp_path)
    inner = StubProvider()
    provider = CachingProvider(inner, broken)
    assert [ask(provider).text for _ in range(2)] == ["answer 1", "answer 2"]
    assert provider.hits == 0


def test_concurrent_requests_in_one_loop(store: Store) -> None:
    inner = StubProvider()
    provider = CachingProvider(inner, store)
    requests = [dataclasses.replace(REQUEST, system=f"system {n % 10}") for n in range(40)]

    async def run_all() -> list[LLMResponse]:
        await asyncio.gather(*(provider.complete(r) for r in requests[:10]))
        return await asyncio.gather(*(provider.complete(r) for r in requests))

    answers = asyncio.run(run_all())
    assert inner.calls == 10 and provider.hits == 40 and provider.misses == 10
    assert len({a.text for a in answers}) == 10


def test_aclose_closes_the_inner_provider_only(store: Store) -> None:
    inner = StubProvider()
    asyncio.run(CachingProvider(inner, store).aclose())
    assert inner.closed and store.enabled


# --------------------------------------------------------------------------- keys


def key(request: LLMRequest = REQUEST, provider: str = "openai", model: str = "gpt-4o",
        where: str = "https://api.openai.com/v1") -> str:
    return request_key(provider, model, where, request)


CHANGES = {
    "system": dataclasses.replace(REQUEST, system="Another system prompt."),
    "message content": dataclasses.replace(REQUEST, messages=(Message("user", "def view(q): os.system(q)"),)),
    "message role": dataclasses.replace(REQUEST, messages=(Message("assistant", REQUEST.messages[0].content),)),
    "extra message": dataclasses.replace(REQUEST, messages=REQUEST.messages + (Message("user", "more"),)),
    "schema": dataclasses.replace(REQUEST, schema={**SCHEMA, "required": ["vulnerable"]}),
    "no schema": dataclasses.replace(REQUEST, schema=None),
    "schema name": dataclasses.replace(REQUEST, schema_name="readme"),
    "temperature": dataclasses.replace(REQUEST, temperature=0.5),
    "max tokens": dataclasses.replace(REQUEST, max_tokens=2000),
}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_the_key_changes_with_every_request_field(field: str) -> None:
    assert key(CHANGES[field]) != key()


def test_the_key_changes_with_provider_model_and_endpoint() -> None:
    assert len({key(), key(provider="claude"), key(model="gpt-5"), key(where="http://localhost:8000/v1"),
                key(where="http://localhost:8001/v1")}) == 5


def test_the_key_ignores_what_does_not_change_the_answer() -> None:
    reordered = dataclasses.replace(REQUEST, schema=dict(reversed(list(SCHEMA.items()))),
                                    messages=tuple(Message(m.role, m.content) for m in REQUEST.messages),
                                    temperature=0)
    assert key(reordered) == key()
    assert key(where="HTTPS://user:secret@API.openai.com/v1/?token=x#f") == key()
    assert endpoint_of("localhost:11434") == endpoint_of("http://localhost:11434/") == "http://localhost:11434"


def test_the_endpoint_is_found_through_wrappers() -> None:
    inner = StubProvider(where="http://gpu-box:8000/v1")
    wrapped = CachingProvider(RetryingProvider(inner), None)
    assert wrapped.endpoint == "http://gpu-box:8000/v1"
    assert wrapped.key(REQUEST) == CachingProvider(inner, None).key(REQUEST)


# --------------------------------------------------------------------------- real provider, real fake server

SECRET = "sk-canary-0123456789abcdef-never-stored"


def test_a_rerun_through_the_real_provider_makes_no_server_calls(tmp_path: Path) -> None:
    async def scan_once(fake: FakeLLM) -> tuple[LLMResponse, CachingProvider]:
        store = Store.open(tmp_path / "cache")
        environ = {"OPENAI_API_KEY": SECRET}
        inner = OpenAIProvider("fake-model", base_url=fake.openai_base_url, timeout=5, environ=environ)
        provider = CachingProvider(RetryingProvider(inner, attempts=1), store)
        try:
            return await provider.complete(REQUEST), provider
        finally:
            await provider.aclose()
            store.close()

    with FakeLLM() as fake:
        base_url = fake.openai_base_url
        fake.on(contains="cursor.execute").reply_json({"vulnerable": True, "kind": "SQLI"})
        first, cold = asyncio.run(scan_once(fake))
        calls = len(fake.requests)
        second, warm = asyncio.run(scan_once(fake))
        assert len(fake.requests) == calls == 1
        assert fake.requests[0].headers.get("authorization") == f"Bearer {SECRET}"  # the key was really in use
    assert second.text == first.text and '"SQLI"' in first.text
    assert first.usage.calls == 1 and second.usage == Usage()
    assert (cold.misses, warm.hits) == (1, 1) and warm.saved.input_tokens == first.usage.input_tokens > 0
    for path in (tmp_path / "cache").iterdir():
        content = path.read_bytes()
        assert SECRET.encode() not in content and b"Bearer" not in content
        assert base_url.encode() not in content
