"""The app's one registry of background tasks: none is garbage-collected mid-flight, none
fails silently, and all are cancelled and awaited when the app stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)
STOP_SECONDS = 10.0


class TaskRegistry:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._running)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "") -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name or None)
        self._running.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed name=%s", task.get_name(),
                      exc_info=task.exception())

    async def close(self, timeout: float = STOP_SECONDS) -> None:
        """Cancel every task and wait for them (and for any they start while stopping)."""
        try:
            async with asyncio.timeout(timeout):
                while self._running:
                    running = list(self._running)
                    for task in running:
                        task.cancel()
                    await asyncio.wait(running)
        except TimeoutError:
            pass
        if self._running:
            log.error("tasks did not stop: %s",
                      ", ".join(sorted(t.get_name() for t in self._running)))
