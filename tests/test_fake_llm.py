"""The fake LLM server speaks each protocol well enough for the real SDKs.

Every test drives the unmodified anthropic / openai / ollama client against
:class:`FakeLLM`, so a protocol mistake in the fake shows up here rather than
as a confusing failure in the tests that rely on it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import ollama
import openai
import pytest

from fakes import FakeLLM, Reply
from fakes import simulated_seconds

FINDING = {"vulnerable": True, "kind": "SQLI", "lines": [3, 4]}
SCHEMA = {
    "type": "object",
    "properties": {"vulnerable": {"type": "boolean"}, "kind": {"type": "string"},
                   "lines": {"type": "array", "items": {"type": "integer"}}},
    "required": ["vulnerable", "kind", "lines"],
}
SYSTEM = "You are a security reviewer. " * 20
CODE = "def view(request):\n    cursor.execute('SELECT ' + request.args['q'])"


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# --------------------------------------------------------------------------- clients


def claude(fake: FakeLLM, **options: Any) -> Any:
    return anthropic.AsyncAnthropic(api_key="test", base_url=fake.base_url, max_retries=0, **options)


def gpt(fake: FakeLLM, **options: Any) -> Any:
    return openai.AsyncOpenAI(api_key="test", base_url=fake.openai_base_url, max_retries=0, **options)


async def ask_claude(client: Any, prompt: str = CODE, **extra: Any) -> Any:
    return await client.messages.create(
        model="claude-test",
        system=[{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": prompt}],
        tools=[{"name": "report", "description": "Report the analysis.", "input_schema": SCHEMA}],
        tool_choice={"type": "tool", "name": "report"},
        max_tokens=1000,
        **extra,
    )


async def ask_gpt(client: Any, response_format: Any = None) -> Any:
    extra = {"response_format": response_format} if response_format else {}
    return await client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": CODE}],
        **extra,
    )


JSON_SCHEMA_FORMAT = {"type": "json_schema", "json_schema": {"name": "r", "schema": SCHEMA, "strict": True}}


# --------------------------------------------------------------------------- anthropic


def test_anthropic_forced_tool_returns_scripted_input_and_usage(fake: FakeLLM) -> None:
    fake.on(contains="cursor.execute").reply_json(FINDING)

    async def go() -> tuple[Any, Any]:
        client = claude(fake)
        return await ask_claude(client), await ask_claude(client)

    first, second = run(go())
    block = first.content[0]
    assert (block.type, block.name, block.input) == ("tool_use", "report", FINDING)
    assert first.stop_reason == "tool_use"
    assert first.usage.input_tokens > 0 and first.usage.output_tokens > 0
    assert first.usage.cache_creation_input_tokens > 0 and first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens > 0 and second.usage.cache_creation_input_tokens == 0


def test_anthropic_raw_text_that_is_not_an_object_comes_back_as_text(fake: FakeLLM) -> None:
    fake.on(protocol="anthropic").reply_text("```json\n{oops")
    message = run(ask_claude(claude(fake)))
    assert message.content[0].type == "text"
    assert message.content[0].text == "```json\n{oops"
    assert message.stop_reason == "end_turn"


def test_anthropic_truncated_reply_stops_on_max_tokens(fake: FakeLLM) -> None:
    fake.on().reply(Reply(content=FINDING, truncated=True))
    message = run(ask_claude(claude(fake)))
    assert message.stop_reason == "max_tokens"
    assert message.content[0].input == {"vulnerable": True}


def test_anthropic_sends_auth_header_and_history_records_call(fake: FakeLLM) -> None:
    fake.on().reply_json(FINDING)
    run(ask_claude(claude(fake)))
    (request,) = fake.requests
    assert request.protocol == "anthropic" and request.model == "claude-test"
    assert request.system == SYSTEM and CODE in request.prompt and request.schema == SCHEMA
    assert request.headers["authorization"] == "Bearer test"
    assert "anthropic-version" in request.headers
    assert request.ended is not None and request.ended >= request.started


def test_anthropic_rate_limit_then_success_with_one_shot_rule(fake: FakeLLM) -> None:
    fake.on(times=1).reply_error(429, "slow down", headers={"retry-after": "1"})
    fake.on().reply_json(FINDING)
    client = claude(fake)
    with pytest.raises(anthropic.RateLimitError) as caught:
        run(ask_claude(client))
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.body["error"]["type"] == "rate_limit_error"
    assert run(ask_claude(client)).content[0].input == FINDING


def test_unscripted_prompt_is_a_loud_500(fake: FakeLLM) -> None:
    with pytest.raises(anthropic.InternalServerError, match="no scripted answer"):
        run(ask_claude(claude(fake)))


def test_anthropic_timeout(fake: FakeLLM) -> None:
    fake.on().reply(Reply(content=FINDING, delay=5))
    with pytest.raises(anthropic.APITimeoutError):
        run(ask_claude(claude(fake, timeout=0.2)))


# --------------------------------------------------------------------------- openai


def test_openai_json_schema_and_usage(fake: FakeLLM) -> None:
    fake.on(system_contains="security reviewer").reply_json(FINDING)
    completion = run(ask_gpt(gpt(fake), JSON_SCHEMA_FORMAT))
    choice = completion.choices[0]
    assert json.loads(choice.message.content) == FINDING
    assert choice.finish_reason == "stop"
    usage = completion.usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens > 0
    assert usage.prompt_tokens_details.cached_tokens == 0
    (request,) = fake.requests
    assert request.schema == SCHEMA and request.system == SYSTEM and request.prompt == CODE
    assert request.headers["authorization"] == "Bearer test"


def test_openai_json_object_and_plain_text(fake: FakeLLM) -> None:
    fake.on(times=1).reply_json(FINDING)
    fake.on().reply_text("<think>hmm</think>{}")
    client = gpt(fake)
    assert json.loads(run(ask_gpt(client, {"type": "json_object"})).choices[0].message.content) == FINDING
    assert run(ask_gpt(client)).choices[0].message.content == "<think>hmm</think>{}"
    assert [request.schema for request in fake.requests] == [None, None]


def test_openai_server_can_reject_json_schema() -> None:
    with FakeLLM(reject_json_schema=True) as fake:
        fake.on().reply_json(FINDING)
        client = gpt(fake)
        with pytest.raises(openai.BadRequestError, match="json_schema"):
            run(ask_gpt(client, JSON_SCHEMA_FORMAT))
        assert json.loads(run(ask_gpt(client, {"type": "json_object"})).choices[0].message.content) == FINDING


def test_openai_truncated_reply_has_length_finish_reason(fake: FakeLLM) -> None:
    fake.on().reply(Reply(content="x" * 10, truncated=True))
    choice = run(ask_gpt(gpt(fake))).choices[0]
    assert (choice.finish_reason, choice.message.content) == ("length", "x" * 5)


def test_openai_errors_and_timeout(fake: FakeLLM) -> None:
    fake.on(times=1).reply_error(429, headers={"retry-after": "1"})
    fake.on(times=1).reply_error(500)
    fake.on().reply(Reply(content=FINDING, delay=5))
    client = gpt(fake)
    with pytest.raises(openai.RateLimitError) as caught:
        run(ask_gpt(client))
    assert caught.value.response.headers["retry-after"] == "1"
    with pytest.raises(openai.InternalServerError):
        run(ask_gpt(client))
    with pytest.raises(openai.APITimeoutError):
        run(ask_gpt(gpt(fake, timeout=0.2)))


def test_openai_lists_models(fake: FakeLLM) -> None:
    async def go() -> list[str]:
        return [model.id async for model in gpt(fake).models.list()]

    assert run(go()) == ["fake-model"]


# --------------------------------------------------------------------------- ollama


def ollama_messages() -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": CODE}]


def test_ollama_chat_with_format_schema(fake: FakeLLM) -> None:
    fake.on(protocol="ollama").reply_json(FINDING)
    client = ollama.AsyncClient(host=fake.base_url)
    response = run(client.chat(model="qwen-test", messages=ollama_messages(), format=SCHEMA, stream=False))
    assert json.loads(response.message.content) == FINDING
    assert response.done and response.done_reason == "stop"
    assert response.prompt_eval_count > 0 and response.eval_count > 0
    (request,) = fake.requests
    assert (request.system, request.prompt, request.schema) == (SYSTEM, CODE, SCHEMA)


def test_ollama_streaming_and_reachability(fake: FakeLLM) -> None:
    fake.on().reply_json(FINDING)
    client = ollama.AsyncClient(host=fake.base_url)

    async def go() -> tuple[str, Any, Any]:
        chunks = [chunk async for chunk in await client.chat(model="m", messages=ollama_messages(), stream=True)]
        assert chunks[-1].done
        return "".join(chunk.message.content for chunk in chunks), await client.list(), await client.ps()

    text, tags, _ = run(go())
    assert json.loads(text) == FINDING
    assert [model.model for model in tags.models] == ["fake-model"]
    assert httpx.get(f"{fake.base_url}/api/version").json()["version"]


def test_ollama_errors_truncation_and_timeout(fake: FakeLLM) -> None:
    fake.on(times=1).reply_error(500, "model crashed")
    fake.on(times=1).reply(Reply(content="abcdef", truncated=True))
    fake.on().reply(Reply(content=FINDING, delay=5))
    client = ollama.AsyncClient(host=fake.base_url)
    with pytest.raises(ollama.ResponseError, match="model crashed") as caught:
        run(client.chat(model="m", messages=ollama_messages(), stream=False))
    assert caught.value.status_code == 500
    response = run(client.chat(model="m", messages=ollama_messages(), stream=False))
    assert (response.message.content, response.done_reason) == ("abc", "length")
    with pytest.raises(httpx.TimeoutException):
        run(ollama.AsyncClient(host=fake.base_url, timeout=0.2).chat(model="m", messages=ollama_messages()))


# --------------------------------------------------------------------------- concurrency and lifecycle


def test_concurrent_calls_are_served_concurrently(fake: FakeLLM) -> None:
    fake.on().reply(Reply(content=FINDING, delay=0.2))
    client = claude(fake)

    async def together() -> None:
        await asyncio.gather(*(ask_claude(client) for _ in range(3)))

    run(together())
    assert fake.max_concurrency == 3
    first, second, third = fake.requests
    assert first.overlaps(second) and second.overlaps(third)


def test_sequential_calls_never_overlap(fake: FakeLLM) -> None:
    fake.on().reply(Reply(content=FINDING, delay=0.05))
    client = claude(fake)

    async def one_by_one() -> None:
        for _ in range(3):
            await ask_claude(client)

    run(one_by_one())
    assert fake.max_concurrency == 1
    first, second, _ = fake.requests
    assert not first.overlaps(second)


def test_responder_is_used_when_no_rule_matches(fake: FakeLLM) -> None:
    fake.responder = lambda request: Reply(content={"echo": request.model})
    fake.on(contains="never sent").reply_json(FINDING)
    assert run(ask_claude(claude(fake))).content[0].input == {"echo": "claude-test"}


def test_stop_drops_in_flight_calls_quietly_and_leaves_no_thread(capfd: pytest.CaptureFixture[str]) -> None:
    before = set(threading.enumerate())
    fake = FakeLLM().start()
    fake.on().reply(Reply(content=FINDING, delay=30))

    async def go() -> None:
        call = asyncio.ensure_future(ask_claude(claude(fake)))
        while fake.in_flight == 0:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(fake.stop)
        with pytest.raises(anthropic.APIConnectionError):
            await call

    run(go())
    assert set(threading.enumerate()) - before == set()
    assert capfd.readouterr().err == ""


# --------------------------------------------------------------------------- latency model and concurrency limit


def test_latency_model_charges_base_input_and_output_tokens() -> None:
    with FakeLLM(latency=0.01, latency_per_input_token=1e-5, latency_per_output_token=1e-4) as fake:
        fake.on(times=1).reply(Reply(content=FINDING, delay=0.02))
        fake.on().reply_json(FINDING)
        client = gpt(fake)
        completions = [run(ask_gpt(client)), run(ask_gpt(client))]
        delayed, plain = fake.requests
    for request, completion in zip((delayed, plain), completions):
        assert request.input_tokens == completion.usage.prompt_tokens > 0
        assert request.output_tokens == completion.usage.completion_tokens > 0
    expected = 0.01 + plain.input_tokens * 1e-5 + plain.output_tokens * 1e-4
    assert simulated_seconds(plain) == pytest.approx(expected)
    assert simulated_seconds(delayed) == pytest.approx(expected + 0.02)  # a scripted delay adds up
    assert fake.total_simulated_seconds() == pytest.approx(2 * expected + 0.02)


def test_latency_model_is_off_by_default(fake: FakeLLM) -> None:
    fake.on().reply_json(FINDING)
    run(ask_claude(claude(fake)))
    (request,) = fake.requests
    assert simulated_seconds(request) == 0.0 and request.input_tokens > 0
    assert fake.rejected_429 == 0


def test_error_and_truncated_replies_are_charged_for_what_they_output(fake: FakeLLM) -> None:
    fake.latency_per_output_token = 1.0e-6
    fake.on(times=1).reply_error(500)
    fake.on().reply(Reply(content="x" * 40, truncated=True))
    client = gpt(fake)
    with pytest.raises(openai.InternalServerError):
        run(ask_gpt(client))
    run(ask_gpt(client))
    failed, cut = fake.requests
    assert failed.output_tokens == 0
    assert cut.output_tokens == 5  # 20 characters survive the cut


async def _call(protocol: str, fake: FakeLLM) -> Any:
    if protocol == "anthropic":
        return await ask_claude(claude(fake))
    if protocol == "openai":
        return await ask_gpt(gpt(fake))
    return await ollama.AsyncClient(host=fake.base_url).chat(model="m", messages=ollama_messages(), stream=False)


def _status_and_headers(error: BaseException) -> tuple[int, Any]:
    if isinstance(error, ollama.ResponseError):
        return error.status_code, None  # the ollama client drops the response headers
    assert isinstance(error, (anthropic.APIStatusError, openai.APIStatusError)), error
    return error.status_code, error.response.headers


@pytest.mark.parametrize("protocol", ["anthropic", "openai", "ollama"])
def test_calls_beyond_the_concurrency_limit_get_an_immediate_429(protocol: str) -> None:
    release = threading.Event()

    def held(request: Any) -> Reply:
        release.wait(10)  # keeps the admitted calls in flight until the rejections are in
        return Reply(content=FINDING)

    async def five_at_once(fake: FakeLLM) -> list[Any]:
        calls = [asyncio.ensure_future(_call(protocol, fake)) for _ in range(5)]
        while fake.rejected_429 < 3:
            await asyncio.sleep(0.01)
        release.set()
        return await asyncio.gather(*calls, return_exceptions=True)

    with FakeLLM(held, concurrency_limit=2) as fake:
        try:
            outcomes = run(five_at_once(fake))
        finally:
            release.set()
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(errors) == 3 and fake.rejected_429 == 3
        assert len(fake.requests) == 2 and fake.max_concurrency == 2
        for error in errors:
            status, headers = _status_and_headers(error)
            assert status == 429 and (headers is None or headers["retry-after"] == "0.5")
        run(_call(protocol, fake))  # places free up again once calls end
        assert len(fake.requests) == 3 and fake.rejected_429 == 3


def test_429_body_follows_the_protocol_and_retry_after_is_configurable() -> None:
    with FakeLLM(concurrency_limit=0, retry_after="2") as fake:
        with pytest.raises(anthropic.RateLimitError) as claude_error:
            run(ask_claude(claude(fake)))
        with pytest.raises(openai.RateLimitError) as gpt_error:
            run(ask_gpt(gpt(fake)))
        assert fake.rejected_429 == 2 and fake.requests == [] and fake.max_concurrency == 0
    assert claude_error.value.body["error"]["type"] == "rate_limit_error"
    assert claude_error.value.response.headers["retry-after"] == "2"
    assert gpt_error.value.type == "rate_limit_exceeded"
    assert gpt_error.value.response.headers["retry-after"] == "2"
    fake.clear()
    assert fake.rejected_429 == 0
