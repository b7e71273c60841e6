"""One analysis call that returns an answer matching the schema, re-asking with the error when it does not.

Models sometimes answer with prose, cut-off JSON or a field of the wrong kind;
sending the error back gets a usable answer far more often than failing the
chain. The number of re-asks is bounded, and counted for the report's summary.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import AnswerError
from ..llm.base import Completer, LLMRequest, Message
from ..tokens import approx_tokens
from . import prompts
from .response import AnalysisAnswer, parse_answer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoopLimits:
    max_rounds: int = 7
    reasks: int = 2
    max_output_tokens: int = 4096


class Asker:
    """Sends one analysis prompt with the system prompt and the answer schema; re-asks a bounded number of times."""

    def __init__(self, provider: Completer, system: str, schema: dict[str, Any], limits: LoopLimits) -> None:
        self.provider = provider
        self.system = system
        self.schema = schema
        self.limits = limits
        self.reasks = 0  # answers that did not validate and were asked again
        self.fixed_tokens = approx_tokens(system) + approx_tokens(str(schema))  # sent with every call

    async def ask(self, user_text: str, breakpoints: Sequence[int] = ()) -> AnalysisAnswer:
        """One answer that validates, re-asking with the error a bounded number of times.

        *breakpoints* are where the prompt's stable parts end (the providers' prompt caches start there).
        """
        messages = [Message("user", user_text, breakpoints=tuple(breakpoints))]
        reason = ""
        for attempt in range(self.limits.reasks + 1):
            response = await self.provider.complete(
                LLMRequest(self.system, tuple(messages), self.schema, max_tokens=self.limits.max_output_tokens)
            )
            try:
                answer, warnings = parse_answer(response.text)
            except AnswerError as exc:
                reason = str(exc) + (" (the answer was cut off at the output token limit)" if response.truncated else "")
                log.warning("unusable answer: %s", reason)
                if attempt < self.limits.reasks:  # the last bad answer is not asked again
                    self.reasks += 1
                messages += [Message("assistant", response.text or "(empty answer)"), Message("user", prompts.reask_request(reason))]
                continue
            for warning in warnings:
                log.warning("answer repaired: %s", warning)
            return answer
        raise AnswerError(f"no usable answer after {self.limits.reasks + 1} attempts: {reason}")
