"""Sign-in pages: password, second factor, enrolment of a second factor, sign-out."""

from __future__ import annotations

import secrets

from aiohttp import web

from lifeline_pbx import crypto
from lifeline_pbx.accounts import devices, sessions, signin, totp
from lifeline_pbx.cases import unsaved
from lifeline_pbx.console import sign_out
from lifeline_pbx.errors import Invalid
from lifeline_pbx.resources import ACD, CONFIG, KEY_RING, POOL
from lifeline_pbx.web import client_address
from lifeline_pbx.web.auth import (
    COOKIE,
    LOGIN_COOKIE,
    cookie_options,
    public,
    require,
    same_origin,
    set_session_cookie,
)
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.calls import asterisk_connected, live_calls
from lifeline_pbx.web.keys import SESSION, USER
from lifeline_pbx.web.redirects import local_target
from lifeline_pbx.web.render import render

NOTICES = {"queues": "You are signed out. You are logged out of the queues too: "
                     "no queue calls ring your phone now."}


def _address(request: web.Request) -> str:
    return client_address.of(request)


def _device(request: web.Request) -> str:
    return request.cookies.get(devices.COOKIE, "")


def _refused(outcome: signin.Outcome, status: int) -> int:
    """A refused step's status: 503 if a data key is missing, 429 if held, else status."""
    return 503 if outcome.unchecked else 429 if outcome.retry_after else status


def _signed_in(request: web.Request, outcome: signin.Outcome, target: str) -> web.HTTPSeeOther:
    """The redirect that carries the new session's cookie, and after a full sign-in the
    known-device cookie (it outlives the session: it lets this browser past a lock)."""
    assert outcome.token is not None
    response = web.HTTPSeeOther(target)
    set_session_cookie(request, response, outcome.token)
    if outcome.device:
        response.set_cookie(devices.COOKIE, outcome.device,
                            max_age=int(devices.LIFETIME.total_seconds()),
                            **cookie_options(request))
    return response


@public
async def login_page(request: web.Request) -> web.StreamResponse:
    if request.get(USER) is not None:
        raise web.HTTPSeeOther(local_target(request.query.get("next")))
    return _login_form(request, "", 200, request.query.get("next", "/"),
                       NOTICES.get(request.query.get("done", ""), ""))


def _login_form(request: web.Request, error: str, status: int, next_path: str,
                notice: str = "") -> web.Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status=status, error=error, notice=notice,
                      login_token=token, next_path=local_target(next_path))
    response.set_cookie(LOGIN_COOKIE, token, **cookie_options(request))
    return response


@public
async def login(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    next_path = local_target(str(form.get("next", "/")))
    old_session = request.get(SESSION)
    outcome = await signin.with_password(request.app[POOL], username, password, _address(request),
                                         _device(request),
                                         old_session.token_hash if old_session else None)
    if outcome.token is None:
        status = 429 if outcome.retry_after else 401
        response = _login_form(request, outcome.error, status, next_path)
        if outcome.retry_after:
            response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    target = {"second_factor": "/login/code", "enrol": "/account/second-factor"}.get(
        outcome.stage or "", next_path)
    response = _signed_in(request, outcome, target)
    response.del_cookie(LOGIN_COOKIE, path="/")
    raise response


@public
async def code_page(request: web.Request) -> web.StreamResponse:
    session = request.get(SESSION)
    if session is None or session.stage != "second_factor":
        raise web.HTTPSeeOther("/login")
    return render(request, "login_code.html", error="")


@public
async def code(request: web.Request) -> web.StreamResponse:
    session = request.get(SESSION)
    if session is None or session.stage != "second_factor":
        raise web.HTTPSeeOther("/login")
    form = await form_data(request)
    outcome = await signin.with_code(request.app[POOL], request.app[KEY_RING], session,
                                     str(form.get("code", ""))[:16], _address(request),
                                     _device(request))
    if outcome.token is None:
        response = render(request, "login_code.html", status=_refused(outcome, 401),
                          error=outcome.error)
        if outcome.retry_after:
            response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    raise _signed_in(request, outcome, "/")


def _enrol_place(session: sessions.Session) -> str:
    return crypto.place("enrolment", "secret", session.token_hash.hex())


def _enrol_form(request: web.Request, session: sessions.Session, secret: str,
                error: str = "", status: int = 200, has_second_factor: bool = False
                ) -> web.Response:
    sealed = request.app[KEY_RING].seal(secret, _enrol_place(session)).hex()
    username = request[USER].username if USER in request else ""
    return render(request, "enrol.html", status=status, error=error, secret=secret,
                  sealed=sealed, otpauth=totp.uri(secret, username or "lifeline"),
                  replacing=session.stage == "full" and has_second_factor)


@public
async def enrol_page(request: web.Request) -> web.StreamResponse:
    """Admins must set up a second factor before anything else; others may choose to."""
    session = request.get(SESSION)
    if session is None or session.stage not in ("enrol", "full"):
        raise web.HTTPSeeOther("/login")
    replacing = await signin.has_second_factor(request.app[POOL], session.user_id)
    return _enrol_form(request, session, totp.new_secret(), has_second_factor=replacing)


@public
async def enrol(request: web.Request) -> web.StreamResponse:
    session = request.get(SESSION)
    if session is None or session.stage not in ("enrol", "full"):
        raise web.HTTPSeeOther("/login")
    form = await form_data(request)
    keys = request.app[KEY_RING]
    try:
        secret = keys.open(bytes.fromhex(str(form.get("sealed", ""))), _enrol_place(session))
    except (ValueError, crypto.SealError):
        raise Invalid("The enrolment form had expired: reload it.") from None
    outcome = await signin.enrol(request.app[POOL], keys, session, secret,
                                 str(form.get("code", ""))[:16],
                                 str(form.get("current_code", ""))[:16], _device(request),
                                 _address(request))
    if outcome.token is None:
        response = _enrol_form(request, session, secret, outcome.error,
                               _refused(outcome, 422), outcome.had_second_factor)
        if outcome.retry_after:
            response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    raise _signed_in(request, outcome, "/")


@public
async def logout(request: web.Request) -> web.StreamResponse:
    """Signing out; with unsaved intakes of one's own, a page naming them comes first, with
    "Sign out anyway". Signing out of one's last browser logs one out of the queues too."""
    session = request.get(SESSION)
    target = "/login"
    if session is not None:
        user = request.get(USER)
        anyway = (await form_data(request)).get("anyway") == "1"
        cfg = request.app[CONFIG]
        leaving = sign_out.Leaving(user.id if user else None,
                                   user.operator_username if user else None, session.token_hash)
        outcome = await sign_out.sign_out(request.app[POOL], request.app[KEY_RING],
                                          request.app.get(ACD), leaving, anyway,
                                          cfg.session_idle, cfg.session_lifetime)
        if isinstance(outcome, unsaved.Unsaved):
            return render(request, "cases/signout_unsaved.html", unsaved=outcome,
                          unfinished=outcome.on_calls)
        if outcome.left_queues:
            target = "/login?done=queues"
    response = web.HTTPSeeOther(target)
    response.del_cookie(COOKIE, path="/")
    raise response


@require("operator")
async def session_token(request: web.Request) -> web.StreamResponse:
    """This session's CSRF token, for a page opened under an earlier session (signed in
    again in another tab): its script asks once for the token and sends what was typed
    again. Only to this site's own pages; another site's script could not read the
    answer anyway, but it is not given the chance."""
    fetched_from = request.headers.get("Sec-Fetch-Site", "same-origin")
    if fetched_from != "same-origin" or not same_origin(request):
        raise web.HTTPForbidden(text="Refused: the request came from another site.")
    session = request[SESSION]
    return web.json_response({"csrf_token": session.csrf_token})


@require("operator")
async def home(request: web.Request) -> web.StreamResponse:
    return render(request, "index.html", asterisk_connected=asterisk_connected(request.app),
                  live_calls=live_calls(request.app))


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/", home, name="index"),
        web.get("/login", login_page, name="login"),
        web.post("/login", login),
        web.get("/login/code", code_page, name="login-code"),
        web.post("/login/code", code),
        web.get("/account/second-factor", enrol_page, name="enrol"),
        web.post("/account/second-factor", enrol),
        web.post("/logout", logout, name="logout"),
        web.get("/session/csrf", session_token, name="session-csrf"),
    ]
