"""The operator console's routes: the page, its WebSocket, availability and ready-after-wrap-up.

Every route needs a signed-in operator (or higher role) and acts only on the SIP account
linked to that user: nobody can drive another operator's state. The WebSocket is refused
to a foreign Origin (a page on another site cannot read an operator's screen pops) and
closes when the session ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, web

from lifeline_pbx.accounts import sessions
from lifeline_pbx.cases import intake_work
from lifeline_pbx.cases.views import intake_context
from lifeline_pbx.console import actions, messages
from lifeline_pbx.console.live import LiveHub, Subscription
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.errors import Conflict, Forbidden, Invalid
from lifeline_pbx.resources import CONFIG, POOL, TASKS
from lifeline_pbx.web.auth import COOKIE, current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.calls import acd, hub
from lifeline_pbx.web.errors import answers_json
from lifeline_pbx.web.keys import CurrentUser
from lifeline_pbx.web.render import render

log = logging.getLogger(__name__)
SESSION_CHECK_SECONDS = 30.0
WS_SIGNED_OUT = 4401  # the console shows "signed out" and stops reconnecting
UNLINKED = ("Your account is not linked to a phone (SIP) account, so you cannot take calls "
            "here. Ask an admin to link one.")
ACTIONS = ("login", "pause", "resume", "logout")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/console", console_page, name="console"),
        web.get("/console/ws", console_ws, name="console_ws"),
        web.post("/console/state", console_state, name="console_state"),
        web.post("/console/ready", console_ready, name="console_ready"),
    ]


def _operator(user: CurrentUser) -> str:
    if user.operator_username is None:
        raise Conflict(UNLINKED)
    return user.operator_username


@require("operator")
async def console_page(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    context: dict[str, Any] = {}
    if user.operator_username is not None:
        context = await _intake_context(request)
    return render(request, "console/console.html", unlinked=UNLINKED,
                  linked=user.operator_username is not None,
                  pause_reasons=messages.PAUSE_REASONS, note_max=messages.NOTE_MAX, **context)


async def _intake_context(request: web.Request) -> dict[str, Any]:
    async with request.app[POOL].acquire() as con:
        return intake_context(await intake_work.choices(con))


def _same_origin_strict(request: web.Request) -> bool:
    """A WebSocket must carry an Origin naming this host (browsers always send one)."""
    origin = request.headers.get("Origin", "")
    return bool(origin) and urlsplit(origin).netloc == request.host


@require("operator")
async def console_ws(request: web.Request) -> web.StreamResponse:
    if not _same_origin_strict(request):
        log.warning("console websocket refused: foreign origin user_id=%d",
                    current_user(request).id)
        raise Forbidden("Refused: the request came from another site.")
    username = _operator(current_user(request))
    live = hub(request)
    ws = web.WebSocketResponse(heartbeat=25.0, max_msg_size=4096)
    await ws.prepare(request)
    with live.subscribe(username) as sub:
        sender = request.app[TASKS].spawn(_send(ws, sub, live, request),
                                          f"console-ws-{username}")
        try:
            async for _ in ws:  # the console sends nothing we act on; this notices a close
                pass
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
    return ws


async def _send(ws: web.WebSocketResponse, sub: Subscription, hub: LiveHub,
                request: web.Request) -> None:
    for message in await hub.snapshot(sub.username):
        await ws.send_json(message)
    checker = request.app[TASKS].spawn(_watch_session(sub, request), "console-session")
    try:
        async for message in sub.messages():
            await ws.send_json(message)
    finally:
        checker.cancel()
    code = WS_SIGNED_OUT if sub.signed_out else WSCloseCode.GOING_AWAY
    await ws.close(code=code, message=b"signed out" if sub.signed_out else b"going away")


async def _watch_session(sub: Subscription, request: web.Request) -> None:
    """Close the console when its session is signed out or has expired."""
    cfg, pool, distributor = request.app[CONFIG], request.app[POOL], acd(request)
    token = request.cookies.get(COOKIE, "")
    while True:
        await asyncio.sleep(SESSION_CHECK_SECONDS)
        try:
            async with pool.acquire() as con:
                session = await sessions.find(con, token)
        except DATABASE_ERRORS:
            continue  # the database is away: keep the console, check again later
        if session is None or not sessions.alive(
                session, datetime.now(UTC), cfg.session_idle, cfg.session_lifetime):
            sub.signed_out = True
            sub.close()
            return
        operator = distributor.picture.operators.get(sub.username)
        if operator is not None and operator.logged_in:
            # On duty, waiting for calls: an open console is activity (the absolute
            # lifetime still ends the session). Logged out of the queues, idle time counts.
            with contextlib.suppress(*DATABASE_ERRORS):
                async with pool.acquire() as con:
                    await sessions.touch(con, session)


@require("operator")
@answers_json
async def console_state(request: web.Request) -> web.StreamResponse:
    username = _operator(current_user(request))
    form = dict(await form_data(request))
    action = form.get("action", "")
    if action not in ACTIONS:
        raise Invalid("Unknown action.", "action")
    reason = ""
    if action == "pause":
        reason = messages.pause_reason(form.get("reason", ""), form.get("note", ""))
    state = await actions.act(acd(request), hub(request), username, action, reason)
    log.info("console action operator=%s action=%s", username, action)
    return web.json_response(state)


@require("operator")
@answers_json
async def console_ready(request: web.Request) -> web.StreamResponse:
    username = _operator(current_user(request))
    return web.json_response(await actions.ready(acd(request), hub(request), username))
