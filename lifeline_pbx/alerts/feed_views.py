"""The supervisors' live feed of spike alerts and new voicemails, over a WebSocket that
the queue view and the console open (web/static/supervisor_feed.js).

Supervisors (and admins) only; refused to a foreign Origin; closed when the session ends.
"""

from __future__ import annotations

import logging

from aiohttp import web

from lifeline_pbx.alerts import feed
from lifeline_pbx.errors import Forbidden
from lifeline_pbx.resources import FEED, POOL
from lifeline_pbx.web import live_session
from lifeline_pbx.web.auth import current_user, require

log = logging.getLogger(__name__)
SESSION_CHECK_SECONDS = 30.0


def routes() -> list[web.AbstractRouteDef]:
    return [web.get("/supervisor/alerts/ws", supervisor_ws, name="supervisor_alerts_ws")]


@require("supervisor")
async def supervisor_ws(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    if not live_session.same_origin_strict(request):
        log.warning("supervisor feed refused: foreign origin user_id=%d", user.id)
        raise Forbidden("Refused: the request came from another site.")
    pool = request.app[POOL]
    with request.app[FEED].subscribe(user.username) as sub:
        return await live_session.serve(
            request, sub, lambda: feed.snapshot(pool), name=f"supervisor-feed-{user.id}",
            check_every=SESSION_CHECK_SECONDS)
