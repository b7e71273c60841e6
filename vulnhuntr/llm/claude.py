"""Anthropic (Claude) through the official SDK; structured output by forced tool use."""

from __future__ import annotations

import json
import os
from typing import Any

import anthropic

from ..errors import MissingCredentials, ProviderError
from ..findings import Usage
from .base import LLMRequest, LLMResponse, Message
from .sdk_errors import error_detail, translate_sdk_error, unusable_response

DEFAULT_MODEL = "claude-sonnet-5"
THINKING_HEADROOM = 4  # max_tokens multiplier when thinking may spend output tokens before the answer
KEY_VARIABLE = "ANTHROPIC_API_KEY"


class ClaudeProvider:
    """Claude via the Messages API.

    The system prompt is sent as one text block marked ``cache_control`` so the
    stable instructions are cached by Anthropic across calls; structured answers
    come back as the input of a tool the model is forced to call. A model that
    refuses forced tool use (one that always thinks) gets structured outputs
    (``output_config`` with the JSON schema) instead, remembered for the run.
    Current models take no sampling parameters (the SDK has no ``temperature``).
    """

    name = "claude"

    @property
    def endpoint(self) -> str:
        return self.where

    def __init__(self, model: str | None, base_url: str | None, *, timeout: float, environ: dict[str, str] | None = None):
        env = os.environ if environ is None else environ
        api_key = env.get(KEY_VARIABLE)
        if not api_key:
            raise MissingCredentials(
                f"{KEY_VARIABLE} is not set: export it (https://console.anthropic.com/settings/keys) "
                "or choose another provider with -l"
            )
        self.model = model or DEFAULT_MODEL
        self.where = base_url or "https://api.anthropic.com"
        self._client = anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout)
        self._json_output = False  # set once a model refuses forced tool use (models that always think)

    async def complete(self, request: LLMRequest) -> LLMResponse:
        while True:
            try:
                message = await self._client.messages.create(**self._arguments(request))
                break
            except anthropic.BadRequestError as exc:
                if request.schema is not None and not self._json_output and _rejects_forced_tool(exc):
                    self._json_output = True  # a model that always thinks: ask for a JSON answer instead
                    continue
                raise self._error(exc) from exc
            except anthropic.AnthropicError as exc:
                raise self._error(exc) from exc
        try:
            return LLMResponse(
                text=_answer_text(message.content),
                usage=_usage(message.usage),
                truncated=message.stop_reason == "max_tokens",
                model=message.model,
            )
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            raise unusable_response("Claude", self.where, message) from exc

    def _arguments(self, request: LLMRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "system": [{"type": "text", "text": request.system, "cache_control": {"type": "ephemeral"}}],
            "messages": [_message(m) for m in request.messages],
        }
        if request.schema is None:
            return arguments
        if self._json_output:  # structured outputs: compatible with thinking, which counts toward max_tokens
            arguments["output_config"] = {"format": {"type": "json_schema", "schema": request.schema}}
            arguments["max_tokens"] = request.max_tokens * THINKING_HEADROOM
            return arguments
        arguments["tools"] = [
            {"name": request.schema_name, "description": "Submit your answer in this exact structure.",
             "input_schema": request.schema}
        ]
        arguments["tool_choice"] = {"type": "tool", "name": request.schema_name}
        return arguments

    def _error(self, exc: anthropic.AnthropicError) -> ProviderError:
        return translate_sdk_error(
            exc, anthropic, provider="Claude", where=self.where, key_variable=KEY_VARIABLE,
            unreachable=f"Claude at {self.where}",
        )

    async def aclose(self) -> None:
        await self._client.close()


def _rejects_forced_tool(exc: anthropic.BadRequestError) -> bool:
    text = error_detail(exc).lower()
    return "tool_choice" in text or "forced tool" in text or ("thinking" in text and "tool" in text)


MESSAGE_BREAKPOINTS = 3  # Anthropic allows 4 cache breakpoints per request; the system prompt takes one


def _message(message: Message) -> dict[str, Any]:
    """A message with stable parts: one text block per part, each marked ``cache_control`` where it ends.

    Anthropic caches the prefix up to a marked block and looks for earlier hits at
    block boundaries, so a chain's rounds (same file and guidance, definitions
    only appended) read the previous round's prefix and write only what is new.
    """
    points = message.cache_points()[-MESSAGE_BREAKPOINTS:]
    if not points:
        return {"role": message.role, "content": message.content}
    blocks: list[dict[str, Any]] = []
    start = 0
    for point in points:
        blocks.append({"type": "text", "text": message.content[start:point], "cache_control": {"type": "ephemeral"}})
        start = point
    blocks.append({"type": "text", "text": message.content[start:]})
    return {"role": message.role, "content": blocks}


def _answer_text(blocks: list[Any]) -> str:
    """The tool input as JSON when the model called the tool, else its text."""
    for block in blocks:
        if getattr(block, "type", None) == "tool_use":
            return json.dumps(block.input)
    return "".join(getattr(block, "text", "") for block in blocks)


def _usage(usage: Any) -> Usage:
    """Anthropic counts uncached, cache-read and cache-written input apart; ``input_tokens`` is their sum."""
    cached = (getattr(usage, "cache_read_input_tokens", 0) or 0)
    created = (getattr(usage, "cache_creation_input_tokens", 0) or 0)
    return Usage(
        calls=1,
        input_tokens=(usage.input_tokens or 0) + cached + created,
        output_tokens=usage.output_tokens or 0,
        cached_input_tokens=cached,
        cache_write_input_tokens=created,
    )

