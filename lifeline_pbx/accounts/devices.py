"""Known devices: browsers a user has fully signed in from (password and, where they have
one, the second factor). The cookie carries a random token; the table keeps its SHA-256.

Sign-in attempts from a known device are throttled on that device alone (throttle.py), so
someone guessing a user's password locks the account against everyone but that user's own
browsers.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from lifeline_pbx.accounts.sessions import digest
from lifeline_pbx.db import Conn

COOKIE = "lifeline_device"
LIFETIME = timedelta(days=180)  # since its last full sign-in


async def recognise(con: Conn, token: str, user_id: int) -> int | None:
    """The device's id if the token is one of this user's live devices."""
    if not token:
        return None
    device_id: int | None = await con.fetchval(
        """SELECT id FROM known_devices
           WHERE token_hash = $1 AND user_id = $2 AND last_used_at > now() - $3::interval""",
        digest(token), user_id, LIFETIME,
    )
    return device_id


async def remember(con: Conn, user_id: int, token: str) -> str:
    """After a full sign-in: this browser's token if it is already the user's (refreshed),
    else a new device's token. Returns the cookie's value."""
    if token and await con.fetchval(
        """UPDATE known_devices SET last_used_at = now()
           WHERE token_hash = $1 AND user_id = $2 RETURNING id""",
        digest(token), user_id,
    ):
        return token
    new = secrets.token_urlsafe(32)
    await con.execute("INSERT INTO known_devices (token_hash, user_id) VALUES ($1, $2)",
                      digest(new), user_id)
    return new


async def delete_old(con: Conn) -> int:
    status = await con.execute(
        "DELETE FROM known_devices WHERE last_used_at < now() - $1::interval", LIFETIME)
    return int(status.split()[-1])
