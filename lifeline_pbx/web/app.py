"""The web server: an app factory, its routes, and the error pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import jinja2
from aiohttp import web

from lifeline_pbx.paths import HOME

if TYPE_CHECKING:
    from lifeline_pbx.service import Lifeline

LIFELINE: web.AppKey[Lifeline] = web.AppKey("lifeline")
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("templates")
WEB_DIR = HOME / "web"


async def health(request: web.Request) -> web.Response:
    lifeline = request.app[LIFELINE]
    database = "ok"
    try:
        async with lifeline.pool.acquire() as con:
            await con.fetchval("SELECT 1")
    except Exception:  # any failure means the database is not usable
        database = "unavailable"
    asterisk = "connected" if lifeline.connected.is_set() else "disconnected"
    healthy = database == "ok" and asterisk == "connected"
    return web.json_response(
        {"database": database, "asterisk": asterisk, "calls": len(lifeline.dispatcher.sessions)},
        status=200 if healthy else 503,
    )


async def index(request: web.Request) -> web.Response:
    template = request.app[TEMPLATES].get_template("index.html")
    lifeline = request.app[LIFELINE]
    html = template.render(
        asterisk_connected=lifeline.connected.is_set(),
        live_calls=len(lifeline.dispatcher.sessions),
    )
    return web.Response(text=html, content_type="text/html")


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault(
        "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"
    )
    return response


def create_app(lifeline: Lifeline) -> web.Application:
    app = web.Application(middlewares=[security_headers], client_max_size=1024**2)
    app[LIFELINE] = lifeline
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    app.router.add_get("/", index, name="index")
    app.router.add_get("/healthz", health, name="health")
    app.router.add_static("/static", WEB_DIR / "static", name="static")
    return app
