"""Values sealed under a data key the settings lack (the app starts degraded: start_checks.py):
sign-in refuses a second factor it cannot check, clearly and without counting it against
the user, and every other page names the key instead of answering 500."""

from __future__ import annotations

import base64
import os
import re
import uuid

import pyotp
import pytest
from yarl import URL

from lifeline_pbx import crypto
from lifeline_pbx.accounts import throttle
from tests.privacy import sensitive
from tests.web_fixtures import PASSWORDS, SEALED_FIELD, SECRET_SHOWN, WebApp, running_web

KEY_A = ("keya", os.urandom(32))
KEY_B = ("keyb", os.urandom(32))
SIGN_IN_REFUSED = ("Sign-in cannot check your code: the key it was sealed with (keya) is not "
                   "in this server's settings. Your system administrator can run "
                   "`lifeline doctor`.")
_CODE_ERROR = re.compile(r'id="code-error" role="alert">([^<]*)<')
_ENROL_ERROR = re.compile(r'id="enrol-error" role="alert">([^<]*)<')
_MESSAGE = re.compile(r'id="error-message">([^<]*)<')


def _shown(text: str) -> str:
    return text.replace("&#39;", "'")


def _no_key_in(*texts: str) -> None:
    for key in (KEY_A[1], KEY_B[1]):
        for text in texts:
            assert base64.b64encode(key).decode() not in text and key.hex() not in text


async def _user_id(web: WebApp, username: str) -> int:
    return int((await web.sql("SELECT id FROM users WHERE username = $1", username))[0]["id"])


async def _enrolled_under_key_a(app_dsn: str) -> tuple[str, str]:
    """admin1 enrols a second factor while only key A is set: its secret, and the cookie
    of the full session that made."""
    async with running_web(app_dsn, data_keys=(KEY_A,)) as web:
        admin = await web.signed_in("admin1")
        stored = await web.sql("SELECT totp_secret FROM users WHERE username = 'admin1'")
        assert crypto.KeyRing({}, "", b"").key_id(stored[0]["totp_secret"]) == "keya"
        return admin.totp_secret, admin.session_cookie()


async def test_a_second_factor_under_a_missing_key_refuses_sign_in_clearly(
    app_dsn: str, caplog: pytest.LogCaptureFixture,
) -> None:
    secret, _ = await _enrolled_under_key_a(app_dsn)
    totp = pyotp.TOTP(secret)
    async with running_web(app_dsn, data_keys=(KEY_B,)) as web:
        admin_id = await _user_id(web, "admin1")
        await web.sql("DELETE FROM web_sessions")
        await web.sql("DELETE FROM login_counters")
        since = int((await web.sql("SELECT coalesce(max(id), 0) FROM login_attempts"))[0][0])
        client = await web.client()
        _, page = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]*)"', page)
        assert token
        await client.post("/login", {"username": "admin1", "password": PASSWORDS["admin1"]},
                          csrf=token.group(1))
        assert client.last["location"] == "/login/code"
        await client.get("/login/code")
        pages = []
        # More tries than lock an account: none counts, so none holds or locks it.
        for _ in range(throttle.ACCOUNT.lock_at + 1):
            await web.sql("UPDATE users SET totp_last_step = 0")
            status, page = await client.post("/login/code", {"code": totp.now()})
            assert status == 503
            error = _CODE_ERROR.search(page)
            assert error and _shown(error.group(1)) == SIGN_IN_REFUSED
            assert 'action="/login/code"' in page  # the code form, to try again once fixed
            pages.append(page)
        stages = await web.sql("SELECT stage FROM web_sessions WHERE user_id = $1", admin_id)
        assert [s["stage"] for s in stages] == ["second_factor"]
        assert (await client.get("/"))[0] == 303  # not let in
        attempts = await web.sql("SELECT step, outcome FROM login_attempts WHERE id > $1 "
                                 "ORDER BY id", since)
        assert [tuple(a) for a in attempts] == [
            ("password", "passed"), *[("code", "held")] * (throttle.ACCOUNT.lock_at + 1)]
        assert await web.sql("SELECT kind FROM login_counters WHERE failures > 0") == []
    assert f"login code not checked user_id={admin_id} key_id=keya" in caplog.text
    assert "error in web view" not in caplog.text
    _no_key_in(caplog.text, *pages)

    async with running_web(app_dsn, data_keys=(KEY_B, KEY_A)) as web:  # the key is back
        await web.sql("UPDATE users SET totp_last_step = 0")
        client = await web.client()
        client.totp_secret = secret
        assert await client.sign_in("admin1") == 303


async def test_replacing_a_second_factor_under_a_missing_key_is_refused(
    app_dsn: str,
) -> None:
    secret, cookie = await _enrolled_under_key_a(app_dsn)
    async with running_web(app_dsn, data_keys=(KEY_B,)) as web:
        sealed_before = await web.sql("SELECT totp_secret FROM users WHERE username = 'admin1'")
        admin = await web.client()  # the browser still holding its session from before
        admin.http.cookie_jar.update_cookies({"lifeline_session": cookie}, URL(web.base_url))
        status, page = await admin.get("/account/second-factor")
        assert status == 200
        new_secret = SECRET_SHOWN.search(page).group(1)  # type: ignore[union-attr]
        sealed = SEALED_FIELD.search(page).group(1)  # type: ignore[union-attr]
        status, page = await admin.post("/account/second-factor", {
            "sealed": sealed, "code": pyotp.TOTP(new_secret).now(),
            "current_code": pyotp.TOTP(secret).now()})
        assert status == 503
        error = _ENROL_ERROR.search(page)
        assert error and _shown(error.group(1)) == (
            "Your current second factor cannot be checked: the key it was sealed with (keya) "
            "is not in this server's settings. Your system administrator can run "
            "`lifeline doctor`.")
        assert await web.sql("SELECT totp_secret FROM users WHERE username = 'admin1'"
                             ) == sealed_before
        assert await web.sql("SELECT kind FROM login_counters WHERE failures > 0") == []


NAME, A_NUMBER = "Ysolde Brackenridge", "208555999"
sensitive(NAME, A_NUMBER)


async def test_a_page_opening_a_value_under_a_missing_key_names_the_key(
    web: WebApp, caplog: pytest.LogCaptureFixture,
) -> None:
    lost = crypto.key_ring((("gone", os.urandom(32)),), os.urandom(32))
    pid = uuid.uuid4()
    await web.sql(
        "INSERT INTO persons (id, a_number_key, a_number, names) VALUES ($1, $2, $3, $4)",
        pid, lost.lookup(A_NUMBER), lost.seal(A_NUMBER, crypto.place("persons", "a_number", pid)),
        lost.seal_json([NAME], crypto.place("persons", "names", pid)))
    said = ("Lifeline cannot open a value this needs: the key it was sealed with (gone) is "
            "not in this server's settings. Your system administrator can run "
            "`lifeline doctor`.")
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/people/{pid}")
    assert status == 503
    assert "<h1>A data key is missing</h1>" in page and 'id="sign-out"' in page
    message = _MESSAGE.search(page)
    assert message and _shown(message.group(1)) == said
    async with supervisor.http.get(supervisor.url(f"/people/{pid}"),
                                   headers={"Accept": "application/json"}) as r:
        assert r.status == 503
        assert (await r.json())["error"] == said
    assert f"data key missing path=/people/{pid} key_id=gone" in caplog.text
    assert "error in web view" not in caplog.text
