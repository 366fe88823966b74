"""/healthz: ok or not, for a container's health check or a monitor.

Anyone may ask, so the public answer is only the status; a signed-in supervisor also
sees what is wrong (the database, Asterisk, problems found at start) and how many calls
are live. "degraded": calls are answered, but something needs a person (a data key
missing: start_checks.py); like "unavailable" it answers 503, so that monitoring and the
container's health check report it.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from lifeline_pbx import db
from lifeline_pbx.resources import POOL, PROBLEMS
from lifeline_pbx.web.auth import public
from lifeline_pbx.web.calls import asterisk_connected, live_calls
from lifeline_pbx.web.keys import USER


def status(database: bool, asterisk: bool, problems: Sequence[str]) -> str:
    if not (database and asterisk):
        return "unavailable"
    return "degraded" if problems else "ok"


@public
async def health(request: web.Request) -> web.Response:
    database = await db.reachable(request.app[POOL])
    asterisk = asterisk_connected(request.app)
    problems = request.app[PROBLEMS]
    said = status(database, asterisk, problems)
    body: dict[str, object] = {"status": said}
    user = request.get(USER)
    if user is not None and user.at_least("supervisor"):
        body.update(database="ok" if database else "unavailable",
                    asterisk="connected" if asterisk else "disconnected",
                    calls=live_calls(request.app), problems=problems)
    return web.json_response(body, status=200 if said == "ok" else 503)
