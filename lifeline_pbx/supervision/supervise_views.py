"""Supervisors acting on the live queues: listen to, whisper to or join a call from their
own phone, hang that up, and pause or log out an operator; and one call's page with its
timeline and links to what came of it. Every route needs the supervisor role (admins too),
checked on the server; the engine's parts answer 503 when the app runs without calls.
"""

from __future__ import annotations

import logging

from aiohttp import web

from lifeline_pbx.cases.webutil import path_uuid
from lifeline_pbx.console import messages
from lifeline_pbx.errors import Conflict, Invalid, NotFound, Unavailable
from lifeline_pbx.resources import KEY_RING, LISTEN_IN, POOL
from lifeline_pbx.supervision import call_timeline, force_rules, listen_rules, operator_control
from lifeline_pbx.supervision.call_links import call_links
from lifeline_pbx.supervision.listen_in import ListenIn
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.calls import NO_ENGINE, acd
from lifeline_pbx.web.errors import answers_json
from lifeline_pbx.web.render import render

log = logging.getLogger(__name__)
NOT_SUPERVISING = "You are not on a call as a supervisor."


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.post("/supervisor/calls/{id}/supervise", supervise, name="supervise"),
        web.post("/supervisor/supervise/stop", supervise_stop, name="supervise_stop"),
        web.post("/supervisor/operators/{username}/{action}", force_operator,
                 name="force_operator"),
        web.get("/calls/{id}", call_page, name="call"),
    ]


def _listen_in(request: web.Request) -> ListenIn:
    if LISTEN_IN not in request.app:
        raise Unavailable(NO_ENGINE)
    return request.app[LISTEN_IN]


def _supervisor(request: web.Request) -> listen_rules.Supervisor:
    user = current_user(request)
    return listen_rules.Supervisor(user.id, user.role, user.operator_username)


@require("supervisor")
@answers_json
async def supervise(request: web.Request) -> web.StreamResponse:
    call_id = path_uuid(request)
    mode = (await form_data(request)).get("mode", "")
    if mode not in listen_rules.MODES:
        raise Invalid(listen_rules.UNKNOWN_MODE, "mode")
    session = await _listen_in(request).start(_supervisor(request), call_id, mode)
    log.info("supervise call=%s mode=%s user_id=%d", call_id, mode, session.user_id)
    return web.json_response({"supervising": session.view()})


@require("supervisor")
@answers_json
async def supervise_stop(request: web.Request) -> web.StreamResponse:
    if not await _listen_in(request).stop(current_user(request).id):
        raise Conflict(NOT_SUPERVISING)
    return web.json_response({"supervising": None})


@require("supervisor")
@answers_json
async def force_operator(request: web.Request) -> web.StreamResponse:
    action = request.match_info["action"]
    if action not in force_rules.ACTIONS:
        raise NotFound(force_rules.UNKNOWN_ACTION)
    form = await form_data(request)
    reason = ""
    if action == "pause":
        reason = messages.pause_reason(form.get("reason", ""), form.get("note", ""))
    await operator_control.force(acd(request), request.app[POOL], current_user(request).id,
                                 request.match_info["username"], action, reason)
    return web.json_response({"ok": True})


@require("supervisor")
async def call_page(request: web.Request) -> web.StreamResponse:
    call_id = path_uuid(request)
    async with request.app[POOL].acquire() as con:
        found = await call_timeline.timeline(con, request.app[KEY_RING], call_id)
    if found is None:
        raise NotFound("No such call.")
    user = current_user(request)
    return render(request, "supervision/call.html", timeline=found,
                  produced=call_links(found.produced, user.id, user.role))
