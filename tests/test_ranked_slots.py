"""The gate's slots: lowest rank first, work under way before new work, arrival order, a cancelled waiter never holds one."""

from __future__ import annotations

import asyncio

from vulnhuntr.analysis.gate import Budget, CallGate, RankedSlots, start_job
from vulnhuntr.analysis.progress import NullProgress
from vulnhuntr.findings import Usage
from vulnhuntr.llm.base import LLMRequest, LLMResponse, Message


def test_a_free_slot_goes_to_the_lowest_rank_waiting_then_in_arrival_order() -> None:
    async def scenario() -> list[str]:
        slots = RankedSlots(1)
        order: list[str] = []
        await slots.acquire(0)  # the one slot is taken

        async def wait(name: str, rank: int) -> None:
            await slots.acquire(rank)
            order.append(name)
            await asyncio.sleep(0)
            slots.release()

        tasks = [asyncio.create_task(wait(name, rank)) for name, rank in
                 [("unreached-1", 1), ("reached-1", 0), ("unreached-2", 1), ("reached-2", 0)]]
        await asyncio.sleep(0)  # every waiter queued
        slots.release()
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == ["reached-1", "reached-2", "unreached-1", "unreached-2"]


def test_a_cancelled_waiter_passes_its_slot_on() -> None:
    async def scenario() -> bool:
        slots = RankedSlots(1)
        await slots.acquire(0)
        first = asyncio.create_task(slots.acquire(0))
        second = asyncio.create_task(slots.acquire(1))
        await asyncio.sleep(0)
        slots.release()  # handed to the first waiter ...
        first.cancel()  # ... which is cancelled before it runs again
        await asyncio.gather(first, return_exceptions=True)
        await asyncio.wait_for(second, timeout=1)  # the slot reached the next waiter
        first_waiter_gone = asyncio.create_task(slots.acquire(0))
        await asyncio.sleep(0)
        blocked = not first_waiter_gone.done()  # one slot, held by the second: the bound still holds
        first_waiter_gone.cancel()
        await asyncio.gather(first_waiter_gone, return_exceptions=True)
        return blocked

    assert asyncio.run(scenario())


def test_slots_never_exceed_their_number() -> None:
    async def scenario() -> int:
        slots = RankedSlots(3)
        busy = peak = 0

        async def call(rank: int) -> None:
            nonlocal busy, peak
            await slots.acquire(rank)
            busy += 1
            peak = max(peak, busy)
            await asyncio.sleep(0.001)
            busy -= 1
            slots.release()

        await asyncio.gather(*(call(i % 2) for i in range(20)))
        return peak

    assert asyncio.run(scenario()) == 3


def test_within_a_rank_a_call_continuing_its_work_goes_before_a_first_call() -> None:
    async def scenario() -> list[str]:
        slots = RankedSlots(1)
        order: list[str] = []
        await slots.acquire(0)

        async def wait(name: str, rank: int, first: bool) -> None:
            await slots.acquire(rank, first=first)
            order.append(name)
            await asyncio.sleep(0)
            slots.release()

        tasks = [asyncio.create_task(wait(name, rank, first)) for name, rank, first in [
            ("new unreached", 1, True), ("new reached", 0, True), ("unreached round 2", 1, False), ("reached round 2", 0, False),
        ]]
        await asyncio.sleep(0)
        slots.release()
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == ["reached round 2", "new reached", "unreached round 2", "new unreached"]


class _Answering:
    """A provider answering at once, recording the order in which calls were sent."""

    name, model = "fake", "fake-model"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.sent.append(request.messages[0].content)
        await asyncio.sleep(0.01)
        return LLMResponse("{}", Usage(1, 10, 1))


def test_a_job_started_after_an_answer_still_makes_first_calls() -> None:
    # the README summary is answered in the task that creates the jobs: a job must not inherit "under way" from it
    async def scenario() -> list[str]:
        provider = _Answering()
        gate = CallGate(provider, 1, Budget(None, None), NullProgress())

        def ask(text: str) -> LLMRequest:
            return LLMRequest("system", (Message("user", text),), max_tokens=10)

        await gate.complete(ask("readme"))

        async def job(name: str, rounds: int) -> None:
            start_job()
            for number in range(1, rounds + 1):
                await gate.complete(ask(f"{name} {number}"))

        await asyncio.gather(job("a", 2), job("b", 1), job("c", 1))
        return provider.sent

    # a's second round goes before c's first: a began its work, c had not
    assert asyncio.run(scenario()) == ["readme", "a 1", "b 1", "a 2", "c 1"]
