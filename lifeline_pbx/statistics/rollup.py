"""Keeping the statistics' roll-up (migrations/0029) up to date, as a background task of
the app: every CHECK_EVERY it rolls up the days that closed since (a day is rolled up
once a whole day has passed after it, when its calls are over), and the weeks, months and
years they complete. The first run, or a change of zone or bins, rolls up every day since
the first call. An advisory lock keeps two app processes from rolling up at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.db import DATABASE_ERRORS, Conn
from lifeline_pbx.statistics import periods, rollup_store
from lifeline_pbx.statistics import rollup_rules as rules

log = logging.getLogger(__name__)
ZONE = periods.DEFAULT_ZONE  # the form's default: whose days are rolled up
CHECK_EVERY = 3600.0
FIRST_AFTER = 60.0  # let the hotline start first
RETRY_FIRST = 30.0
_LOCK = 0x57A75  # pg_advisory_xact_lock key: one roll-up at a time


def rolled_until(now: dt.datetime, zone: str) -> dt.date:
    """The first day not to roll up yet: yesterday (its calls may still be going on)."""
    return periods.today(zone, now) - dt.timedelta(days=1)


async def catch_up(con: Conn, now: dt.datetime, zone: str = ZONE) -> int:
    """Rolls up what closed since the last run; the number of units rolled up."""
    until = rolled_until(now, zone)
    async with con.transaction():
        if not await con.fetchval("SELECT pg_try_advisory_xact_lock($1)", _LOCK):
            return 0
        state = await rollup_store.state(con)
        if state is None or state.zone != zone or state.wait_edges != rules.WAIT_EDGES:
            await rollup_store.clear(con)
            since = await rollup_store.first_day(con, zone) or until
        else:
            since = state.rolled_until
        rolled = 0
        for grain in rules.GRAINS:  # days first: the longer units add up the days'
            firsts = rules.units_ending(grain, since, until) if since < until else []
            await rollup_store.roll(con, grain, firsts, zone)
            rolled += len(firsts)
        await rollup_store.set_state(con, rollup_store.State(
            zone, rules.WAIT_EDGES, max(since, until)))
        return rolled


async def run(pool: asyncpg.Pool, *, check_every: float = CHECK_EVERY,
              first_after: float = FIRST_AFTER) -> None:
    failures = 0
    await asyncio.sleep(first_after)
    while True:
        try:
            async with pool.acquire(timeout=60) as con:
                rolled = await catch_up(con, dt.datetime.now(dt.UTC))
            log.info("statistics rolled up units=%d", rolled)
            failures = 0
        except DATABASE_ERRORS as exc:
            failures += 1
            log.warning("statistics roll-up failed error=%s", type(exc).__name__)
        await asyncio.sleep(backoff.delay(failures, first=RETRY_FIRST, cap=check_every)
                            if failures else check_every)
