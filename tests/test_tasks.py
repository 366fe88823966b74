"""The app's task registry: failures are logged, and stopping cancels and awaits all."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from lifeline_pbx.tasks import TaskRegistry
from tests.waiting import wait_for


async def test_close_cancels_and_awaits_every_task_also_those_started_while_stopping() -> None:
    tasks = TaskRegistry()
    stopped: list[str] = []

    async def worker(name: str, successor: bool = False) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.append(name)
            if successor:  # e.g. a session that hangs up the operator's leg as it ends
                tasks.spawn(worker("successor"), "successor")

    tasks.spawn(worker("a"), "a")
    tasks.spawn(worker("b", successor=True), "b")
    await asyncio.sleep(0)  # let them start
    await tasks.close()
    assert sorted(stopped) == ["a", "b", "successor"]
    assert len(tasks) == 0


async def test_a_failing_task_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    tasks = TaskRegistry()

    async def broken() -> None:
        raise RuntimeError("boom")

    tasks.spawn(broken(), "broken")
    await wait_for(lambda: len(tasks) == 0, what="the task ended")
    assert "background task failed name=broken" in caplog.text


async def test_a_task_that_will_not_stop_is_named(caplog: pytest.LogCaptureFixture) -> None:
    tasks = TaskRegistry()
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await release.wait()

    task = tasks.spawn(stubborn(), "stubborn")
    await asyncio.sleep(0)
    await tasks.close(timeout=0.1)
    assert "tasks did not stop: stubborn" in caplog.text
    release.set()
    await task
