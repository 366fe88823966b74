"""The console's warm transfer, conference and relay routes. Every route needs a
signed-in operator (or higher role) with a linked SIP account, and acts only for that
account: a transfer or conference only on the call bridged with their own phone, a relay
call only from their own phone. The engine answers 503 when the app runs without calls."""

from __future__ import annotations

import logging
import uuid

from aiohttp import web

from lifeline_pbx.cases.webutil import path_uuid
from lifeline_pbx.errors import Conflict, Invalid, Unavailable
from lifeline_pbx.resources import TRANSFERS
from lifeline_pbx.transfers.service import Asker, Side, Transfers
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.calls import NO_ENGINE
from lifeline_pbx.web.errors import answers_json

log = logging.getLogger(__name__)
UNLINKED = "Your account is not linked to a phone (SIP) account."


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.post("/console/calls/{id}/conference", conference, name="console_conference"),
        web.get("/console/calls/{id}/transfer-choices", choices,
                name="console_transfer_choices"),
        web.post("/console/calls/{id}/transfer", transfer, name="console_transfer"),
        web.post("/console/calls/{id}/transfer-out", transfer_out,
                 name="console_transfer_out"),
        web.post("/console/side/complete", side_complete, name="console_side_complete"),
        web.post("/console/side/return", side_return, name="console_side_return"),
        web.post("/console/calls/{id}/queue", to_queue, name="console_to_queue"),
        web.post("/console/relay", relay, name="console_relay"),
        web.post("/console/side/hangup", side_hangup, name="console_side_hangup"),
    ]


def _follow_up(value: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Invalid("No such follow-up.", "follow_up_id") from None


def _transfers(request: web.Request) -> Transfers:
    if TRANSFERS not in request.app:
        raise Unavailable(NO_ENGINE)
    return request.app[TRANSFERS]


def _asker(request: web.Request) -> Asker:
    user = current_user(request)
    if user.operator_username is None:
        raise Conflict(UNLINKED)
    return Asker(user.operator_username, user.id, user.at_least("supervisor"))


def _asked(what: str, call_id: uuid.UUID, side: Side) -> web.Response:
    log.info("%s asked call=%s user_id=%d", what, call_id, side.user_id)
    return web.json_response({"side": side.view()})


@require("operator")
@answers_json
async def conference(request: web.Request) -> web.StreamResponse:
    call_id = path_uuid(request)
    number = (await form_data(request)).get("number", "")
    side = await _transfers(request).conference(_asker(request), call_id, number)
    return _asked("conference", call_id, side)


@require("operator")
@answers_json
async def choices(request: web.Request) -> web.StreamResponse:
    call_id = path_uuid(request)
    return web.json_response(await _transfers(request).choices(_asker(request), call_id))


@require("operator")
@answers_json
async def transfer(request: web.Request) -> web.StreamResponse:
    call_id = path_uuid(request)
    target = (await form_data(request)).get("to", "").strip()
    side = await _transfers(request).warm(_asker(request), call_id, target)
    return _asked("warm transfer", call_id, side)


@require("operator")
@answers_json
async def transfer_out(request: web.Request) -> web.StreamResponse:
    call_id = path_uuid(request)
    number = (await form_data(request)).get("number", "")
    side = await _transfers(request).transfer_out(_asker(request), call_id, number)
    return _asked("transfer out", call_id, side)


@require("operator")
@answers_json
async def to_queue(request: web.Request) -> web.StreamResponse:
    call_id = path_uuid(request)
    form = await form_data(request)
    queue = form.get("queue_id", "").strip()
    _transfers(request).to_queue(_asker(request), call_id,
                                 int(queue) if queue.isascii() and queue.isdigit() else None,
                                 form.get("language", "").strip())
    log.info("queue transfer call=%s", call_id)
    return web.json_response({"queued": True})


@require("operator")
@answers_json
async def side_complete(request: web.Request) -> web.StreamResponse:
    side = await _transfers(request).complete(_asker(request).username)
    return web.json_response({"side": side.view()})


@require("operator")
@answers_json
async def side_return(request: web.Request) -> web.StreamResponse:
    side = await _transfers(request).back(_asker(request).username)
    return web.json_response({"side": side.view()})


@require("operator")
@answers_json
async def relay(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    follow_up = form.get("follow_up_id", "").strip()
    side = await _transfers(request).relay(_asker(request), form.get("number", ""),
                                           _follow_up(follow_up))
    log.info("relay call asked user_id=%d", side.user_id)
    return web.json_response({"side": side.view()})


@require("operator")
@answers_json
async def side_hangup(request: web.Request) -> web.StreamResponse:
    await _transfers(request).hang_up(_asker(request).username)
    return web.json_response({"side": None})
