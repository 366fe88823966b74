"""What views read of the call engine. The app may run without it (create_app with
calls=False: the web UI alone, as in HTTP tests); then what needs it answers 503."""

from __future__ import annotations

import uuid

from aiohttp import web

from lifeline_pbx.console.live import LiveHub
from lifeline_pbx.errors import Unavailable
from lifeline_pbx.queues.acd import Acd
from lifeline_pbx.resources import ACD, CONNECTED, DISPATCHER, HUB, WRITER

NO_ENGINE = "The telephone system is not running here."


def acd(request: web.Request) -> Acd:
    if ACD not in request.app:
        raise Unavailable(NO_ENGINE)
    return request.app[ACD]


def hub(request: web.Request) -> LiveHub:
    if HUB not in request.app:
        raise Unavailable(NO_ENGINE)
    return request.app[HUB]


def logged_in_to_queues(app: web.Application, operator: str | None) -> bool:
    """The operator takes queue calls now (the distributor's picture); False without it."""
    found = app[ACD].picture.operators.get(operator) if ACD in app and operator else None
    return found is not None and found.logged_in


def asterisk_connected(app: web.Application) -> bool:
    return CONNECTED in app and app[CONNECTED].is_set()


def live_calls(app: web.Application) -> int:
    return len(app[DISPATCHER].sessions) if DISPATCHER in app else 0


def bridged_operator(app: web.Application, call_id: uuid.UUID) -> str | None:
    """The operator whose phone the call is bridged to now; None without the engine."""
    talk = app[ACD].picture.talking.get(call_id) if ACD in app else None
    return talk.operator if talk is not None else None


async def call_written(app: web.Application, call_id: uuid.UUID) -> None:
    """Wait until what the engine knows of the call is in its row (the writer gathers
    writes for a moment before it commits): a view about to read the row asks this."""
    if WRITER in app:
        await app[WRITER].written(call_id)
