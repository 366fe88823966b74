"""The one reader of ARI's event WebSocket: connect, read, reconnect with a growing wait."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import NoReturn

import aiohttp

from lifeline_pbx import backoff
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.ari.events import Event, parse_event

log = logging.getLogger(__name__)


async def run_event_stream(
    client: AriClient,
    session: aiohttp.ClientSession,
    on_event: Callable[[Event], None],
    on_connect: Callable[[], Awaitable[None]],
    connected: asyncio.Event | None = None,
) -> NoReturn:
    """Run until cancelled. on_event must not block: it hands events to their call's worker.

    on_connect runs after every (re)connection, before events are read, so the app can
    rebuild its view of live channels from Asterisk.
    """
    params = {"app": client.app, "subscribeAll": "false"}

    async def read(up: Callable[[], None]) -> None:
        try:
            async with session.ws_connect(
                client.events_url, params=params, headers=client.auth_headers, heartbeat=20
            ) as ws:
                log.info("ari connected app=%s", client.app)
                up()
                await on_connect()
                if connected is not None:
                    connected.set()
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    try:
                        event = parse_event(json.loads(message.data))
                    except (ValueError, TypeError, AttributeError):
                        log.warning("ari event unreadable, skipped")
                        continue
                    on_event(event)
        finally:
            if connected is not None:
                connected.clear()
        log.warning("ari disconnected")

    await backoff.keep_running(read, what="ari event stream",
                               expected=(aiohttp.ClientError, OSError, TimeoutError))
