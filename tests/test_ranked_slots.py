"""The gate's slots: lowest rank first, arrival order within a rank, a cancelled waiter never holds one."""

from __future__ import annotations

import asyncio

from vulnhuntr.analysis.gate import RankedSlots


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
