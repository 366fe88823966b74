"""The statistics' SQL against a day of calls counted by hand (tests/statistics_fixture.py),
and against the pure rules (statistics/figures.py, operator_time.py) on the same rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import asyncpg

from lifeline_pbx.statistics import figures, operator_time, store
from lifeline_pbx.statistics.figures import Figures
from lifeline_pbx.statistics.periods import Query, period_of
from tests import statistics_fixture as fx
from tests.pg_fixtures import connect

DAY_QUERY = Query(period_of("day", fx.DAY, fx.ZONE))


def rounded(found: Figures) -> Figures:
    changes: dict[str, Any] = {f.name: round(v, 6) for f in dataclasses.fields(found)
                               if isinstance(v := getattr(found, f.name), float)}
    return dataclasses.replace(found, **changes)


async def grouped(con: asyncpg.Connection, query: Query) -> dict[tuple[str, str], Figures]:
    return {(g.dimension, g.key): rounded(g.figures) for g in await store.groups(con, query)}


async def test_the_figures_are_the_ones_counted_by_hand(app_dsn: str) -> None:
    async with connect(app_dsn) as con:
        ids = await fx.load(con)
        found = await grouped(con, DAY_QUERY)
    assert found[("total", "")] == fx.EXPECTED_TOTAL
    assert found[("line", str(ids.line_a))] == fx.EXPECTED_LINE_A
    assert found[("line", str(ids.line_b))] == fx.EXPECTED_LINE_B
    assert found[("line", "")] == fx.EXPECTED_NO_LINE
    assert found[("facility", str(ids.facility_a))] == fx.EXPECTED_LINE_A
    assert found[("facility", str(ids.facility_b))] == fx.EXPECTED_LINE_B
    assert {k: v for (d, k), v in found.items() if d == "language"} == fx.EXPECTED_LANGUAGES
    assert found[("queue", str(ids.hotline))].received == 6
    assert found[("queue", "")].received == 4
    assert found[("total", "")].service_level == 0.5


async def test_a_filter_and_a_threshold_change_the_figures(app_dsn: str) -> None:
    async with connect(app_dsn) as con:
        ids = await fx.load(con)
        only_b = await grouped(con, dataclasses.replace(DAY_QUERY, facility_id=ids.facility_b))
        strict = await grouped(con, dataclasses.replace(DAY_QUERY, threshold=29))
    assert only_b[("total", "")] == fx.EXPECTED_LINE_B
    assert strict[("total", "")].within == 2  # call 9 waited exactly 30 s


async def test_the_day_before_counts_only_its_own_call(app_dsn: str) -> None:
    async with connect(app_dsn) as con:
        await fx.load(con)
        before = await grouped(con, Query(period_of("day", fx.BEFORE, fx.ZONE)))
        # The same day in UTC holds the call of 23:59 New York time.
        utc = await grouped(con, Query(period_of("day", fx.DAY, "UTC")))
    assert before[("total", "")].received == 1
    assert before[("total", "")].answered == 1
    assert utc[("total", "")].received == 10  # 11 less call 10 (03:30 UTC on the 13th)


async def test_the_sql_agrees_with_the_rules_on_every_group(app_dsn: str) -> None:
    async with connect(app_dsn) as con:
        await fx.load(con)
        found = await grouped(con, DAY_QUERY)
        rows = await con.fetch(
            """SELECT line_id, facility_id, queue_id, coalesce(language, '') AS language,
                      disposition, queued_at, connected_at, ended_at, voicemail_reason,
                      wait_seconds FROM calls WHERE started_at >= $1 AND started_at < $2""",
            DAY_QUERY.period.start, DAY_QUERY.period.end)
    calls = [(r, figures.Call(
        r["disposition"], r["queued_at"] is not None, r["connected_at"] is not None,
        r["ended_at"] is not None, r["voicemail_reason"], r["wait_seconds"],
        (r["ended_at"] - r["connected_at"]).total_seconds()
        if r["connected_at"] and r["ended_at"] else None)) for r in rows]
    for dimension, column in (("line", "line_id"), ("facility", "facility_id"),
                              ("queue", "queue_id"), ("language", "language")):
        by_rules = figures.grouped(
            ((str(r[column]) if r[column] is not None else "", c) for r, c in calls), 30)
        assert {k: rounded(v) for k, v in by_rules.items()} == {
            k: v for (d, k), v in found.items() if d == dimension}, dimension


async def test_the_trend_counts_each_hour_of_the_day(app_dsn: str) -> None:
    async with connect(app_dsn) as con:
        await fx.load(con)
        steps = {s.bucket.hour: s.figures for s in await store.trend(con, DAY_QUERY)}
    assert {h: f.received for h, f in steps.items()} == {
        7: 1, 8: 1, 9: 1, 10: 3, 12: 1, 14: 2, 23: 1}
    assert steps[9].answered == 1 and steps[8].answered == 1 and steps[23].abandoned_ivr == 1


async def test_operators_time_is_the_one_counted_by_hand(app_dsn: str) -> None:
    period = DAY_QUERY.period
    async with connect(app_dsn) as con:
        ids = await fx.load(con)
        work = await store.work(con, period.start, period.end)
        marks = await store.marks(con, period.start, period.end)
        every_mark = [operator_time.Mark(r["operator_id"], r["at"], r["kind"], r["detail"])
                      for r in await con.fetch(
                          "SELECT * FROM queue_events WHERE operator_id IS NOT NULL")]
        talks = [operator_time.Talk(r["operator_id"], r["connected_at"], r["ended_at"], 30)
                 for r in await con.fetch(
                     "SELECT * FROM calls WHERE connected_at IS NOT NULL")]
    presence = operator_time.presence(marks, period.start, period.end)
    for name, operator_id in (("op1", ids.op1), ("op2", ids.op2)):
        answered, logged_in, talking, wrap_up, paused = fx.EXPECTED_OPERATORS[name]
        assert work[operator_id] == operator_time.Work(answered, talking, wrap_up), name
        assert presence[operator_id] == operator_time.Presence(logged_in, paused), name
    # The rules over the whole log and every call give the same.
    assert operator_time.presence(every_mark, period.start, period.end) == presence
    assert operator_time.work(talks, every_mark, period.start, period.end) == work


def test_the_fixture_day_starts_at_four_utc() -> None:
    assert DAY_QUERY.period.start == dt.datetime(2024, 3, 12, 4, tzinfo=dt.UTC)
