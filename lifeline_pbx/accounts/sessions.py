"""Server-side web sessions. The cookie carries a random token; the table keeps its SHA-256.

A session is alive until it has been idle too long or has reached its absolute lifetime,
whichever comes first (`alive`, pure). Logging in always makes a new token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from lifeline_pbx.db import Conn

Stage = Literal["second_factor", "enrol", "full"]


@dataclass(frozen=True)
class Session:
    token_hash: bytes
    user_id: int
    stage: Stage
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


def alive(session: Session, now: datetime, idle: timedelta, lifetime: timedelta) -> bool:
    return now - session.last_seen_at < idle and now - session.created_at < lifetime


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create(con: Conn, user_id: int, stage: Stage) -> str:
    """A new session; returns the token for the cookie (it is not stored)."""
    token = secrets.token_urlsafe(32)
    await con.execute(
        """INSERT INTO web_sessions (token_hash, user_id, stage, csrf_token)
           VALUES ($1, $2, $3, $4)""",
        digest(token), user_id, stage, secrets.token_urlsafe(32),
    )
    return token


async def find(con: Conn, token: str) -> Session | None:
    row = await con.fetchrow(
        """SELECT token_hash, user_id, stage, csrf_token, created_at, last_seen_at
           FROM web_sessions WHERE token_hash = $1""",
        digest(token),
    )
    return None if row is None else Session(**dict(row))


async def touch(con: Conn, session: Session) -> None:
    await con.execute(
        "UPDATE web_sessions SET last_seen_at = now() WHERE token_hash = $1", session.token_hash)


async def delete(con: Conn, token_hash: bytes) -> None:
    await con.execute("DELETE FROM web_sessions WHERE token_hash = $1", token_hash)


async def count_alive(con: Conn, user_id: int, idle: timedelta, lifetime: timedelta) -> int:
    """The user's fully signed-in sessions that are still alive (`alive`'s rule, in SQL)."""
    count = await con.fetchval(
        """SELECT count(*) FROM web_sessions
           WHERE user_id = $1 AND stage = 'full'
             AND last_seen_at > now() - $2::interval AND created_at > now() - $3::interval""",
        user_id, idle, lifetime,
    )
    return int(count)


async def delete_expired(con: Conn, idle: timedelta, lifetime: timedelta) -> int:
    status = await con.execute(
        """DELETE FROM web_sessions
           WHERE last_seen_at < now() - $1::interval OR created_at < now() - $2::interval""",
        idle, lifetime,
    )
    return int(status.split()[-1])
