"""Accounts and access against the running server: sessions, roles, CSRF, throttling, 2FA."""

from __future__ import annotations

import asyncio
import json
import logging

import pyotp
import pytest
from aiohttp import web as aioweb
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from lifeline_pbx import logs
from lifeline_pbx.accounts import sessions
from lifeline_pbx.app import create_app
from lifeline_pbx.resources import CONFIG, POOL
from lifeline_pbx.web.app import AccessLog
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS, SEALED_FIELD, SECRET_SHOWN, Client, WebApp


async def test_operator_signs_in_and_out(web: WebApp) -> None:
    client = await web.client()
    status, _ = await client.get("/")
    assert status == 303  # to the sign-in page
    assert await client.sign_in("operator1") == 303
    status, page = await client.get("/")
    assert status == 200 and "Demo Operator" in page
    status, _ = await client.post("/logout")
    assert status == 303
    status, _ = await client.get("/")
    assert status == 303
    assert await web.sql("SELECT 1 FROM web_sessions") == []


async def test_session_id_changes_at_login_and_the_old_one_is_dead(web: WebApp) -> None:
    planted = await web.client()
    planted.http.cookie_jar.update_cookies({"lifeline_session": "chosen-by-an-attacker"},
                                       URL(web.base_url))
    assert await planted.sign_in("operator1") == 303
    assert planted.session_cookie() not in ("", "chosen-by-an-attacker")
    # A half-done sign-in (password, no code yet) holds a session; signing in again replaces it.
    admin = await web.signed_in("admin1")
    client = await web.client()
    client.totp_secret = admin.totp_secret
    await client.get("/login")
    await client.post("/login", {"username": "admin1", "password": PASSWORDS["admin1"]},
                      csrf=_login_token(client))
    half = client.session_cookie()
    await web.sql("UPDATE users SET totp_last_step = 0")  # the enrolment's code may be reused
    assert await client.sign_in("admin1") == 303
    full = client.session_cookie()
    assert half and full and half != full
    thief = await web.client()
    thief.http.cookie_jar.update_cookies({"lifeline_session": half}, URL(web.base_url))
    assert (await thief.get("/"))[0] == 303
    # Only a hash of each token is stored.
    rows = await web.sql("SELECT token_hash FROM web_sessions")
    assert sessions.digest(full) in [bytes(r["token_hash"]) for r in rows]
    assert sessions.digest(half) not in [bytes(r["token_hash"]) for r in rows]


async def test_session_cookie_flags(web: WebApp) -> None:
    client = await web.client()
    await client.get("/login")
    async with client.http.post(client.url("/login"), data={
        "username": "operator1", "password": PASSWORDS["operator1"],
        "csrf_token": next(c.value for c in client.http.cookie_jar if c.key == "lifeline_login"),
    }, allow_redirects=False) as r:
        cookie = r.cookies["lifeline_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert not cookie["secure"]  # plain HTTP here; secure_cookies or HTTPS turns it on


@pytest.mark.parametrize("column, age", [
    ("last_seen_at", "31 minutes"),  # idle timeout (30 minutes by default)
    ("created_at", "13 hours"),  # absolute lifetime (12 hours by default)
])
async def test_sessions_expire(web: WebApp, column: str, age: str) -> None:
    client = await web.signed_in("operator1")
    assert (await client.get("/"))[0] == 200
    await web.sql(f"UPDATE web_sessions SET {column} = now() - interval '{age}'")
    status, _ = await client.get("/")
    assert status == 303
    assert await web.sql("SELECT 1 FROM web_sessions") == []  # removed, not just refused


async def test_csrf_missing_forged_or_cross_site_is_refused(web: WebApp) -> None:
    client = await web.signed_in("operator1")
    for token in ("", "forged-token"):
        status, page = await client.post("/logout", csrf=token)
        assert status == 403 and "Reload the page" in page
    status, _ = await client.post("/logout", headers={"Origin": "https://evil.example"})
    assert status == 403
    assert (await client.get("/"))[0] == 200  # still signed in: nothing happened
    status, _ = await client.post("/logout")
    assert status == 303


async def test_login_form_needs_its_token(web: WebApp) -> None:
    client = await web.client()
    await client.get("/login")
    status, _ = await client.post("/login", {"username": "operator1",
                                             "password": PASSWORDS["operator1"]}, csrf="x")
    assert status == 403


async def test_password_guessing_is_held(web: WebApp) -> None:
    client = await web.client()
    statuses = []
    for attempt in range(8):
        statuses.append(await client.sign_in("operator1", f"guess-{attempt}"))
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 3
    # The right password is held too, until the wait (30 s after five failures) is over.
    assert await client.sign_in("operator1") == 429
    await web.sql("UPDATE login_counters SET last_attempt_at = last_attempt_at - interval '31 s'")
    assert await client.sign_in("operator1") == 303
    # The failures stay on record; the success only clears the count.
    outcomes = [r["outcome"] for r in await web.sql(
        "SELECT outcome FROM login_attempts WHERE username = 'operator1' ORDER BY id")]
    assert outcomes == ["failed"] * 5 + ["held"] * 4 + ["succeeded"]
    assert [tuple(r) for r in await web.sql("SELECT failures FROM login_counters WHERE "
                                            "kind = 'account' AND key = 'operator1'")] == [(0,)]


async def test_one_address_guessing_many_accounts_is_held(web: WebApp) -> None:
    client = await web.client()
    for n in range(20):
        assert await client.sign_in(f"nobody{n}", "guess-password") == 401
    assert await client.sign_in("supervisor1") == 429


async def test_roles_are_checked_on_the_server(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    for path in ("/admin/users", "/reports", "/people"):
        status, _ = await operator.get(path)
        assert status == 403, path
    supervisor = await web.signed_in("supervisor1")
    assert (await supervisor.get("/admin/users"))[0] == 403
    assert (await supervisor.get("/reports"))[0] == 200


async def test_admins_must_set_up_a_second_factor(web: WebApp) -> None:
    admin = await web.client()
    await admin.get("/login")
    status, _ = await admin.post("/login", {"username": "admin1", "password": PASSWORDS["admin1"]},
                                 csrf=_login_token(admin))
    assert status == 303 and admin.last["location"] == "/account/second-factor"
    # Until enrolled, nothing else opens.
    for path in ("/", "/follow-ups", "/console"):
        status, _ = await admin.get(path)
        assert status == 303 and admin.last.get("location", "") != "/", path
    enrolled = await web.signed_in("admin1")  # enrols with a fresh client
    assert enrolled.totp_secret
    assert (await enrolled.get("/admin/users"))[0] == 200


async def test_second_factor_code_is_checked_and_not_reusable(web: WebApp) -> None:
    first = await web.signed_in("admin1")
    totp = pyotp.TOTP(first.totp_secret)
    second = await web.client()
    second.totp_secret = first.totp_secret
    await second.get("/login")
    await second.post("/login", {"username": "admin1", "password": PASSWORDS["admin1"]},
                      csrf=_login_token(second))
    assert second.last["location"] == "/login/code"
    before = second.session_cookie()
    await second.get("/login/code")
    wrong = "000000" if totp.now() != "000000" else "111111"
    assert (await second.post("/login/code", {"code": wrong}))[0] == 401
    # The code used at enrolment is spent: a replay fails (that code, not the current
    # one: a 30 s step may have ended since).
    rows = await web.sql("SELECT totp_last_step FROM users WHERE username = 'admin1'")
    spent = totp.at(rows[0]["totp_last_step"] * totp.interval)
    assert (await second.post("/login/code", {"code": spent}))[0] == 401
    await web.sql("UPDATE users SET totp_last_step = totp_last_step - 3")
    assert (await second.post("/login/code", {"code": totp.now()}))[0] == 303
    assert second.session_cookie() != before  # a new session id after the second factor


async def test_disabled_user_loses_their_session(web: WebApp) -> None:
    client = await web.signed_in("operator1")
    await web.sql("UPDATE users SET enabled = false WHERE username = 'operator1'")
    assert (await client.get("/"))[0] == 303
    assert await client.sign_in("operator1") == 401


async def test_a_route_without_an_access_rule_is_refused(web: WebApp) -> None:
    app = create_app(web.app[CONFIG], calls=False)

    async def forgotten(request: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(text="secret")

    app.router.add_get("/forgotten", forgotten)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/forgotten")
        assert response.status == 403
        assert "secret" not in await response.text()


async def test_the_access_log_has_fields_and_no_query_string(
        web: WebApp, caplog: pytest.LogCaptureFixture) -> None:
    """As `lifeline serve` logs requests: method, path (still %-encoded, without the query
    string, which may hold what was searched for), status, bytes and seconds, each a field
    of the JSON line."""
    server = TestServer(create_app(web.app[CONFIG], calls=False))
    await server.start_server(access_log_class=AccessLog)
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        async with TestClient(server) as client:
            await (await client.get("/login?next=/people/search%3Fq%3DA012345678")).read()
            await (await client.get("/people/search?q=Ana+Perez", allow_redirects=False)).read()
            await (await client.get("/no such page")).read()
    lines = [json.loads(logs.JsonFormatter().format(r)) for r in caplog.records
             if r.name == "aiohttp.access"]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/login", 200), ("GET", "/people/search", 303),
        ("GET", "/no%20such%20page", 404)]  # numbers in JSON, not strings
    assert all(type(line["bytes"]) is int and line["bytes"] > 0 for line in lines)
    assert all(type(line["seconds"]) is float and line["seconds"] >= 0 for line in lines)
    assert not any("A012345678" in r.getMessage() or "Ana" in r.getMessage()
                   for r in caplog.records)


async def test_open_redirects_are_refused(web: WebApp) -> None:
    client = await web.client()
    await client.get("/login")
    await client.post("/login", {"username": "operator1", "password": PASSWORDS["operator1"],
                                 "next": "//evil.example/"}, csrf=_login_token(client))
    assert client.last["location"] == "/"


def _login_token(client: Client) -> str:
    return next(c.value for c in client.http.cookie_jar if c.key == "lifeline_login")


async def test_pages_forbid_framing_inline_script_and_caching(web: WebApp) -> None:
    client = await web.signed_in("supervisor1")
    async with client.http.get(client.url("/reports")) as r:
        assert r.status == 200
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["Cache-Control"] == "no-store"  # case data stays out of disk caches
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "<script>" not in await r.text()  # scripts only from /static files


async def test_replacing_a_second_factor_needs_the_current_one(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    old = admin.totp_secret
    elsewhere = await web.client()  # the same admin on another device, with the old app
    elsewhere.totp_secret = old
    await web.sql("UPDATE users SET totp_last_step = 0")
    assert await elsewhere.sign_in("admin1") == 303
    status, page = await admin.get("/account/second-factor")
    assert status == 200 and 'id="current-code"' in page
    new_secret = SECRET_SHOWN.search(page).group(1)  # type: ignore[union-attr]
    sealed = SEALED_FIELD.search(page).group(1)  # type: ignore[union-attr]
    new_code = pyotp.TOTP(new_secret).now()
    await web.sql("UPDATE users SET totp_last_step = 0")
    status, page = await admin.post("/account/second-factor",
                                     {"sealed": sealed, "code": new_code, "current_code": ""})
    assert status == 422 and "authenticator you use now" in page
    assert 'id="current-code"' in page  # the form again still asks for the current code
    status, page = await admin.post("/account/second-factor",
                                     {"sealed": sealed, "code": "wrong", "current_code": ""})
    assert status == 422 and "That code is not right" in page and 'id="current-code"' in page
    status, _ = await admin.post("/account/second-factor", {
        "sealed": sealed, "code": new_code, "current_code": pyotp.TOTP(old).now()})
    assert status == 303
    # The session that replaced it goes on under a new id; the other one has ended.
    assert (await admin.get("/admin/users"))[0] == 200
    assert (await elsewhere.get("/admin/users"))[0] == 303
    # Now only the new app's codes work.
    again = await web.client()
    again.totp_secret = new_secret
    await web.sql("UPDATE users SET totp_last_step = 0")
    assert await again.sign_in("admin1") == 303


async def test_housekeeping_drops_expired_sessions_and_old_attempts(web: WebApp) -> None:
    from datetime import timedelta

    from lifeline_pbx.accounts import housekeeping

    live = await web.signed_in("operator1")
    stale = await web.signed_in("supervisor1")
    await web.sql("UPDATE web_sessions SET last_seen_at = now() - interval '2 hours' "
                  "WHERE user_id = (SELECT id FROM users WHERE username = 'supervisor1')")
    await web.sql("INSERT INTO login_attempts (at, username, address, step, outcome) "
                  "VALUES (now() - interval '31 days', 'x', 'y', 'password', 'failed')")
    await web.sql("UPDATE known_devices SET last_used_at = now() - interval '181 days' "
                  "WHERE user_id = (SELECT id FROM users WHERE username = 'supervisor1')")
    swept = await housekeeping.sweep(web.app[POOL], timedelta(minutes=30), timedelta(hours=12))
    assert swept == (1, 1, 1)  # sessions, attempts, known devices
    assert (await live.get("/"))[0] == 200
    assert (await stale.get("/"))[0] == 303


async def test_the_apps_sweeping_loop_sweeps_after_its_first_wait(web: WebApp) -> None:
    from datetime import timedelta

    from lifeline_pbx.accounts import housekeeping

    await web.signed_in("supervisor1")
    await web.sql("UPDATE web_sessions SET last_seen_at = now() - interval '2 hours'")

    async def swept() -> bool:
        return not await web.sql("SELECT 1 FROM web_sessions")

    loop = asyncio.create_task(housekeeping.run(
        web.app[POOL], timedelta(minutes=30), timedelta(hours=12), first_after=0.1))
    try:
        await wait_for(swept, what="the expired session swept")
    finally:
        loop.cancel()
