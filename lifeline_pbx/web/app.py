"""The web server: an app factory, its middlewares, and the routes of each feature."""

from __future__ import annotations

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
from lifeline_pbx.web import auth, bodies, errors, headers, login
from lifeline_pbx.web.compiled_templates import COMPILED
from lifeline_pbx.web.health import health
from lifeline_pbx.web.keys import KEYS, LIFELINE, TEMPLATES

if TYPE_CHECKING:
    from lifeline_pbx.service import Lifeline

__all__ = ["KEYS", "LIFELINE", "TEMPLATES", "AccessLog", "create_app"]

WEB_DIR = HOME / "web"
MAX_BODY = 256 * 1024  # forms and drafts; nothing larger is accepted


def create_app(lifeline: Lifeline) -> web.Application:
    app = web.Application(
        middlewares=[errors.error_pages, bodies.guard, auth.access], client_max_size=MAX_BODY
    )
    app.on_response_prepare.append(headers.on_prepare)
    app[LIFELINE] = lifeline
    app[KEYS] = config_module.key_ring(lifeline.config)
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=COMPILED,
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
