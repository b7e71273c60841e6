"""Ollama: ``POST /api/chat`` (``stream`` false, or true for an NDJSON answer of one content
chunk plus a final chunk), ``GET /api/tags``, ``GET /api/version``.

The client's ``host`` is ``fake.base_url``.
"""

from __future__ import annotations

import hashlib
from typing import Any, Sequence

from vulnhuntr.llm.base import approx_tokens

from .script import FakeRequest, Reply
from .wire import messages_text, now_iso, output_text, text_of



def parse_ollama(body: dict[str, Any], headers: dict[str, str]) -> FakeRequest:
    """Record an Ollama ``/api/chat`` call."""
    messages = body.get("messages") or []
    system = "\n".join(text_of(m.get("content")) for m in messages if m.get("role") == "system")
    schema = body.get("format")
    return FakeRequest(
        protocol="ollama",
        model=str(body.get("model", "")),
        system=system,
        prompt=messages_text(messages, skip_roles={"system"}),
        schema=schema if isinstance(schema, dict) else None,
        body=body,
        headers=headers,
    )


def ollama_wants_stream(request: FakeRequest) -> bool:
    """Ollama streams unless told otherwise."""
    return request.body.get("stream", True) is not False


def ollama_answer(request: FakeRequest, reply: Reply) -> list[dict[str, Any]]:
    """The chunks of an ``/api/chat`` answer: one when not streaming, two when streaming."""
    text = output_text(reply)
    final = {
        "model": request.model,
        "created_at": now_iso(),
        "message": {"role": "assistant", "content": text},
        "done": True,
        "done_reason": "length" if reply.truncated else "stop",
        "total_duration": 1_000_000,
        "load_duration": 0,
        "prompt_eval_count": approx_tokens(request.system) + approx_tokens(request.prompt),
        "prompt_eval_duration": 500_000,
        "eval_count": approx_tokens(text),
        "eval_duration": 500_000,
    }
    if not ollama_wants_stream(request):
        return [final]
    chunk = {"model": request.model, "created_at": final["created_at"],
             "message": {"role": "assistant", "content": text}, "done": False}
    final["message"] = {"role": "assistant", "content": ""}
    return [chunk, final]


def ollama_error(status: int, message: str) -> dict[str, Any]:
    """An Ollama-style error body."""
    return {"error": message}


def ollama_tags(models: Sequence[str]) -> dict[str, Any]:
    """``GET /api/tags``: the locally 'pulled' models."""
    details = {"format": "gguf", "family": "fake", "parameter_size": "1B", "quantization_level": "Q4_0"}
    return {"models": [
        {"name": name, "model": name, "modified_at": "2024-01-01T00:00:00Z", "size": 0,
         "digest": hashlib.sha256(name.encode()).hexdigest(), "details": details}
        for name in models
    ]}
