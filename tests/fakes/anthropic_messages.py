"""Anthropic Messages: ``POST /v1/messages`` (non-streaming), ``GET /v1/models``, with prompt caching.

The client's ``base_url`` is ``fake.base_url`` (the SDK adds ``/v1``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

from vulnhuntr.llm.base import approx_tokens

from .script import FakeRequest, Reply
from .wire import answer_text, as_object, block_text, cut, cut_object, messages_text


_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def _anthropic_system(system: Any) -> tuple[str, str | None]:
    """Joined system text, and the cached prefix (up to the last cache_control block)."""
    if isinstance(system, str) or system is None:
        return system or "", None
    texts = [block_text(block) for block in system]
    marked = [i for i, block in enumerate(system) if block.get("cache_control")]
    prefix = "\n".join(texts[: marked[-1] + 1]) if marked else None
    return "\n".join(texts), prefix


def _anthropic_forced_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    """The tool the request forces the model to call, if any."""
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or {}
    if choice.get("type") == "tool":
        return next((tool for tool in tools if tool.get("name") == choice.get("name")), None)
    if choice.get("type") == "any" and tools:
        return tools[0]
    return None


def _anthropic_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """Structured-output schema: a forced tool's input_schema or output_config.format."""
    tool = _anthropic_forced_tool(body)
    if tool is not None:
        return tool.get("input_schema")
    output_format = (body.get("output_config") or {}).get("format") or body.get("output_format")
    return (output_format or {}).get("schema")


def parse_anthropic(body: dict[str, Any], headers: dict[str, str]) -> FakeRequest:
    """Record an Anthropic Messages call."""
    system, _ = _anthropic_system(body.get("system"))
    return FakeRequest(
        protocol="anthropic",
        model=str(body.get("model", "")),
        system=system,
        prompt=messages_text(body.get("messages") or [], skip_roles=set()),
        schema=_anthropic_schema(body),
        body=body,
        headers=headers,
    )


def _anthropic_content(request: FakeRequest, reply: Reply, serial: int) -> tuple[list[dict[str, Any]], str]:
    """Content blocks and stop_reason for a successful Messages answer."""
    tool = _anthropic_forced_tool(request.body)
    obj = as_object(reply.content)
    if tool is not None and obj is not None:
        tool_input = cut_object(obj) if reply.truncated else obj
        block = {"type": "tool_use", "id": f"toolu_fake_{serial}", "name": tool["name"], "input": tool_input}
        return [block], "max_tokens" if reply.truncated else "tool_use"
    text = answer_text(reply.content)
    if reply.truncated:
        return [{"type": "text", "text": cut(text)}], "max_tokens"
    return [{"type": "text", "text": text}], "end_turn"


def _anthropic_blocks(body: dict[str, Any]) -> list[tuple[str, bool]]:
    """(text, marked with cache_control) of every system and message block, in prompt order."""
    blocks: list[tuple[str, bool]] = []
    system = body.get("system")
    parts: list[Any] = [system] if isinstance(system, str) else list(system or [])
    for message in body.get("messages") or []:
        content = message.get("content")
        parts += [content] if isinstance(content, str) else list(content or [])
    for part in parts:
        if isinstance(part, str):
            blocks.append((part, False))
        elif isinstance(part, dict):
            blocks.append((block_text(part), bool(part.get("cache_control"))))
    return blocks


def _anthropic_cache(request: FakeRequest, cache: set[str]) -> tuple[int, int]:
    """(read, written) tokens: like Anthropic, a breakpoint's prefix is written; a lookup also tries earlier block ends."""
    blocks = _anthropic_blocks(request.body)
    marked = [i for i, (_text, mark) in enumerate(blocks) if mark]
    if not marked:
        return 0, 0
    digest = hashlib.sha256(request.model.encode())
    keys: list[str] = []
    tokens: list[int] = []
    for text, _mark in blocks[: marked[-1] + 1]:
        digest.update(b"\0" + text.encode())
        keys.append(digest.copy().hexdigest())
        tokens.append((tokens[-1] if tokens else 0) + approx_tokens(text))
    read = max((tokens[i] for i in range(len(keys)) if keys[i] in cache), default=0)
    cache.update(keys[i] for i in marked)
    return read, tokens[-1] - read


def _anthropic_usage(request: FakeRequest, output: str, cache: set[str]) -> dict[str, int]:
    """Usage with prompt caching: first sight of a cached prefix writes, later ones read."""
    tools = json.dumps(request.body.get("tools") or [])
    total = approx_tokens(request.system) + approx_tokens(request.prompt) + approx_tokens(tools)
    read, created = _anthropic_cache(request, cache)
    request.cached_input_tokens = read
    return {
        "input_tokens": max(total - read - created, 0),
        "output_tokens": approx_tokens(output),
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": created,
    }


def anthropic_answer(request: FakeRequest, reply: Reply, serial: int, cache: set[str]) -> dict[str, Any]:
    """A Messages API response body."""
    content, stop_reason = _anthropic_content(request, reply, serial)
    output = json.dumps(content)
    return {
        "id": f"msg_fake_{serial}",
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": _anthropic_usage(request, output, cache),
    }


def anthropic_error(status: int, message: str) -> dict[str, Any]:
    """An Anthropic-style error body."""
    kind = _ANTHROPIC_ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def anthropic_models(models: Sequence[str]) -> dict[str, Any]:
    """The Anthropic flavour of ``GET /v1/models``."""
    data = [
        {"type": "model", "id": name, "display_name": name, "created_at": "2024-01-01T00:00:00Z"}
        for name in models
    ]
    return {"data": data, "has_more": False, "first_id": models[0] if models else None,
            "last_id": models[-1] if models else None}
