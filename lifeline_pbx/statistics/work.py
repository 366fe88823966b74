"""What the statistics views call: one function per view, reading in one snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lifeline_pbx.db import Conn
from lifeline_pbx.errors import NotFound, page_on_refusal
from lifeline_pbx.statistics import (
    operator_time,
    periods,
    rollup_rules,
    rollup_store,
    store,
    tables,
)
from lifeline_pbx.statistics.figured import Figured
from lifeline_pbx.statistics.figures import Figures
from lifeline_pbx.statistics.operator_time import Presence, Work
from lifeline_pbx.statistics.periods import Query, period_of, today
from lifeline_pbx.web.filters import checked, known

CALL_TABLES = store.DIMENSIONS
OPERATOR_TABLES = ("operators", "pauses")
TABLES = (*CALL_TABLES, "trend", *OPERATOR_TABLES)


async def page(con: Conn, typed: Mapping[str, str], now: datetime) -> Figured:
    """Everything the statistics page shows, for the form as typed. A form refused (a bad
    value, an unknown id) carries the names the form offers (store.Names) for the page."""
    async with page_on_refusal(lambda: store.names(con)):
        return await figured(con, periods.parse(checked(typed), now), now)


async def figured(con: Conn, query: Query, now: datetime) -> Figured:
    """Every table of the page for a query read."""
    return await _read(con, query, now, set(TABLES))


async def csv_table(con: Conn, query: Query, table: str, now: datetime) -> str:
    """One of the page's tables as CSV."""
    if table not in TABLES:
        raise NotFound("There is no such statistics table.")
    return tables.to_csv(tables.table(await _read(con, query, now, {table}), table))


async def today_by_queue(con: Conn, zone: str, threshold: int, now: datetime) -> dict[int, Figures]:
    """Today's figures per queue (the live queue view's line of totals)."""
    day = today(zone, now)
    query = Query(period_of("day", day, zone), threshold)
    return {int(g.key): g.figures for g in await store.groups(con, query, ("queue",))
            if g.dimension == "queue" and g.key}


async def _read(con: Conn, query: Query, now: datetime, parts: set[str]) -> Figured:
    async with con.transaction(isolation="repeatable_read", readonly=True):
        names = await store.names(con)
        known((("facility", query.facility_id, names.facilities),
               ("line", query.line_id, names.lines), ("queue", query.queue_id, names.queues)))
        period = query.period
        cut = max(period.start, min(period.end, now))
        found = Figured(query, names, cut)
        rolled = await rollup_store.state(con)
        if parts & {*CALL_TABLES}:
            read = _plan(query, rolled)
            found = _with(found, groups=await (
                rollup_store.groups(con, read) if read else store.groups(con, query)))
        if "trend" in parts:
            read = _plan(query, rolled, trend=True)
            found = _with(found, trend=await (
                rollup_store.trend(con, read) if read else store.trend(con, query)))
        if parts & {*OPERATOR_TABLES} and cut > period.start:
            works, presence = await _operators(con, _plan(query, rolled), period.start, cut)
            found = _with(found, work=works, presence=presence)
        return found


async def _operators(con: Conn, read: rollup_rules.Read | None, start: datetime,
                     cut: datetime) -> tuple[dict[int, Work], dict[int, Presence]]:
    """Each operator's time: from the rolled-up units and the queue log after them."""
    if read is None:
        return await rollup_store.operators_between(con, start, cut)
    parts = [await rollup_store.operators(con, read.units)]
    if cut > read.tail_start:
        parts.append(await rollup_store.operators_between(con, read.tail_start, cut))
    return operator_time.added(parts)


def _plan(query: Query, rolled: rollup_store.State | None,
          trend: bool = False) -> rollup_rules.Read | None:
    if rolled is None:
        return None
    return rollup_rules.plan(query, rolled.zone, rolled.wait_edges, rolled.rolled_until, trend)


def _with(found: Figured, **changes: object) -> Figured:
    return Figured(**{**found.__dict__, **changes})
