"""The one reader of ARI's event WebSocket: connect, read, reconnect with growing back-off."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

import aiohttp

from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.ari.events import Event, parse_event

log = logging.getLogger(__name__)

MIN_BACKOFF = 0.2
MAX_BACKOFF = 30.0


def next_backoff(current: float) -> float:
    return min(MAX_BACKOFF, max(MIN_BACKOFF, current * 2))


async def run_event_stream(
    client: AriClient,
    session: aiohttp.ClientSession,
    on_event: Callable[[Event], None],
    on_connect: Callable[[], Awaitable[None]],
    connected: asyncio.Event | None = None,
) -> None:
    """Run until cancelled. on_event must not block: it hands events to their call's worker.

    on_connect runs after every (re)connection, before events are read, so the app can
    rebuild its view of live channels from Asterisk.
    """
    backoff = 0.0
    params = {"app": client.app, "subscribeAll": "false"}
    while True:
        try:
            async with session.ws_connect(
                client.events_url, params=params, headers=client.auth_headers, heartbeat=20
            ) as ws:
                log.info("ari connected app=%s", client.app)
                backoff = 0.0
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
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("ari connection failed: %s", exc.__class__.__name__)
        except Exception:
            log.exception("ari on_connect failed")
        if connected is not None:
            connected.clear()
        backoff = next_backoff(backoff)
        log.warning("ari disconnected; reconnecting in %.1fs", backoff)
        await asyncio.sleep(backoff)
