"""The web server: an app factory, its middlewares, and the routes of each feature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import jinja2
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

from lifeline_pbx import config as config_module
from lifeline_pbx.admin import views as admin_views
from lifeline_pbx.cases import views as cases_views
from lifeline_pbx.console import views as console_views
from lifeline_pbx.paths import HOME
from lifeline_pbx.supervision import call_pages
from lifeline_pbx.supervision import views as supervision_views
from lifeline_pbx.voicemail import views as voicemail_views
from lifeline_pbx.web import auth, errors, login
from lifeline_pbx.web.keys import KEYS, LIFELINE, TEMPLATES

if TYPE_CHECKING:
    from lifeline_pbx.service import Lifeline

__all__ = ["KEYS", "LIFELINE", "TEMPLATES", "AccessLog", "create_app"]

WEB_DIR = HOME / "web"
MAX_BODY = 256 * 1024  # forms and drafts; nothing larger is accepted


@auth.public
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


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")  # case data stays off disk
    return response


def create_app(lifeline: Lifeline) -> web.Application:
    app = web.Application(
        middlewares=[security_headers, errors.error_pages, auth.access], client_max_size=MAX_BODY
    )
    app[LIFELINE] = lifeline
    app[KEYS] = config_module.key_ring(lifeline.config)
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    app.router.add_get("/healthz", health, name="health")
    app.router.add_static("/static", WEB_DIR / "static", name="static")
    login.routes(app)
    admin_views.routes(app)
    console_views.routes(app)
    cases_views.routes(app)
    supervision_views.routes(app)
    call_pages.routes(app)
    voicemail_views.routes(app)
    return app


class AccessLog(AbstractAccessLogger):
    """One line per request: method, path without its query string (a search can hold an
    A-number), status, size and time. No user agent, no referrer."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %d %d %.3fs", request.method, request.path,
                         response.status, response.body_length, time)
