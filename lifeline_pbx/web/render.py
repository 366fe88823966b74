"""Rendering a page: the template, the signed-in user, the CSRF token, the top bar's
current link, for admins the problems found at start (start_checks.py), and for an operator
logged in to the queues the console's live feed on other pages (a call put through shows)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from lifeline_pbx.resources import PROBLEMS
from lifeline_pbx.web import nav
from lifeline_pbx.web.calls import logged_in_to_queues
from lifeline_pbx.web.keys import SESSION, TEMPLATES, USER


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    session = request.get(SESSION)
    user = request.get(USER)
    html = request.app[TEMPLATES].get_template(template).render(
        user=user,
        csrf_token=session.csrf_token if session else "",
        path=request.path,
        current=nav.current(request.path, request.query),
        problems=request.app[PROBLEMS] if user is not None and user.role == "admin" else [],
        # pages other than the console show a call put through (static/call_banner.js)
        call_feed=user is not None and request.path != "/console" and logged_in_to_queues(
            request.app, user.operator_username),
        **context,
    )
    return web.Response(text=html, content_type="text/html", status=status)
