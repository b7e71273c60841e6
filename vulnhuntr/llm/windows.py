"""Context windows of the models vulnhuntr knows, so no prompt is ever cut off by the server.

Longest matching prefix wins; unknown models get a conservative default.
"""

from __future__ import annotations

CONTEXT_WINDOWS: dict[str, int] = {
    "claude-": 200_000,
    "gpt-5": 400_000,
    "gpt-4.1": 1_000_000,
    "gpt-4o": 128_000,
    "o3": 200_000,
    "o4": 200_000,
}
DEFAULT_WINDOW = 32_000  # local and unknown models: many serve 32k or less


def context_window(model: str) -> int:
    matches = [prefix for prefix in CONTEXT_WINDOWS if model.startswith(prefix)]
    return CONTEXT_WINDOWS[max(matches, key=len)] if matches else DEFAULT_WINDOW


def prompt_budget(model: str, configured: int) -> int:
    """Tokens a prompt may use: the configured maximum, and at most 80% of the model's window."""
    return min(configured, int(context_window(model) * 0.8))
