"""Which path speaks which protocol, and error bodies in the caller's protocol."""

from __future__ import annotations

from typing import Any, Callable

from .anthropic_messages import anthropic_error, parse_anthropic
from .ollama_chat import ollama_error, parse_ollama
from .openai_chat import openai_error, parse_openai
from .script import FakeRequest, ProtocolName, Reply

PARSERS: dict[str, tuple[ProtocolName, Callable[[dict[str, Any], dict[str, str]], FakeRequest]]] = {
    "/v1/messages": ("anthropic", parse_anthropic),
    "/v1/chat/completions": ("openai", parse_openai),
    "/api/chat": ("ollama", parse_ollama),
}

ERROR_BODIES: dict[ProtocolName, Callable[[int, str], dict[str, Any]]] = {
    "anthropic": anthropic_error,
    "openai": openai_error,
    "ollama": ollama_error,
}


def protocol_of_path(path: str, headers: dict[str, str]) -> ProtocolName:
    """Best guess at which client is talking, to shape error bodies."""
    if path.startswith("/api/"):
        return "ollama"
    return "anthropic" if "anthropic-version" in headers else "openai"


def error_body(protocol: ProtocolName, reply: Reply) -> dict[str, Any]:
    """The body for an error reply, in the caller's protocol."""
    if isinstance(reply.content, dict):
        return reply.content
    message = reply.content or f"fake error {reply.status}"
    return ERROR_BODIES[protocol](reply.status, message)
