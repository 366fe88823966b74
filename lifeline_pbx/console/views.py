"""The operator console's routes: the page, its WebSocket, availability, ready after
wrap-up and more wrap-up time.

Every route needs a signed-in operator (or higher role) and acts only on the SIP account
linked to that user: nobody can drive another operator's state. The WebSocket is refused
to a foreign Origin (a page on another site cannot read an operator's screen pops) and
closes when the session ends.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import intake_work
from lifeline_pbx.cases.views import intake_context
from lifeline_pbx.console import actions, messages
from lifeline_pbx.errors import Conflict, Forbidden, Invalid
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web import live_session
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.calls import acd, hub
from lifeline_pbx.web.errors import answers_json
from lifeline_pbx.web.keys import CurrentUser
from lifeline_pbx.web.render import render

log = logging.getLogger(__name__)
SESSION_CHECK_SECONDS = 30.0
WS_SIGNED_OUT = live_session.WS_SIGNED_OUT
UNLINKED = ("Your account is not linked to a phone (SIP) account, so you cannot take calls "
            "here. Ask an admin to link one.")
ACTIONS = ("login", "pause", "resume", "logout")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/console", console_page, name="console"),
        web.get("/console/ws", console_ws, name="console_ws"),
        web.post("/console/state", console_state, name="console_state"),
        web.post("/console/ready", console_ready, name="console_ready"),
        web.post("/console/more-time", console_more_time, name="console_more_time"),
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
        choices, unfinished = await intake_work.console_form(con, request.app[KEY_RING],
                                                             current_user(request).id)
    return {**intake_context(choices), "unfinished": unfinished}


@require("operator")
async def console_ws(request: web.Request) -> web.StreamResponse:
    if not live_session.same_origin_strict(request):
        log.warning("console websocket refused: foreign origin user_id=%d",
                    current_user(request).id)
        raise Forbidden("Refused: the request came from another site.")
    username = _operator(current_user(request))
    live, distributor = hub(request), acd(request)

    def on_duty() -> bool:
        # Logged in to the queues, waiting for calls: an open console is activity.
        # Logged out of the queues, idle time counts.
        operator = distributor.picture.operators.get(username)
        return operator is not None and operator.logged_in

    with live.subscribe(username) as sub:
        return await live_session.serve(
            request, sub, lambda: live.snapshot(username), name=f"console-ws-{username}",
            check_every=SESSION_CHECK_SECONDS, on_duty=on_duty)


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


@require("operator")
@answers_json
async def console_more_time(request: web.Request) -> web.StreamResponse:
    username = _operator(current_user(request))
    state = await actions.extend_wrap_up(acd(request), hub(request), username)
    log.info("console action operator=%s action=more_time", username)
    return web.json_response(state)
