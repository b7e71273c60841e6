"""Every LLM call of a scan passes through one gate: concurrency, budget and progress.

LLM calls are I/O, so the analysis is asyncio: independent work (initial passes
of different files, chains of different files and types) runs concurrently and
only the number of calls in flight is bounded (``--workers``). Rounds of one
chain stay sequential because each depends on the last. The budget is checked
before a call is sent, with the call's estimated cost reserved, so a run stops
scheduling new calls before it would pass ``--budget`` and lets the calls
already in flight finish.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ..config import ModelPrice
from ..errors import VulnhuntrError
from ..findings import Usage
from ..llm.base import LLMRequest, LLMResponse, Provider
from ..pricing import cost
from ..tokens import TYPICAL_OUTPUT_TOKENS
from .progress import Progress


class BudgetExhausted(VulnhuntrError):
    """The next call would take the estimated spend past ``--budget``."""


@dataclass
class Budget:
    """Dollars spent and reserved; ``limit`` None means no cap."""

    limit: float | None
    price: ModelPrice | None
    spent: float = 0.0
    reserved: float = 0.0
    refused: int = 0  # calls not sent because of the cap

    def reserve(self, request: LLMRequest) -> float:
        estimate = cost(
            Usage(1, request.approx_input_tokens(), min(request.max_tokens, TYPICAL_OUTPUT_TOKENS)), self.price
        )
        estimate = estimate or 0.0
        if self.limit is not None and self.spent + self.reserved + estimate > self.limit:
            self.refused += 1
            raise BudgetExhausted(f"budget of ${self.limit:.2f} reached (spent ${self.spent:.4f})")
        self.reserved += estimate
        return estimate

    def settle(self, reserved: float, usage: Usage | None) -> None:
        self.reserved = max(0.0, self.reserved - reserved)
        if usage is not None:
            self.spent += cost(usage, self.price) or 0.0


@dataclass
class CallGate:
    """Bounded, budgeted, counted access to one provider."""

    provider: Provider
    workers: int
    budget: Budget
    progress: Progress
    usage: Usage = field(default_factory=Usage)
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(max(1, self.workers))

    async def complete(self, request: LLMRequest) -> LLMResponse:
        reserved = self.budget.reserve(request)
        response: LLMResponse | None = None
        try:
            async with self._slots:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    response = await self.provider.complete(request)
                finally:
                    self.in_flight -= 1
        finally:
            self.budget.settle(reserved, response.usage if response is not None else None)
        self.usage.add(response.usage)
        self.progress.call_done(self.usage, self.budget.spent)
        return response
