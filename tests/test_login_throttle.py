"""Login throttling over real HTTP and PostgreSQL: simultaneous guesses, addresses behind a
trusted proxy, known devices, and admins lifting a lock (web and CLI)."""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pyotp
import pytest

from lifeline_pbx.accounts import housekeeping, signin, throttle
from lifeline_pbx.resources import POOL
from tests.test_cli import run
from tests.web_fixtures import (
    PASSWORDS,
    SEALED_FIELD,
    SECRET_SHOWN,
    Client,
    WebApp,
    running_web,
)

PROXY = "127.0.0.2"  # plays the reverse proxy; the web server listens on 127.0.0.1
_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')
_ERROR = re.compile(r'id="login-error" role="alert">([^<]*)<')
Guess = tuple[int, str, str]  # status, the error shown, Retry-After


@pytest.fixture
async def proxied(app_dsn: str) -> AsyncIterator[WebApp]:
    """The app told to trust X-Forwarded-For from PROXY only."""
    async with running_web(app_dsn, trusted_proxies=(ipaddress.ip_network(PROXY),)) as web_app:
        yield web_app


class Guesser:
    """Someone posting the sign-in form, many times at once, with one form token."""

    def __init__(self, client: Client, token: str) -> None:
        self.client, self.token = client, token

    @classmethod
    async def start(cls, web: WebApp, source: str | None = None) -> Guesser:
        client = await web.client(source)
        _, page = await client.get("/login")
        found = _TOKEN.search(page)
        assert found
        return cls(client, found.group(1))

    async def guess(self, username: str, password: str, forwarded_for: str = "") -> Guess:
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        form = {"csrf_token": self.token, "username": username, "password": password}
        # The token's cookie goes with each guess: a sign-in that works deletes it from the jar.
        async with self.client.http.post(self.client.url("/login"), data=form, headers=headers,
                                         cookies={"lifeline_login": self.token},
                                         allow_redirects=False) as r:
            error = _ERROR.search(await r.text())
            return r.status, error.group(1) if error else "", r.headers.get("Retry-After", "")


async def _mark(web: WebApp) -> int:
    """The last attempt recorded so far: what follows is counted from here."""
    return int((await web.sql("SELECT coalesce(max(id), 0) FROM login_attempts"))[0][0])


async def _outcomes(web: WebApp, since: int) -> collections.Counter[str]:
    rows = await web.sql("SELECT outcome FROM login_attempts WHERE id > $1", since)
    return collections.Counter(r["outcome"] for r in rows)


async def _wait_out(web: WebApp) -> None:
    """As if an hour had passed since the last attempt let through."""
    await web.sql("UPDATE login_counters SET last_attempt_at = last_attempt_at - interval '1 h'")


async def _lock(web: WebApp, guesser: Guesser, username: str) -> None:
    """Wrong passwords, waiting out each delay, until the account is locked."""
    for n in range(throttle.ACCOUNT.lock_at + 1):
        if (await guesser.guess(username, f"wrong-guess-{n}"))[1] == signin.LOCKED:
            return
        await _wait_out(web)
    raise AssertionError(f"{username} was never locked")


def _wrong_code(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    return next(c for c in ("000000", "111111", "222222") if not totp.verify(c, valid_window=2))


async def test_300_simultaneous_guesses_at_one_account(web: WebApp) -> None:
    guesser = await Guesser.start(web)
    since = await _mark(web)
    results = await asyncio.gather(
        *(guesser.guess("operator1", f"wrong-guess-{n}") for n in range(300)))
    # Only the free tries were checked with Argon2; every other guess was refused unchecked.
    assert await _outcomes(web, since) == {"failed": throttle.ACCOUNT.free, "held": 295}
    assert collections.Counter(status for status, _, _ in results) == {401: 5, 429: 295}
    assert all(int(retry) > 0 for status, _, retry in results if status == 429)


async def test_forty_addresses_then_the_lock_holds_until_a_known_device(proxied: WebApp) -> None:
    web = proxied
    owner = await web.signed_in("admin1")  # the admin's own browser: now a known device
    await owner.post("/logout")
    guesser = await Guesser.start(web, PROXY)
    right = PASSWORDS["admin1"]
    # 40 guesses at once from 40 addresses, the right password among them.
    since = await _mark(web)
    passwords = [f"wrong-guess-{n}" for n in range(39)]
    passwords.insert(20, right)
    results = await asyncio.gather(*(guesser.guess("admin1", password, f"198.51.100.{n}")
                                     for n, password in enumerate(passwords)))
    outcomes = await _outcomes(web, since)
    assert outcomes["held"] == 35 and outcomes["failed"] + outcomes["passed"] == 5
    assert sum(status == 429 for status, _, _ in results) == 35
    addresses = await web.sql("SELECT DISTINCT address FROM login_attempts WHERE id > $1", since)
    assert len(addresses) == 40  # each guess known by its forwarded address
    # Each time the wait is over, one more guess of forty is checked, until the lock.
    for round_ in range(1, 10):
        await _wait_out(web)
        since = await _mark(web)
        results = await asyncio.gather(*(
            guesser.guess("admin1", f"wrong-{round_}-{n}", f"198.51.{100 + round_}.{n}")
            for n in range(40)))
        assert (await _outcomes(web, since))["failed"] == 1
        if any(error == signin.LOCKED for _, error, _ in results):
            break
    failed = await web.sql("SELECT count(*) FROM login_attempts WHERE username = 'admin1' "
                           "AND outcome = 'failed'")
    assert failed[0][0] == throttle.ACCOUNT.lock_at
    # Locked: the right password and a wrong one get the same answer, and neither is checked.
    await _wait_out(web)
    since = await _mark(web)
    locked: Guess = (429, signin.LOCKED, str(throttle.LOCKED_RETRY))
    assert await guesser.guess("admin1", right, "198.51.100.200") == locked
    assert await guesser.guess("admin1", "wrong-again", "198.51.100.201") == locked
    assert await _outcomes(web, since) == {"held": 2}
    # The admin's own browser: the right password passes, but only the code lifts the lock.
    await web.sql("UPDATE users SET totp_last_step = 0")  # the enrolment's code may be reused
    _, page = await owner.get("/login")
    await owner.post("/login", {"username": "admin1", "password": right},
                     csrf=_TOKEN.search(page).group(1))  # type: ignore[union-attr]
    assert owner.last["location"] == "/login/code"
    assert await guesser.guess("admin1", right, "198.51.100.202") == locked
    await owner.get("/login/code")
    status, _ = await owner.post("/login/code", {"code": pyotp.TOTP(owner.totp_secret).now()})
    assert status == 303 and owner.last["location"] == "/"
    assert (await guesser.guess("admin1", right, "198.51.100.203"))[0] == 303  # lifted
    assert (await web.sql("SELECT count(*) FROM login_attempts WHERE username = 'admin1' "
                          "AND outcome = 'failed'"))[0][0] == failed[0][0]  # kept


async def test_each_address_behind_the_proxy_is_limited_on_its_own(proxied: WebApp) -> None:
    web = proxied
    guesser = await Guesser.start(web, PROXY)
    attackers = [f"203.0.113.{n}" for n in range(1, 5)]
    await asyncio.gather(*(guesser.guess(f"nobody-{a}-{n}", "wrong-guess", address)
                           for a, address in enumerate(attackers) for n in range(30)))
    checked = await web.sql("SELECT address, count(*) AS n FROM login_attempts "
                            "WHERE outcome <> 'held' GROUP BY address ORDER BY address")
    assert [(r["address"], r["n"]) for r in checked] == [(a, 20) for a in attackers]
    # A user behind the same proxy at another address is not held; from an attacker's, held.
    assert (await guesser.guess("operator1", PASSWORDS["operator1"], attackers[0]))[0] == 429
    assert (await guesser.guess("operator1", PASSWORDS["operator1"], "192.0.2.44"))[0] == 303


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(proxied: WebApp) -> None:
    web = proxied
    direct = await Guesser.start(web)  # from 127.0.0.1, which is not a trusted proxy
    results = await asyncio.gather(*(direct.guess(f"nobody{n}", "wrong-guess", f"203.0.113.{n}")
                                     for n in range(throttle.ADDRESS.lock_at)))
    assert {status for status, _, _ in results} == {401}
    assert (await direct.guess("operator1", PASSWORDS["operator1"], "192.0.2.99"))[0] == 429
    assert [tuple(r) for r in await web.sql("SELECT DISTINCT address FROM login_attempts")] == [
        ("127.0.0.1",)]


async def test_simultaneous_wrong_codes_are_checked_at_most_five_times(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    half = await web.client()
    _, page = await half.get("/login")
    await half.post("/login", {"username": "admin1", "password": PASSWORDS["admin1"]},
                    csrf=_TOKEN.search(page).group(1))  # type: ignore[union-attr]
    assert half.last["location"] == "/login/code"
    await half.get("/login/code")
    totp = pyotp.TOTP(admin.totp_secret)
    wrong = _wrong_code(admin.totp_secret)
    since = await _mark(web)
    results = await asyncio.gather(*(half.post("/login/code", {"code": wrong})
                                     for _ in range(50)))
    assert await _outcomes(web, since) == {"failed": 5, "held": 45}
    assert collections.Counter(status for status, _ in results) == {401: 5, 429: 45}
    await web.sql("UPDATE users SET totp_last_step = 0")
    assert (await half.post("/login/code", {"code": totp.now()}))[0] == 429  # held too
    await _wait_out(web)
    assert (await half.post("/login/code", {"code": totp.now()}))[0] == 303


async def test_replacing_a_second_factor_throttles_the_current_code(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    _, page = await admin.get("/account/second-factor")
    new_secret = SECRET_SHOWN.search(page).group(1)  # type: ignore[union-attr]
    sealed = SEALED_FIELD.search(page).group(1)  # type: ignore[union-attr]
    statuses = []
    for _ in range(throttle.ACCOUNT.free + 1):
        await web.sql("UPDATE users SET totp_last_step = 0")
        statuses.append((await admin.post("/account/second-factor", {
            "sealed": sealed, "code": pyotp.TOTP(new_secret).now(),
            "current_code": _wrong_code(admin.totp_secret)}))[0])
    assert statuses == [422] * throttle.ACCOUNT.free + [429]


async def test_an_admin_unlocks_in_the_web_ui_audited(web: WebApp) -> None:
    await _lock(web, await Guesser.start(web), "operator1")
    assert await (await web.client()).sign_in("operator1") == 429
    admin = await web.signed_in("admin1")
    _, page = await admin.get("/admin/users")
    row = page[page.index('id="user-operator1"'):]
    assert f"locked ({throttle.ACCOUNT.lock_at} failed)" in row[:row.index("</tr>")]
    user_id = (await web.sql("SELECT id FROM users WHERE username = 'operator1'"))[0][0]
    status, _ = await admin.post(f"/admin/users/{user_id}/unlock")
    assert status == 303 and admin.last["location"] == "/admin/users?done=unlocked"
    audit = await web.sql("SELECT a.fields, u.username FROM audit_log a JOIN users u "
                          "ON u.id = a.user_id WHERE a.entity = 'user' AND a.entity_id = $1",
                          str(user_id))
    assert [(r["fields"], r["username"]) for r in audit] == [(["sign_in_lock"], "admin1")]
    assert await (await web.client()).sign_in("operator1") == 303
    failed = await web.sql("SELECT count(*) FROM login_attempts WHERE username = 'operator1' "
                           "AND outcome = 'failed'")
    assert failed[0][0] == throttle.ACCOUNT.lock_at  # the evidence stays


async def test_an_admin_unlocks_from_the_shell_audited(web: WebApp) -> None:
    await _lock(web, await Guesser.start(web), "supervisor1")
    env = {"LIFELINE_DATABASE_URL": web.dsn}
    code, out = await run(env, "user", "unlock", "supervisor1")
    assert code == 0 and "sign-in of supervisor1 unlocked" in out, out
    audit = await web.sql("SELECT user_id, fields FROM audit_log WHERE entity = 'user'")
    assert [(r["user_id"], r["fields"]) for r in audit] == [(None, ["sign_in_lock"])]
    assert await (await web.client()).sign_in("supervisor1") == 303
    code, out = await run(env, "user", "unlock", "supervisor1")
    assert code == 0 and "no failed sign-ins" in out
    code, out = await run(env, "user", "unlock", "nobody-here")
    assert code == 2 and "no user" in out
    assert len(await web.sql("SELECT 1 FROM audit_log WHERE entity = 'user'")) == 1


async def test_housekeeping_keeps_a_users_lock_and_drops_idle_counters(web: WebApp) -> None:
    await web.sql(
        """INSERT INTO login_counters (kind, key, failures, last_attempt_at) VALUES
           ('account', 'operator1', 10, now() - interval '40 days'),
           ('account', 'supervisor1', 3, now() - interval '40 days'),
           ('account', 'no-such-user', 10, now() - interval '40 days'),
           ('address', '192.0.2.1', 20, now() - interval '40 days'),
           ('address', '192.0.2.2', 20, now() - interval '1 day')""")
    await housekeeping.sweep(web.app[POOL], timedelta(minutes=30), timedelta(hours=12))
    left = await web.sql("SELECT kind, key FROM login_counters ORDER BY kind, key")
    assert [tuple(r) for r in left] == [("account", "operator1"), ("address", "192.0.2.2")]
