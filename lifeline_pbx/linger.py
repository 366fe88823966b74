"""A background writer's short wait for the rest of a burst (one transaction for several
writes), which whoever waits for the writes ends: the call-record writer's and the
operators' state store's."""

from __future__ import annotations

import asyncio
import contextlib


class Linger:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._hurry = asyncio.Event()
        self._hurried = 0  # how many wait in until()

    def hurry(self) -> None:
        """End the wait going on now: someone needs a write."""
        self._hurry.set()

    async def until(self, idle: asyncio.Event) -> None:
        """Wait for `idle` (everything written), with no lingering meanwhile."""
        self._hurried += 1
        self._hurry.set()
        try:
            await idle.wait()
        finally:
            self._hurried -= 1

    async def wait(self, skip: bool = False) -> None:
        """Up to `seconds` for the rest of a burst; none when skip or someone waits."""
        self._hurry.clear()
        if skip or self._hurried:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.seconds):
                await self._hurry.wait()
