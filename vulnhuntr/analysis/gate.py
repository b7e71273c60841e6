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
import heapq
import itertools
from contextvars import ContextVar
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


CALL_RANK: ContextVar[int] = ContextVar("vulnhuntr_call_rank", default=0)
"""The rank of the calls a task makes: a free slot goes to the lowest rank waiting (reached files 0, unreached modules 1)."""

_ANSWERED: ContextVar[bool] = ContextVar("vulnhuntr_answered", default=False)
"""Whether the task has had a call answered: its next ones continue work already begun."""


def start_job(rank: int = 0) -> None:
    """Mark the running task as one job of the scan: its calls have *rank*, and its first call starts its work.

    A task inherits the context of the one that created it (the README summary's answer
    included), so each job says where it starts.
    """
    CALL_RANK.set(rank)
    _ANSWERED.set(False)


class RankedSlots:
    """A bounded number of slots, handed out lowest rank first; within a rank, calls that continue a
    task's work before first calls; then in arrival order.

    It lets the unreached modules fill the slots the reached files leave idle without
    ever taking one a reached file's call is waiting for. A chain already under way goes on
    before a new one starts, so no chain begun early is left to finish alone at the end.
    """

    def __init__(self, size: int) -> None:
        self._free = max(1, size)
        self._waiting: list[tuple[int, bool, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    async def acquire(self, rank: int, first: bool = False) -> None:
        """A slot; *first*: the call starts a task's work (it waits behind those continuing theirs)."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (rank, first, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # handed a slot, cancelled before taking it: pass it on
                self.release()
            raise

    def release(self) -> None:
        while self._waiting:
            *_key, future = heapq.heappop(self._waiting)
            if not future.done():  # a cancelled waiter is skipped
                future.set_result(None)
                return
        self._free += 1


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
        self._slots = RankedSlots(self.workers)

    async def complete(self, request: LLMRequest) -> LLMResponse:
        reserved = self.budget.reserve(request)
        response: LLMResponse | None = None
        try:
            await self._slots.acquire(CALL_RANK.get(), first=not _ANSWERED.get())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                response = await self.provider.complete(request)
            finally:
                self.in_flight -= 1
                self._slots.release()
        finally:
            self.budget.settle(reserved, response.usage if response is not None else None)
        _ANSWERED.set(True)  # in the calling task's context: its later calls continue what it began
        self.usage.add(response.usage)
        self.progress.call_done(self.usage, self.budget.spent)
        return response
