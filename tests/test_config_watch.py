"""The engine's copies of its configuration are loaded once they can follow changes
(lifeline_pbx/config_watch.py)."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from lifeline_pbx.config_watch import ConfigWatch
from lifeline_pbx.pg_listen import Listener
from lifeline_pbx.resources import CONFIG_WATCH
from tests.waiting import wait_for


async def test_a_part_registered_after_the_listen_is_loaded_and_current(app_dsn: str) -> None:
    """The engine registers its parts between awaits: the LISTEN, and the reload of every
    part it triggers, can come before a part is registered. That part still gets its first
    load, and is current after it, with no change to the tables."""
    listener = Listener(app_dsn)
    watch = ConfigWatch(listener)
    loads: list[str] = []

    async def reload() -> None:
        loads.append("lines")

    listening = asyncio.create_task(listener.run())
    try:
        await wait_for(listener.listening.is_set, what="listening")
        watch.on("lines", ("lines",), reload)
        running = asyncio.create_task(watch.run())
        try:
            await wait_for(lambda: watch.current("lines"), what="the part current")
            assert loads == ["lines"]
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening


async def test_every_part_of_a_started_engine_is_current(lifeline: web.Application) -> None:
    """Calls are routed from the lines' copy only while it is current: otherwise each call
    reads its line from PostgreSQL."""
    watch = lifeline[CONFIG_WATCH]
    parts = ("lines", "prompts", "queues")
    await wait_for(lambda: all(watch.current(part) for part in parts), what="every part current")
    assert all(watch.reloads(part) >= 1 for part in parts)
