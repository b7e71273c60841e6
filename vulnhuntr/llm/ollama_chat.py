"""Ollama's chat API: the system prompt as a system message, ``format`` set to the schema."""

from __future__ import annotations

from typing import Any

import httpx
import ollama

from ..errors import ProviderConfigError, ProviderTimeoutError, TransientProviderError
from ..findings import Usage
from .base import LLMRequest, LLMResponse
from .sdk_errors import error_for_status, unusable_response

DEFAULT_MODEL = "llama3.1"
DEFAULT_HOST = "http://localhost:11434"


class OllamaProvider:
    name = "ollama"

    @property
    def endpoint(self) -> str:
        return self.where

    def __init__(self, model: str | None, base_url: str | None, *, timeout: float, environ: dict[str, str] | None = None):
        self.model = model or DEFAULT_MODEL
        self.where = base_url or DEFAULT_HOST
        self._client = ollama.AsyncClient(host=self.where, timeout=timeout)

    async def complete(self, request: LLMRequest) -> LLMResponse:
        messages = [{"role": "system", "content": request.system}] + [
            {"role": m.role, "content": m.content} for m in request.messages
        ]
        try:
            reply = await self._client.chat(
                model=self.model,
                messages=messages,
                format=request.schema if request.schema is not None else None,
                options={
                    "temperature": request.temperature,
                    "num_predict": request.max_tokens,
                    "num_ctx": context_size(request),
                },
                stream=False,
            )
        except ollama.ResponseError as exc:
            if exc.status_code == 404:
                raise ProviderConfigError(
                    f"Ollama at {self.where} does not have model {self.model!r}: run `ollama pull {self.model}`"
                    " or set OLLAMA_MODEL"
                ) from exc
            raise error_for_status(
                exc.status_code, exc.error, None, provider="Ollama", where=self.where, key_variable=None
            ) from exc
        except ConnectionError as exc:
            raise ProviderConfigError(
                f"cannot reach Ollama at {self.where}: start it with `ollama serve` or set OLLAMA_BASE_URL"
            ) from exc
        except httpx.TimeoutException as exc:
            raise ProviderTimeoutError(f"Ollama call timed out ({self.where})") from exc
        except httpx.HTTPError as exc:
            raise TransientProviderError(f"Ollama call failed ({self.where}): {exc}") from exc
        except ValueError as exc:  # a body that is not JSON, or JSON of another shape (pydantic's error is one)
            raise unusable_response("Ollama", self.where, getattr(exc, "doc", None) or exc) from exc
        try:
            return _response(reply)
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            raise unusable_response("Ollama", self.where, reply) from exc

    async def aclose(self) -> None:
        client: Any = getattr(self._client, "_client", None)
        if client is not None:
            await client.aclose()


def context_size(request: LLMRequest) -> int:
    """Ollama silently cuts prompts longer than ``num_ctx`` (default 2-4k): ask for what the prompt needs.

    A power of two at least 8,192 tokens, covering the prompt (chars/3, generous
    for code) plus the answer, so the model's memory use stays predictable.
    """
    chars = len(request.system) + sum(len(m.content) for m in request.messages)
    needed = chars // 3 + request.max_tokens
    size = 8192
    while size < needed:
        size *= 2
    return size


def _response(reply: Any) -> LLMResponse:
    return LLMResponse(
        text=reply.message.content or "",
        usage=Usage(calls=1, input_tokens=reply.prompt_eval_count or 0, output_tokens=reply.eval_count or 0),
        truncated=reply.done_reason == "length",
        model=reply.model or "",
    )
