"""Web request times for the metrics, by route pattern: /people/{id}, never /people/42.

The outermost middleware of the web UI, so the time includes the error pages, the body
guard and the access check. WebSockets are left out: their time is the whole session.
"""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler

from lifeline_pbx.resources import METRICS

UNMATCHED = "unmatched"  # no route: a 404 or 405 (the path itself could be anything)


def route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


@web.middleware
async def timing(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    websocket = False
    try:
        response = await handler(request)
        status = response.status
        websocket = isinstance(response, web.WebSocketResponse)
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        if not websocket:
            request.app[METRICS].web_requested(route_label(request), request.method, status,
                                               time.perf_counter() - started)
