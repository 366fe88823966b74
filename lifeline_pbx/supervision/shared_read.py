"""One database read shared by every browser that asks within a few seconds: the live
queue view polls every REFRESH_SECONDS from each supervisor's browser, and fifty of them
need today's figures once per refresh, not fifty times. A read that fails is not kept
(the next request tries again); requests that come while it runs wait for it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedRead(Generic[T]):
    def __init__(self, fresh_for: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.fresh_for = fresh_for
        self._clock = clock
        self._lock = asyncio.Lock()
        self._kept: tuple[float, T] | None = None

    async def get(self, read: Callable[[], Awaitable[T]]) -> T:
        async with self._lock:
            if self._kept is not None and self._clock() - self._kept[0] < self.fresh_for:
                return self._kept[1]
            value = await read()
            self._kept = (self._clock(), value)
            return value
