"""Message and answer text shared by the three protocols: flattening content, cutting truncated answers."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Sequence

from .script import Reply



def text_of(content: Any) -> str:
    """Flatten a message ``content`` (string or list of blocks/parts) to text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict):
            parts.append(block_text(block))
    return "\n".join(part for part in parts if part)


def block_text(block: dict[str, Any]) -> str:
    """Text carried by one content block, whatever its type."""
    kind = block.get("type")
    if kind == "tool_use":
        return json.dumps(block.get("input", {}))
    if kind == "tool_result":
        return text_of(block.get("content"))
    return str(block.get("text", ""))


def messages_text(messages: Sequence[dict[str, Any]], skip_roles: set[str]) -> str:
    """Join the text of every message whose role is not skipped."""
    texts = []
    for message in messages:
        if message.get("role") in skip_roles:
            continue
        texts.append(text_of(message.get("content")))
        for call in message.get("tool_calls") or []:
            texts.append(str(call.get("function", {}).get("arguments", "")))
    return "\n".join(text for text in texts if text)


def answer_text(content: dict[str, Any] | str) -> str:
    """The scripted answer as the text a model would emit."""
    return content if isinstance(content, str) else json.dumps(content)


def as_object(content: dict[str, Any] | str) -> dict[str, Any] | None:
    """The scripted answer as a JSON object, or None when it is not one."""
    if isinstance(content, dict):
        return content
    try:
        parsed = json.loads(content)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def output_text(reply: Reply) -> str:
    """What the model "generates" for a reply: nothing for an error, half when truncated."""
    if reply.status >= 400:
        return ""
    text = answer_text(reply.content)
    return cut(text) if reply.truncated else text


def cut(text: str) -> str:
    """Keep the first half, like a reply that ran out of output tokens."""
    return text[: len(text) // 2]


def cut_object(obj: dict[str, Any]) -> dict[str, Any]:
    """A tool input must stay an object, so truncation drops the later keys."""
    keys = list(obj)
    return {key: obj[key] for key in keys[: len(keys) // 2]}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
