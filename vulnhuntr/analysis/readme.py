"""A short README summary for the system prompt: the model reads code better knowing the app."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ..errors import ProviderConfigError, ProviderError
from ..findings import ErrorEntry
from ..llm.base import Completer, LLMRequest, Message
from . import prompts
from .gate import BudgetExhausted

log = logging.getLogger(__name__)

MAX_README_CHARS = 20_000
_SUMMARY = re.compile(r"<summary>(.*?)</summary>", re.DOTALL | re.IGNORECASE)


async def summarise_readme(provider: Completer, root: Path, readme: str | None) -> tuple[str | None, ErrorEntry | None]:
    """The summary, or None with the reason when there is no README or no usable answer."""
    if readme is None:
        return None, None
    try:
        text = (root / readme).read_text(encoding="utf-8", errors="replace")[:MAX_README_CHARS]
    except OSError as exc:
        return None, ErrorEntry(readme, "readme", f"README unreadable, analysis goes on without it: {exc}")
    if not text.strip():
        return None, None
    request = LLMRequest(prompts.README_SYSTEM, (Message("user", prompts.readme_request(text)),), max_tokens=1024)
    try:
        response = await provider.complete(request)
    except ProviderConfigError:
        raise
    except (ProviderError, BudgetExhausted) as exc:
        return None, ErrorEntry(readme, "readme", f"README summary failed, analysis goes on without it: {exc}")
    match = _SUMMARY.search(response.text)
    if match is None or not match.group(1).strip():
        log.warning("README summary answer had no <summary> tags; continuing without it")
        return None, ErrorEntry(readme, "readme", "README summary answer lacked <summary> tags; analysis goes on without it")
    return match.group(1).strip(), None
