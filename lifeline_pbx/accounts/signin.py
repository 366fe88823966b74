"""Signing in: password (throttled), then the second factor, then a fresh session.

Argon2 runs in a worker thread: a login must not stall the event loop that carries calls.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from lifeline_pbx import crypto
from lifeline_pbx.accounts import passwords, sessions, throttle, totp, users

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    token: str | None = None  # the new session's cookie value
    stage: sessions.Stage | None = None
    error: str = ""
    retry_after: int = 0


def totp_place(user_id: int) -> str:
    return crypto.place("users", "totp_secret", user_id)


async def with_password(
    pool: asyncpg.Pool, username: str, password: str, address: str
) -> Outcome:
    username = username.strip().lower()[:64]
    async with pool.acquire() as con:
        account, from_address = await throttle.failures(con, username, address)
        wait = throttle.wait_seconds(account, from_address, datetime.now(UTC))
        if wait:
            log.warning("login held address=%s wait=%d", address, wait)
            return Outcome(error="Too many failed sign-ins. Try again in "
                           f"{(wait + 59) // 60} minute(s).", retry_after=wait)
        user = await users.by_username(con, username)
    stored = user.password_hash if user and user.enabled else None
    ok = await asyncio.to_thread(passwords.verify, stored, password[: passwords.MAX_LENGTH])
    async with pool.acquire() as con, con.transaction():
        await throttle.note(con, username, address, ok)
        if not ok or user is None:
            log.info("login failed address=%s", address)
            return Outcome(error="Wrong username or password.")
        if passwords.needs_rehash(user.password_hash):
            new_hash = await asyncio.to_thread(passwords.hash_password, password)
            await users.set_password(con, user.id, new_hash)
        stage: sessions.Stage = (
            "second_factor" if user.totp_secret is not None
            else "enrol" if user.role == "admin" else "full"
        )
        token = await sessions.create(con, user.id, stage)
    log.info("login user_id=%d stage=%s", user.id, stage)
    return Outcome(token=token, stage=stage)


async def with_code(
    pool: asyncpg.Pool, keys: crypto.KeyRing, session: sessions.Session, code: str, address: str
) -> Outcome:
    """The second step: a TOTP code for a session waiting for it. Throttled like passwords."""
    async with pool.acquire() as con:
        user = await users.by_id(con, session.user_id)
        if user is None or user.totp_secret is None:
            return Outcome(error="This account has no second factor.")
        account, from_address = await throttle.failures(con, user.username, address)
        wait = throttle.wait_seconds(account, from_address, datetime.now(UTC))
        if wait:
            return Outcome(error="Too many failed codes. Try again in "
                           f"{(wait + 59) // 60} minute(s).", retry_after=wait)
        secret = keys.open(user.totp_secret, totp_place(user.id))
        step = totp.matching_step(secret, code)
        async with con.transaction():
            ok = step is not None and await users.use_totp_step(con, user.id, step)
            await throttle.note(con, user.username, address, ok)
            if not ok:
                return Outcome(error="That code is not right (or was already used).")
            token = await sessions.create(con, user.id, "full")
            await sessions.delete(con, session.token_hash)
    return Outcome(token=token, stage="full")


async def enrol(
    pool: asyncpg.Pool, keys: crypto.KeyRing, session: sessions.Session, secret: str, code: str,
    current_code: str = "",
) -> Outcome:
    """Turn the second factor on with a secret the user has put in their app. Replacing one
    needs a code from the current app too: a borrowed session cannot swap it."""
    step = totp.matching_step(secret, code)
    if step is None:
        return Outcome(error="That code is not right: check the time on your phone and retry.")
    async with pool.acquire() as con, con.transaction():
        user = await users.by_id(con, session.user_id)
        if user is not None and user.totp_secret is not None:
            current = keys.open(user.totp_secret, totp_place(user.id))
            old_step = totp.matching_step(current, current_code)
            if old_step is None or not await users.use_totp_step(con, user.id, old_step):
                return Outcome(error="Enter a code from the authenticator you use now, "
                               "to replace it.")
        await users.set_totp(con, session.user_id, keys.seal(secret, totp_place(session.user_id)))
        await users.use_totp_step(con, session.user_id, step)
        token = await sessions.create(con, session.user_id, "full")
        await sessions.delete(con, session.token_hash)
    log.info("second factor enrolled user_id=%d", session.user_id)
    return Outcome(token=token, stage="full")
