"""Signing out of the web and the queues: the operator's last browser signing out logs
them out of the queues too, and the login page says so; another browser still signed in
keeps them in. Over HTTP against the running app with its distributor, on a real
PostgreSQL and this run's PBX."""

from __future__ import annotations

from lifeline_pbx.accounts import sessions
from lifeline_pbx.resources import ACD
from lifeline_pbx.web.auth import COOKIE
from tests.test_console_web import OPERATOR, stored
from tests.web_fixtures import Client, WebApp


def logged_in(web: WebApp) -> bool:
    return web.app[ACD].picture.operators[OPERATOR].logged_in


async def ready(web: WebApp) -> Client:
    """operator1 signed in and logged in to the queues from the console."""
    operator = await web.signed_in(OPERATOR)
    code, body = await operator.post_json("/console/state", {"action": "login"})
    assert (code, body["logged_in"], body["paused"]) == (200, True, False)
    return operator


async def test_signing_out_of_the_last_browser_logs_out_of_the_queues(
    web_with_calls: WebApp,
) -> None:
    web = web_with_calls
    operator = await ready(web)
    await stored(web, (True, False, ""))
    code, _ = await operator.post("/logout")
    assert code == 303 and not logged_in(web)
    assert operator.last["location"] == "/login?done=queues"
    await stored(web, (False, False, ""))
    code, page = await operator.get("/login?done=queues")
    assert code == 200 and "You are logged out of the queues too" in page
    code, page = await operator.get("/login")
    assert code == 200 and "queues" not in page


async def test_another_browser_signed_in_keeps_the_operator_in_the_queues(
    web_with_calls: WebApp,
) -> None:
    web = web_with_calls
    operator = await ready(web)
    other_browser = await web.signed_in(OPERATOR)
    code, _ = await operator.post("/logout")
    assert code == 303 and operator.last["location"] == "/login"
    assert logged_in(web)
    assert (await other_browser.get("/console"))[0] == 200
    code, _ = await other_browser.post("/logout")  # the last one goes: out of the queues
    assert code == 303 and other_browser.last["location"] == "/login?done=queues"
    assert not logged_in(web)
    await stored(web, (False, False, ""))


async def test_a_browser_idle_past_the_timeout_keeps_nobody_in(web_with_calls: WebApp) -> None:
    web = web_with_calls
    operator = await ready(web)
    left_open = await web.signed_in(OPERATOR)
    token = next(c.value for c in left_open.http.cookie_jar if c.key == COOKIE)
    await web.sql("UPDATE web_sessions SET last_seen_at = now() - interval '31 minutes' "
                  "WHERE token_hash = $1", sessions.digest(token))  # idle timeout: 30 min
    code, _ = await operator.post("/logout")
    assert code == 303 and not logged_in(web)
    assert operator.last["location"] == "/login?done=queues"


async def test_signing_out_when_not_in_the_queues_says_nothing_of_them(
    web_with_calls: WebApp,
) -> None:
    web = web_with_calls
    operator = await web.signed_in(OPERATOR)
    code, body = await operator.post_json("/console/state", {"action": "logout"})
    assert (code, body["logged_in"]) == (200, False)
    code, _ = await operator.post("/logout")
    assert code == 303 and operator.last["location"] == "/login"
