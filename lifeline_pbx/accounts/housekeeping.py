"""Dropping what has expired: web sessions past their idle time or lifetime, sign-in
attempts older than attempts.KEEP (with idle throttling counters) and known devices unused
for devices.LIFETIME. Runs in the app every few minutes."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import asyncpg

from lifeline_pbx.accounts import attempts, devices, sessions
from lifeline_pbx.db import DATABASE_ERRORS

log = logging.getLogger(__name__)
EVERY = 300.0
# The first sweep waits too: at start the hotline's own reads come first, and a sweep then
# would open one more database connection for what can wait (sessions.alive is checked at
# each request, so an expired session is refused whether or not it has been swept).
FIRST_AFTER = 60.0


async def sweep(
    pool: asyncpg.Pool, idle: timedelta, lifetime: timedelta
) -> tuple[int, int, int]:
    async with pool.acquire() as con:
        return (await sessions.delete_expired(con, idle, lifetime),
                await attempts.delete_old(con), await devices.delete_old(con))


async def run(pool: asyncpg.Pool, idle: timedelta, lifetime: timedelta, *,
              first_after: float = FIRST_AFTER) -> None:
    await asyncio.sleep(first_after)
    while True:
        try:
            expired, old_attempts, old_devices = await sweep(pool, idle, lifetime)
            if expired or old_attempts or old_devices:
                log.info("housekeeping sessions=%d login_attempts=%d known_devices=%d",
                         expired, old_attempts, old_devices)
        except DATABASE_ERRORS as exc:
            log.warning("housekeeping skipped: database error %s", type(exc).__name__)
        await asyncio.sleep(EVERY)
