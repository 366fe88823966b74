"""Fire-and-forget tasks that are neither garbage-collected mid-flight nor silent on failure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)
_running: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, Any], name: str = "") -> asyncio.Task[Any]:
    task = asyncio.create_task(coro, name=name or None)
    _running.add(task)
    task.add_done_callback(_done)
    return task


def _done(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("background task failed name=%s", task.get_name(), exc_info=task.exception())
