"""OpenAI Chat Completions: ``POST /v1/chat/completions`` (non-streaming), ``GET /v1/models``.

The client's ``base_url`` is ``fake.openai_base_url`` (``fake.base_url + "/v1"``).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Sequence

from vulnhuntr.llm.base import approx_tokens

from .script import FakeRequest, Reply
from .wire import messages_text, output_text, text_of


_OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}


def _openai_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The ``json_schema`` response_format's schema, if one was sent."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") != "json_schema":
        return None
    return (response_format.get("json_schema") or {}).get("schema")


def parse_openai(body: dict[str, Any], headers: dict[str, str]) -> FakeRequest:
    """Record a Chat Completions call."""
    messages = body.get("messages") or []
    system_roles = {"system", "developer"}
    system = "\n".join(text_of(m.get("content")) for m in messages if m.get("role") in system_roles)
    return FakeRequest(
        protocol="openai",
        model=str(body.get("model", "")),
        system=system,
        prompt=messages_text(messages, skip_roles=system_roles),
        schema=_openai_schema(body),
        body=body,
        headers=headers,
    )


def uses_json_schema(request: FakeRequest) -> bool:
    """Whether a Chat Completions call asked for ``response_format: json_schema``."""
    return (request.body.get("response_format") or {}).get("type") == "json_schema"


OPENAI_CACHE_MIN, OPENAI_CACHE_STEP = 1024, 128  # tokens: automatic prefix caching starts at 1,024, in steps of 128


def openai_cached(request: FakeRequest, cache: set[str] | None) -> int:
    """Tokens of the longest prompt prefix seen before (OpenAI's automatic prefix caching), in steps of 128."""
    if cache is None:
        return 0
    text = "\0".join(text_of(m.get("content")) for m in request.body.get("messages") or [])
    step = OPENAI_CACHE_STEP * 4  # characters (approx_tokens counts four to a token)
    digest = hashlib.sha256(b"openai\0" + request.model.encode())
    cached = 0
    for end in range(step, len(text) + 1, step):
        digest.update(text[end - step:end].encode())
        key = digest.copy().hexdigest()
        if key in cache and end // 4 >= OPENAI_CACHE_MIN:
            cached = end // 4
        cache.add(key)
    return cached


def openai_answer(request: FakeRequest, reply: Reply, serial: int, cache: set[str] | None = None) -> dict[str, Any]:
    """A Chat Completions response body (with *cache*, usage reports automatically cached prefix tokens)."""
    text = output_text(reply)
    prompt_tokens = approx_tokens(request.system) + approx_tokens(request.prompt)
    cached = openai_cached(request, cache)
    completion_tokens = approx_tokens(text)
    message = {"role": "assistant", "content": text, "refusal": None}
    choice = {"index": 0, "message": message, "logprobs": None,
              "finish_reason": "length" if reply.truncated else "stop"}
    return {
        "id": f"chatcmpl-fake-{serial}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "choices": [choice],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }


def openai_error(status: int, message: str) -> dict[str, Any]:
    """An OpenAI-style error body."""
    kind = _OPENAI_ERROR_TYPES.get(status, "server_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def openai_models(models: Sequence[str]) -> dict[str, Any]:
    """The OpenAI flavour of ``GET /v1/models``."""
    data = [{"id": name, "object": "model", "created": 0, "owned_by": "fake-llm"} for name in models]
    return {"object": "list", "data": data}
