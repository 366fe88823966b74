"""Who is asking, and may they: sessions, roles and CSRF, checked on the server for every route.

Every route is refused unless its handler is marked: `@require(role)` (signed in, with at
least that role) or `@public`. A route someone forgets to mark fails closed.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from lifeline_pbx.accounts import sessions, users
from lifeline_pbx.resources import CONFIG, POOL
from lifeline_pbx.web.bodies import MULTIPART, SAFE_METHODS, URLENCODED, form_data
from lifeline_pbx.web.keys import SESSION, USER, CurrentUser

log = logging.getLogger(__name__)

COOKIE = "lifeline_session"
LOGIN_COOKIE = "lifeline_login"  # double-submit token for the login form (no session yet)
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_MARK = "__lifeline_access__"
TOUCH_EVERY = timedelta(seconds=15)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def require(role: str) -> Callable[[Handler], Handler]:
    """The view needs a fully signed-in user of at least this role (operator<supervisor<admin)."""
    needed = users.rank(role)
    if needed < 0:
        raise ValueError(f"unknown role {role!r}")

    def mark(view: Handler) -> Handler:
        @wraps(view)
        async def checked(request: web.Request) -> web.StreamResponse:
            user = request.get(USER)
            if user is None:
                raise _sign_in_first(request)
            if users.rank(user.role) < needed:
                log.warning("refused user_id=%d role=%s path=%s", user.id, user.role, request.path)
                raise web.HTTPForbidden(text=f"This page is for the {role} role or above.")
            return await view(request)

        setattr(checked, _MARK, role)
        return checked

    return mark


def public(view: Handler) -> Handler:
    setattr(view, _MARK, "public")
    return view


def rule_of(view: object) -> str | None:
    """The access rule a view carries: "public", the least role, or None (refused)."""
    return getattr(view, _MARK, None)


def current_user(request: web.Request) -> CurrentUser:
    if USER not in request:  # only reachable from a view that forgot @require
        raise web.HTTPUnauthorized(text="Sign in first.")
    return request[USER]


def same_origin(request: web.Request) -> bool:
    """The request's Origin (or Referer) is this site, or the browser sent neither."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True  # not a browser; the CSRF token is still required
    own = f"{request.scheme}://{request.host}"
    return source == own or source.startswith(own + "/")


def wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.path.endswith("/ws")


def _sign_in_first(request: web.Request) -> web.HTTPException:
    session = request.get(SESSION)
    if session is not None and session.stage == "second_factor":
        return web.HTTPSeeOther("/login/code")
    if session is not None and session.stage == "enrol":
        return web.HTTPSeeOther("/account/second-factor")
    if wants_json(request) or request.method not in SAFE_METHODS:
        return web.HTTPUnauthorized(text="Your session has ended: sign in again.")
    if request.path == "/":
        return web.HTTPSeeOther("/login")
    return web.HTTPSeeOther("/login?" + urlencode({"next": request.path_qs}))


def _access_mark(request: web.Request) -> str | None:
    if request.match_info.http_exception is not None or request.path.startswith("/static/"):
        return "public"  # 404/405 pages, and the stylesheets and scripts
    return rule_of(request.match_info.handler)


@web.middleware
async def access(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the session, refuse unmarked routes, check Origin and the CSRF token on writes."""
    mark = _access_mark(request)
    if mark is None:
        log.error("route without an access rule path=%s", request.path)
        raise web.HTTPForbidden(text="This page has no access rule.")
    await _load_session(request)
    if request.method not in SAFE_METHODS:
        await _check_csrf(request)
    return await handler(request)


async def _load_session(request: web.Request) -> None:
    token = request.cookies.get(COOKIE)
    if not token:
        return
    cfg = request.app[CONFIG]
    async with request.app[POOL].acquire() as con:
        found = await users.by_session(con, sessions.digest(token))
        if found is None:
            return
        session, user = found
        now = datetime.now(UTC)
        if not user.enabled or not sessions.alive(
                session, now, cfg.session_idle, cfg.session_lifetime):
            await sessions.delete(con, session.token_hash)
            return
        if now - session.last_seen_at > TOUCH_EVERY:
            await sessions.touch(con, session)
    request[SESSION] = session
    if session.stage == "full":
        request[USER] = CurrentUser(
            user.id, user.username, user.display_name, user.role, user.operator_username)


async def _check_csrf(request: web.Request) -> None:
    if not same_origin(request):
        raise web.HTTPForbidden(text="Refused: the request came from another site.")
    session = request.get(SESSION)
    if request.path == "/login":  # no session yet: the login form's own double-submit token
        expected = request.cookies.get(LOGIN_COOKIE, "")
    else:
        expected = session.csrf_token if session else ""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await form_data(request) if request.content_type in (URLENCODED, MULTIPART) else {}
        sent = form.get(CSRF_FIELD, "")
    # Tokens are ASCII (a cookie or header need not be); compare_digest raises TypeError
    # on non-ASCII text.
    if not (expected and sent and expected.isascii() and sent.isascii()
            and hmac.compare_digest(expected, sent)):
        raise web.HTTPForbidden(
            text="Refused: the form had expired or was not ours. Reload the page and try again.")


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(COOKIE, token, **cookie_options(request))


def cookie_options(request: web.Request) -> dict[str, Any]:
    secure = request.secure or request.app[CONFIG].secure_cookies
    return {"httponly": True, "secure": secure, "samesite": "Strict", "path": "/"}
