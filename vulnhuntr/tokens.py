"""Token counts before a provider reports them: the size of a text and of a typical answer.

Planning (``--dry-run``, which files fit a budget), the context builder (what
fits a prompt) and the call gate (what a call will cost) all estimate tokens
before any call, so the estimate lives here, below every stage that needs it.
"""

from __future__ import annotations

CHARS_PER_TOKEN = 4

TYPICAL_OUTPUT_TOKENS = 1200  # what an analysis answer usually costs; the estimate before a call


def approx_tokens(text: str) -> int:
    """chars/4, rounded up: the providers' tokenisers are not available offline, and this errs on the safe side for code."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN
