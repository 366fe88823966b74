"""Wait on conditions, never for a fixed time."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

T = TypeVar("T")


@overload
async def wait_for(probe: Callable[[], Awaitable[T | None]], timeout: float = ...,
                   interval: float = ..., what: str = ...) -> T: ...


@overload
async def wait_for(probe: Callable[[], T | None], timeout: float = ...,
                   interval: float = ..., what: str = ...) -> T: ...


async def wait_for(
    probe: Callable[[], object],
    timeout: float = 15.0,
    interval: float = 0.05,
    what: str = "condition",
) -> object:
    """Poll probe until it returns something truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        last = probe()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last={last!r}")
        await asyncio.sleep(interval)
