"""The web server's own parts: middlewares, templates, headers and the access log.
The app itself is built in lifeline_pbx/app.py (create_app), its routes in web/routes.py."""

from __future__ import annotations

import jinja2
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

from lifeline_pbx.cases.forms import LANGUAGE_NAMES, language_name
from lifeline_pbx.paths import HOME
from lifeline_pbx.voicemail import reasons as voicemail_reasons
from lifeline_pbx.web import auth, bodies, errors, headers, times
from lifeline_pbx.web.compiled_templates import COMPILED

WEB_DIR = HOME / "web"
MAX_BODY = 256 * 1024  # forms and drafts; nothing larger is accepted
MIDDLEWARES = (errors.error_pages, bodies.guard, auth.access)
on_response_prepare = headers.on_prepare


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=COMPILED,
    )
    env.filters["language"] = language_name
    env.filters["counted"] = counted
    env.filters["voicemail_reason"] = voicemail_reasons.said
    env.filters["when"] = times.when
    env.filters["clock"] = times.clock
    env.filters["day"] = times.day
    env.filters["month"] = times.month
    env.globals["hotline_zone"] = times.HOTLINE_ZONE
    env.globals["language_names"] = LANGUAGE_NAMES  # the same names for the pages' scripts
    return env


def counted(n: int, one: str, many: str = "") -> str:
    """"1 day", "3 days", "1 facility", "2 facilities" (the templates' `counted` filter)."""
    return f"{n} {one if n == 1 else many or one + 's'}"


class AccessLog(AbstractAccessLogger):
    """One line per request: method, path without its query string (a search can hold an
    A-number), status, size and time, as key=value pairs (JSON logs make them fields). The
    path as sent, still %-encoded: one word, whatever was typed into it. No user agent, no
    referrer."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s", access_line(request.method, request.rel_url.raw_path,
                                           response.status, response.body_length, time))


def access_line(method: str, path: str, status: int, size: int, seconds: float) -> str:
    return (f"request method={method} path={path} status={status} bytes={size} "
            f"seconds={seconds:.3f}")
