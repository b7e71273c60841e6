"""OpenAI and any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, OpenRouter).

Structured output asks for ``json_schema`` first; servers that reject it get
``json_object``, then plain JSON instructions. The mode that worked is
remembered so the fallback costs one failed request per run, not per call.
"""

from __future__ import annotations

import json
import os
from typing import Any

import openai

from ..errors import MissingCredentials, ProviderError
from ..findings import Usage
from .base import LLMRequest, LLMResponse
from .sdk_errors import error_detail, translate_sdk_error, unusable_response

DEFAULT_MODEL = "gpt-5.2"
KEY_VARIABLE = "OPENAI_API_KEY"
_MODES = ("json_schema", "json_object", "plain")
REASONING_HEADROOM = 4  # reasoning tokens count toward the cap before the answer does


class OpenAIProvider:
    name = "openai"

    @property
    def endpoint(self) -> str:
        return self.where

    def __init__(self, model: str | None, base_url: str | None, *, timeout: float, environ: dict[str, str] | None = None):
        env = os.environ if environ is None else environ
        api_key = env.get(KEY_VARIABLE)
        if not api_key and not base_url:
            raise MissingCredentials(
                f"{KEY_VARIABLE} is not set: export it, or set OPENAI_BASE_URL to use a local "
                "OpenAI-compatible server"
            )
        self.model = model or DEFAULT_MODEL
        self.where = base_url or "https://api.openai.com/v1"
        self._official = base_url is None or "api.openai.com" in base_url
        self._mode = 0  # index into _MODES
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "not-needed", base_url=base_url, max_retries=0, timeout=timeout
        )

    async def complete(self, request: LLMRequest) -> LLMResponse:
        while True:
            mode = _MODES[self._mode] if request.schema is not None else "plain"
            try:
                completion = await self._client.chat.completions.create(**self._arguments(request, mode))
            except openai.APIStatusError as exc:
                if mode != "plain" and _rejects_format(exc):
                    # this server does not support the mode: fall back and remember (concurrent
                    # calls may fail on the same mode; each moves on to the next one only)
                    self._mode = max(self._mode, _MODES.index(mode) + 1)
                    continue
                raise self._error(exc) from exc
            except openai.OpenAIError as exc:
                raise self._error(exc) from exc
            try:
                return _response(completion)
            except (AttributeError, TypeError, IndexError, KeyError, ValueError) as exc:
                raise unusable_response("OpenAI", self.where, completion) from exc

    def _arguments(self, request: LLMRequest, mode: str) -> dict[str, Any]:
        system = request.system
        if request.schema is not None and mode == "plain":
            system += "\n\nAnswer with one JSON object only, matching this JSON schema:\n" + json.dumps(request.schema)
        arguments: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}]
            + [{"role": m.role, "content": m.content} for m in request.messages],
        }
        if self._official:  # reasoning models: max_completion_tokens covers reasoning too; default temperature only
            arguments["max_completion_tokens"] = request.max_tokens * REASONING_HEADROOM
        else:
            arguments["max_tokens"] = request.max_tokens
            arguments["temperature"] = request.temperature
        if request.schema is not None and mode == "json_schema":
            arguments["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.schema, "strict": False},
            }
        elif request.schema is not None and mode == "json_object":
            arguments["response_format"] = {"type": "json_object"}
            arguments["messages"][0]["content"] = (
                system + "\n\nAnswer with one JSON object matching this JSON schema:\n" + json.dumps(request.schema)
            )
        return arguments

    def _error(self, exc: openai.OpenAIError) -> ProviderError:
        return translate_sdk_error(
            exc, openai, provider="OpenAI", where=self.where, key_variable=KEY_VARIABLE,
            unreachable=f"the OpenAI-compatible server at {self.where}",
        )

    async def aclose(self) -> None:
        await self._client.close()


def _rejects_format(exc: openai.APIStatusError) -> bool:
    """A 400 (most servers) or a 500 (llama.cpp's server) that blames the structured-output mode."""
    if exc.status_code not in (400, 422, 500):
        return False
    text = error_detail(exc).lower()
    return "response_format" in text or "json_schema" in text or "json schema" in text


def _response(completion: Any) -> LLMResponse:
    choice = completion.choices[0]
    usage = completion.usage
    cached = 0
    if usage is not None and getattr(usage, "prompt_tokens_details", None) is not None:
        cached = usage.prompt_tokens_details.cached_tokens or 0
    return LLMResponse(
        text=choice.message.content or "",
        usage=Usage(
            calls=1,
            input_tokens=(usage.prompt_tokens or 0) if usage else 0,
            output_tokens=(usage.completion_tokens or 0) if usage else 0,
            cached_input_tokens=cached,
        ),
        truncated=choice.finish_reason == "length",
        model=completion.model or "",
    )

