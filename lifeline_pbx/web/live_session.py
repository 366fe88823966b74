"""A screen's live WebSocket (the operator console's, the supervisors' feed): refused to a
foreign Origin, a snapshot first, then the subscription's messages, closed when the
session is signed out or expires (the page then stops reconnecting)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, web

from lifeline_pbx.accounts import sessions
from lifeline_pbx.console.live import Subscription
from lifeline_pbx.console.messages import Message
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.resources import CONFIG, POOL, TASKS
from lifeline_pbx.web.auth import COOKIE

WS_SIGNED_OUT = 4401  # the page shows "signed out" and stops reconnecting


def same_origin_strict(request: web.Request) -> bool:
    """A WebSocket must carry an Origin naming this host (browsers always send one)."""
    origin = request.headers.get("Origin", "")
    return bool(origin) and urlsplit(origin).netloc == request.host


def _nobody() -> bool:
    return False


async def serve(request: web.Request, sub: Subscription,
                snapshot: Callable[[], Awaitable[list[Message]]], *, name: str,
                check_every: float, on_duty: Callable[[], bool] = _nobody,
                ) -> web.WebSocketResponse:
    """Serve the subscription until either side closes. on_duty: whether an open screen
    counts as activity that keeps the session alive (the absolute lifetime still ends it)."""
    ws = web.WebSocketResponse(heartbeat=25.0, max_msg_size=4096)
    await ws.prepare(request)
    sender = request.app[TASKS].spawn(
        _send(ws, sub, snapshot, request, check_every, on_duty), name)
    try:
        async for _ in ws:  # the page sends nothing we act on; this notices a close
            pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
    return ws


async def _send(ws: web.WebSocketResponse, sub: Subscription,
                snapshot: Callable[[], Awaitable[list[Message]]], request: web.Request,
                check_every: float, on_duty: Callable[[], bool]) -> None:
    for message in await snapshot():
        await ws.send_json(message)
    checker = request.app[TASKS].spawn(_watch_session(sub, request, check_every, on_duty),
                                       "live-session")
    try:
        async for message in sub.messages():
            await ws.send_json(message)
    finally:
        checker.cancel()
    code = WS_SIGNED_OUT if sub.signed_out else WSCloseCode.GOING_AWAY
    await ws.close(code=code, message=b"signed out" if sub.signed_out else b"going away")


async def _watch_session(sub: Subscription, request: web.Request, every: float,
                         on_duty: Callable[[], bool]) -> None:
    """Close the screen when its session is signed out or has expired."""
    cfg, pool = request.app[CONFIG], request.app[POOL]
    token = request.cookies.get(COOKIE, "")
    while True:
        await asyncio.sleep(every)
        try:
            async with pool.acquire() as con:
                session = await sessions.find(con, token)
        except DATABASE_ERRORS:
            continue  # the database is away: keep the screen, check again later
        if session is None or not sessions.alive(
                session, datetime.now(UTC), cfg.session_idle, cfg.session_lifetime):
            sub.signed_out = True
            sub.close()
            return
        if on_duty():
            with contextlib.suppress(*DATABASE_ERRORS):
                async with pool.acquire() as con:
                    await sessions.touch(con, session)
