"""The one small interface every LLM provider implements.

A provider turns an :class:`LLMRequest` (system prompt, messages, an optional
JSON schema for structured output) into an :class:`LLMResponse` (the answer's
text plus token usage). Everything above this layer (retries, caching, the
analysis loop) depends only on this interface, so providers stay small and a
fake or caching provider can stand in for a real one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..findings import Usage
from ..tokens import approx_tokens  # also imported from here, where it used to live

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str
    stable_prefix: int = 0  # length of the start of ``content`` that is the same across calls (cacheable)
    breakpoints: tuple[int, ...] = ()  # offsets in ``content`` where a stable part ends (each a cache breakpoint)

    def cache_points(self) -> tuple[int, ...]:
        """Where this message's cacheable parts end, in order: ``breakpoints`` and ``stable_prefix``, inside the text."""
        points = {*self.breakpoints, self.stable_prefix}
        return tuple(sorted(p for p in points if 0 < p < len(self.content)))


@dataclass(frozen=True)
class LLMRequest:
    """Everything that determines an answer; stable parts first so provider prompt caches hit."""

    system: str
    messages: tuple[Message, ...]
    schema: dict[str, Any] | None = None  # JSON schema of the expected answer, or None for free text
    schema_name: str = "analysis"
    max_tokens: int = 4096
    temperature: float = 0.0

    def approx_input_tokens(self) -> int:
        """What pacing and the budget count before the provider reports the real figure."""
        return approx_tokens(self.system) + sum(approx_tokens(m.content) for m in self.messages)


@dataclass(frozen=True)
class LLMResponse:
    text: str  # the answer; for structured requests, JSON text of the object
    usage: Usage = field(default_factory=Usage)
    truncated: bool = False  # the model hit max_tokens: the text is incomplete
    model: str = ""


class Completer(Protocol):
    """What the analysis needs: an answer per request (a provider, or the call gate in front of one)."""

    async def complete(self, request: LLMRequest) -> LLMResponse: ...


class Provider(Completer, Protocol):
    """An LLM behind one async call."""

    @property
    def name(self) -> str: ...  # "claude", "openai", "ollama"

    @property
    def model(self) -> str: ...

    @property
    def endpoint(self) -> str:
        """The server that answers (base URL): part of the cache key, and what decides pacing."""
        ...

    async def aclose(self) -> None: ...
