"""Waiting longer after each failure: the delay (pure) and a loop that keeps something
running (a connection, a LISTEN) until it is cancelled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import NoReturn

log = logging.getLogger(__name__)

FIRST = 0.2  # seconds after the first failure
CAP = 30.0


def delay(failures: int, *, first: float = FIRST, cap: float = CAP) -> float:
    """Seconds to wait after `failures` failures in a row: none after none, then doubling
    from `first` up to `cap`."""
    if failures <= 0:
        return 0.0
    return min(cap, first * 2.0 ** min(failures - 1, 64))


async def keep_running(
    attempt: Callable[[Callable[[], None]], Awaitable[object]],
    *,
    what: str,
    expected: tuple[type[BaseException], ...],
    cap: float = CAP,
) -> NoReturn:
    """Run `attempt` again and again until cancelled, waiting `delay` between attempts.

    An attempt calls the function it is given once it is up (connected, listening): the
    count of failures starts again from zero, so a connection that worked for a while is
    retried at once after the shortest wait. `expected` errors are logged as warnings,
    anything else with its traceback; neither ends the loop.
    """
    failures = 0

    def up() -> None:
        nonlocal failures
        failures = 0

    while True:
        try:
            await attempt(up)
        except expected as exc:
            log.warning("%s failed error=%s %s", what, type(exc).__name__, exc)
        except Exception:  # the loop must outlive any one failure
            log.exception("%s failed", what)
        failures += 1
        wait = delay(failures, cap=cap)
        log.warning("%s: trying again in %.1fs", what, wait)
        await asyncio.sleep(wait)
