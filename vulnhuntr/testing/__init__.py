"""Test helpers shipped with vulnhuntr, so its own tests and downstream users share them.

Nothing here is imported by the scanner itself.
"""

from .fake_llm import FakeLLM, FakeRequest, Reply, Rule, RuleBuilder, approx_tokens

__all__ = ["FakeLLM", "FakeRequest", "Reply", "Rule", "RuleBuilder", "approx_tokens"]
