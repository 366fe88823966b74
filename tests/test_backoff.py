"""The wait after failures, and the loop that keeps a connection going with it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from lifeline_pbx import backoff


@pytest.mark.parametrize("failures, cap, expected", [
    (0, 30.0, 0.0),
    (-1, 30.0, 0.0),
    (1, 30.0, 0.2),
    (2, 30.0, 0.4),
    (3, 30.0, 0.8),
    (8, 30.0, 25.6),
    (9, 30.0, 30.0),
    (10_000, 30.0, 30.0),  # no overflow, however long the outage
    (6, 10.0, 6.4),        # the call-record writer's shorter cap
    (7, 10.0, 10.0),
])
def test_delay(failures: int, cap: float, expected: float) -> None:
    assert backoff.delay(failures, cap=cap) == pytest.approx(expected)


class Stop(BaseException):
    """Ends the loop under test, as a cancellation would."""


async def test_the_loop_waits_longer_after_each_failure_and_starts_again_once_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What each attempt does: fail (expected or not), or come up and later end.
    script = ["refused", "refused", "bug", "up", "refused", "up"]
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:  # the schedule is what is tested, not time
        waits.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", no_wait)

    async def attempt(up: Callable[[], None]) -> None:
        if not script:
            raise Stop
        step = script.pop(0)
        if step == "refused":
            raise ConnectionRefusedError
        if step == "bug":
            raise KeyError("a bug in a handler")
        up()

    with pytest.raises(Stop):
        await backoff.keep_running(attempt, what="test", expected=(OSError,))
    assert waits == pytest.approx([0.2, 0.4, 0.8, 0.2, 0.4, 0.2])


async def test_the_loop_stops_when_cancelled() -> None:
    started = asyncio.Event()

    async def attempt(up: Callable[[], None]) -> None:
        up()
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(
        backoff.keep_running(attempt, what="test", expected=(OSError,)))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
