"""/healthz: ok or not, for a container's health check or a monitor.

Anyone may ask, so the public answer is only the status; a signed-in supervisor also
sees what is wrong (the database, Asterisk) and how many calls are live.
"""

from __future__ import annotations

from aiohttp import web

from lifeline_pbx import db
from lifeline_pbx.resources import POOL
from lifeline_pbx.web.auth import public
from lifeline_pbx.web.calls import asterisk_connected, live_calls
from lifeline_pbx.web.keys import USER


@public
async def health(request: web.Request) -> web.Response:
    database = "ok" if await db.reachable(request.app[POOL]) else "unavailable"
    asterisk = "connected" if asterisk_connected(request.app) else "disconnected"
    healthy = database == "ok" and asterisk == "connected"
    body: dict[str, object] = {"status": "ok" if healthy else "unavailable"}
    user = request.get(USER)
    if user is not None and user.at_least("supervisor"):
        body.update(database=database, asterisk=asterisk,
                    calls=live_calls(request.app))
    return web.json_response(body, status=200 if healthy else 503)
