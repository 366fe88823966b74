"""The live queue view's shared read (supervision/shared_read.py): one read for every
browser that polls within the refresh, a failed read not kept."""

from __future__ import annotations

import asyncio

import pytest

from lifeline_pbx.supervision.shared_read import SharedRead


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_browsers_polling_within_the_refresh_share_one_read() -> None:
    clock, reads = Clock(), []

    async def read() -> int:
        reads.append(clock.now)
        await asyncio.sleep(0)  # let the other requests queue behind this one
        return len(reads)

    shared: SharedRead[int] = SharedRead(2.0, clock)
    assert await asyncio.gather(*(shared.get(read) for _ in range(50))) == [1] * 50
    clock.now += 1.9
    assert await shared.get(read) == 1
    clock.now += 0.1
    assert await shared.get(read) == 2
    assert reads == [100.0, 102.0]


async def test_a_failed_read_is_tried_again_by_the_next_request() -> None:
    shared: SharedRead[str] = SharedRead(2.0, Clock())

    async def failing() -> str:
        raise OSError("database away")

    async def working() -> str:
        return "figures"

    with pytest.raises(OSError):
        await shared.get(failing)
    assert await shared.get(working) == "figures"
