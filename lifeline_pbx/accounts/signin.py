"""Signing in: password (throttled), then the second factor, then a fresh session (which
ends the one the browser had); enrolling a second factor; signing out.

Argon2 runs in a worker thread: a login must not stall the event loop that carries calls.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace

import asyncpg

from lifeline_pbx import crypto
from lifeline_pbx.accounts import attempts, devices, passwords, sessions, throttle, totp, users
from lifeline_pbx.db import Conn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    token: str | None = None  # the new session's cookie value
    stage: sessions.Stage | None = None
    error: str = ""
    retry_after: int = 0
    device: str = ""  # after a full sign-in: the known-device cookie's value
    had_second_factor: bool = False  # an enrolment refused: the user has one it would replace
    unchecked: bool = False  # the code could not be checked: a data key is missing


LOCKED = ("This account is locked after too many failed attempts. Sign in from a browser "
          "you have signed in with before, or ask an admin to unlock it.")


def totp_place(user_id: int) -> str:
    return crypto.place("users", "totp_secret", user_id)


def _held(verdict: throttle.Verdict, what: str, address: str) -> Outcome:
    """Refused before anything was checked: it says nothing about the password or code."""
    log.warning("login held address=%s wait=%d locked=%s", address, verdict.wait, verdict.locked)
    if verdict.locked:
        return Outcome(error=LOCKED, retry_after=verdict.wait)
    return Outcome(error=f"Too many failed {what}. Try again in "
                   f"{(verdict.wait + 59) // 60} minute(s).", retry_after=verdict.wait)


async def with_password(
    pool: asyncpg.Pool, username: str, password: str, address: str, device_token: str = "",
    ending: bytes | None = None,
) -> Outcome:
    """ending: the token hash of the session this browser had, ended by a sign-in."""
    username = username.strip().lower()[:64]
    async with pool.acquire() as con:
        user = await users.by_username(con, username)
        device = await devices.recognise(con, device_token, user.id) if user else None
        ticket = await attempts.reserve(con, username, address, device, "password")
    if not ticket.verdict.allowed:
        return _held(ticket.verdict, "sign-ins", address)
    stored = user.password_hash if user and user.enabled else None
    ok = await asyncio.to_thread(passwords.verify, stored, password[: passwords.MAX_LENGTH])
    async with pool.acquire() as con, con.transaction():
        if not ok or user is None:
            await attempts.settle(con, ticket, "failed")
            log.info("login failed address=%s", address)
            return Outcome(error="Wrong username or password.")
        if passwords.needs_rehash(user.password_hash):
            new_hash = await asyncio.to_thread(passwords.hash_password, password)
            await users.set_password(con, user.id, new_hash)
        stage: sessions.Stage = (
            "second_factor" if user.totp_secret is not None
            else "enrol" if user.role == "admin" else "full"
        )
        await attempts.settle(con, ticket, "succeeded" if stage == "full" else "passed")
        token = await sessions.create(con, user.id, stage)
        if ending is not None:
            await sessions.delete(con, ending)
        device_cookie = ""
        if stage == "full":
            device_cookie = await devices.remember(con, user.id, device_token)
    log.info("login user_id=%d stage=%s known_device=%s", user.id, stage, device is not None)
    return Outcome(token=token, stage=stage, device=device_cookie)


async def with_code(
    pool: asyncpg.Pool, keys: crypto.KeyRing, session: sessions.Session, code: str, address: str,
    device_token: str = "",
) -> Outcome:
    """The second step: a TOTP code for a session waiting for it. Throttled like passwords."""
    async with pool.acquire() as con:
        user = await users.by_id(con, session.user_id)
        if user is None or user.totp_secret is None:
            return Outcome(error="This account has no second factor.")
        device = await devices.recognise(con, device_token, user.id)
        ticket = await attempts.reserve(con, user.username, address, device, "code")
        if not ticket.verdict.allowed:
            return _held(ticket.verdict, "codes", address)
        try:
            secret = keys.open(user.totp_secret, totp_place(user.id))
        except crypto.KeyMissing as missing:
            return await _unchecked(con, ticket, user.id, missing,
                                    "Sign-in cannot check your code")
        step = totp.matching_step(secret, code)
        async with con.transaction():
            ok = step is not None and await users.use_totp_step(con, user.id, step)
            if not ok:
                await attempts.settle(con, ticket, "failed")
                return Outcome(error="That code is not right (or was already used).")
            await attempts.settle(con, ticket, "succeeded")
            token = await sessions.create(con, user.id, "full")
            await sessions.delete(con, session.token_hash)
            device_cookie = await devices.remember(con, user.id, device_token)
    log.info("login user_id=%d stage=full known_device=%s", user.id, device is not None)
    return Outcome(token=token, stage="full", device=device_cookie)


async def enrol(
    pool: asyncpg.Pool, keys: crypto.KeyRing, session: sessions.Session, secret: str, code: str,
    current_code: str = "", device_token: str = "", address: str = "unknown",
) -> Outcome:
    """Turn the second factor on with a secret the user has put in their app. Replacing one
    needs a code from the current app too, throttled like any code: a borrowed session
    cannot swap it. Refused, the outcome says whether the user has a second factor."""
    step = totp.matching_step(secret, code)
    async with pool.acquire() as con:
        user = await users.by_id(con, session.user_id)
        replacing = user is not None and user.totp_secret is not None
        if step is None:
            return Outcome(error="That code is not right: check the time on your phone and "
                           "retry.", had_second_factor=replacing)
        ticket, current = None, ""
        if user is not None and user.totp_secret is not None:
            device = await devices.recognise(con, device_token, user.id)
            ticket = await attempts.reserve(con, user.username, address, device, "code")
            if not ticket.verdict.allowed:
                return replace(_held(ticket.verdict, "codes", address), had_second_factor=True)
            try:
                current = keys.open(user.totp_secret, totp_place(user.id))
            except crypto.KeyMissing as missing:
                refused = await _unchecked(con, ticket, user.id, missing,
                                           "Your current second factor cannot be checked")
                return replace(refused, had_second_factor=True)
        async with con.transaction():
            if ticket is not None and user is not None:
                if not await _current_code(con, user.id, current, current_code):
                    await attempts.settle(con, ticket, "failed")
                    return Outcome(error="Enter a code from the authenticator you use now, "
                                   "to replace it.", had_second_factor=True)
                await attempts.settle(con, ticket, "passed")
            await users.set_totp(con, session.user_id,
                                 keys.seal(secret, totp_place(session.user_id)))
            await users.use_totp_step(con, session.user_id, step)
            # A new second factor ends the user's other sessions, as a new password does:
            # one opened with the old authenticator does not outlive it.
            await users.end_sessions(con, session.user_id)
            token = await sessions.create(con, session.user_id, "full")
            device_cookie = await devices.remember(con, session.user_id, device_token)
    log.info("second factor enrolled user_id=%d", session.user_id)
    return Outcome(token=token, stage="full", device=device_cookie)


async def sign_out(pool: asyncpg.Pool, token_hash: bytes) -> None:
    async with pool.acquire() as con:
        await sessions.delete(con, token_hash)


async def has_second_factor(pool: asyncpg.Pool, user_id: int) -> bool:
    async with pool.acquire() as con:
        user = await users.by_id(con, user_id)
    return user is not None and user.totp_secret is not None


async def _current_code(con: Conn, user_id: int, secret: str, code: str) -> bool:
    old_step = totp.matching_step(secret, code)
    return old_step is not None and await users.use_totp_step(con, user_id, old_step)


async def _unchecked(con: Conn, ticket: attempts.Ticket, user_id: int,
                     missing: crypto.KeyMissing, what: str) -> Outcome:
    """Refused: the user's second factor is sealed under a data key the settings lack, so
    no code can be checked. Not counted against them: the settings are at fault, and the
    count would lock them out after the key is back."""
    async with con.transaction():
        await attempts.settle(con, ticket, "unchecked")
    log.warning("login code not checked user_id=%d key_id=%s: data_keys lacks it "
                "(lifeline doctor)", user_id, missing.key_id)
    return Outcome(error=missing.told(what), unchecked=True)
