"""The statistics' roll-up (statistics/rollup*.py, migrations/0029): its rules, and the
figures it gives against those read from the calls (store.py) on the day counted by hand
(tests/statistics_fixture.py), with and without filters, over units and the calls after."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from asyncpg import Connection

from lifeline_pbx.statistics import (
    figures,
    operator_time,
    periods,
    rollup,
    rollup_store,
    store,
    work,
)
from lifeline_pbx.statistics import rollup_rules as rules
from lifeline_pbx.statistics.periods import Period, Query, period_of
from tests import statistics_fixture as fx
from tests.pg_fixtures import connect
from tests.test_statistics_store import rounded

D = dt.date


@pytest.mark.parametrize(("first", "after", "grains", "expected"), [
    (D(2024, 3, 12), D(2024, 3, 13), rules.GROUP_GRAINS, [("day", D(2024, 3, 12), D(2024, 3, 13))]),
    (D(2024, 3, 1), D(2024, 4, 1), rules.GROUP_GRAINS, [("month", D(2024, 3, 1), D(2024, 4, 1))]),
    (D(2024, 2, 28), D(2024, 4, 3), rules.GROUP_GRAINS, [
        ("day", D(2024, 2, 28), D(2024, 3, 1)), ("month", D(2024, 3, 1), D(2024, 4, 1)),
        ("day", D(2024, 4, 1), D(2024, 4, 3))]),
    (D(2020, 7, 1), D(2025, 7, 1), rules.GROUP_GRAINS, [
        ("month", D(2020, 7, 1), D(2021, 1, 1)), ("year", D(2021, 1, 1), D(2025, 1, 1)),
        ("month", D(2025, 1, 1), D(2025, 7, 1))]),
    # Weeks (Monday to Sunday) for a weekly trend: days up to the first Monday.
    (D(2024, 3, 7), D(2024, 3, 27), ("day", "week"), [
        ("day", D(2024, 3, 7), D(2024, 3, 11)), ("week", D(2024, 3, 11), D(2024, 3, 25)),
        ("day", D(2024, 3, 25), D(2024, 3, 27))]),
    (D(2024, 3, 12), D(2024, 3, 12), rules.GROUP_GRAINS, []),
])
def test_a_period_is_covered_by_the_largest_whole_units(
        first: dt.date, after: dt.date, grains: tuple[str, ...],
        expected: list[tuple[str, dt.date, dt.date]]) -> None:
    assert rules.cover(first, after, grains) == expected


@pytest.mark.parametrize(("units", "expected"), [
    # 2024-03-04 and 2024-04-01 are Mondays.
    ([("day", D(2024, 2, 28), D(2024, 3, 1)), ("month", D(2024, 3, 1), D(2024, 4, 1)),
      ("day", D(2024, 4, 1), D(2024, 4, 10))],
     [("day", D(2024, 2, 28), D(2024, 3, 1)), ("month", D(2024, 3, 1), D(2024, 4, 1)),
      ("week", D(2024, 4, 1), D(2024, 4, 8)), ("day", D(2024, 4, 8), D(2024, 4, 10))]),
    ([("day", D(2024, 3, 1), D(2024, 3, 20))],
     [("day", D(2024, 3, 1), D(2024, 3, 4)), ("week", D(2024, 3, 4), D(2024, 3, 18)),
      ("day", D(2024, 3, 18), D(2024, 3, 20))]),
    ([("day", D(2024, 3, 5), D(2024, 3, 11))], [("day", D(2024, 3, 5), D(2024, 3, 11))]),
    ([("year", D(2021, 1, 1), D(2023, 1, 1))], [("year", D(2021, 1, 1), D(2023, 1, 1))]),
    ([], []),
])
def test_the_days_at_a_periods_ends_are_read_as_the_whole_weeks_they_hold(
        units: list[tuple[str, dt.date, dt.date]],
        expected: list[tuple[str, dt.date, dt.date]]) -> None:
    assert rules.with_weeks(units) == expected


@pytest.mark.parametrize(("grain", "since", "until", "expected"), [
    ("day", D(2024, 3, 11), D(2024, 3, 13), [D(2024, 3, 11), D(2024, 3, 12)]),
    ("week", D(2024, 3, 11), D(2024, 3, 18), [D(2024, 3, 11)]),
    ("week", D(2024, 3, 12), D(2024, 3, 18), [D(2024, 3, 11)]),  # completed by the 17th
    ("week", D(2024, 3, 12), D(2024, 3, 17), []),
    ("month", D(2024, 2, 20), D(2024, 4, 1), [D(2024, 2, 1), D(2024, 3, 1)]),
    ("year", D(2024, 3, 1), D(2024, 12, 31), []),
])
def test_a_roll_up_completes_the_units_that_end_in_its_days(
        grain: str, since: dt.date, until: dt.date, expected: list[dt.date]) -> None:
    assert rules.units_ending(grain, since, until) == expected


@pytest.mark.parametrize(("wait", "bin_", "edge"), [
    (0.0, 0, 1), (1.0, 0, 1), (1.001, 1, 2), (60.0, 59, 60), (60.5, 60, 70), (300.0, 83, 300),
    (600.0, 88, 600), (3600.0, 98, 3600), (3600.5, 99, None),
])
def test_a_wait_falls_in_the_bin_of_the_first_edge_it_does_not_pass(
        wait: float, bin_: int, edge: int | None) -> None:
    assert rules.wait_bin(wait) == bin_
    assert (rules.WAIT_EDGES[bin_] if bin_ < len(rules.WAIT_EDGES) else None) == edge


@pytest.mark.parametrize(("threshold", "bins"), [(1, 1), (30, 30), (60, 60), (70, 61), (75, None)])
def test_a_threshold_on_an_edge_counts_whole_bins(threshold: int, bins: int | None) -> None:
    assert rules.edge_index(threshold) == bins


def _bins(**counts: int) -> list[int]:
    """BINS counts, zero but for those named b<index>."""
    found = [0] * rules.BINS
    for name, count in counts.items():
        found[int(name[1:])] = count
    return found


# The packed number: bin i in the i-th group of PACK_DIGITS (10) digits from the right.
@pytest.mark.parametrize(("bins", "number"), [
    (_bins(), "0"),
    (_bins(b0=3), "3"),
    (_bins(b0=3, b1=12), "120000000003"),
    (_bins(b1=1), "10000000000"),
    (_bins(b0=9_999_999_999), "9999999999"),
    (_bins(b99=7), "7" + "0" * 990),
    (_bins(b0=1, b50=2, b99=3), "3" + "0" * 489 + "2" + "0" * 499 + "1"),
])
def test_the_waits_bins_pack_into_one_number(bins: list[int], number: str) -> None:
    assert str(rules.packed(bins)) == number
    assert rules.unpacked(number) == bins
    assert rules.unpacked(int(number)) == bins


def test_packed_numbers_add_up_bin_by_bin() -> None:
    days = [_bins(b0=4, b7=1), _bins(b7=2, b99=5), _bins(b0=9_000_000_000)]
    assert rules.unpacked(sum(rules.packed(d) for d in days)) == [
        sum(column) for column in zip(*days, strict=True)]


@pytest.mark.parametrize("bad", ["", "-1", "1.5", "12e3", "1" + "0" * rules.BINS * 10])
def test_a_number_that_is_no_packed_count_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a packed count"):
        rules.unpacked(bad)


@pytest.mark.parametrize("bins", [_bins(b3=-1), _bins(b0=10_000_000_000)])
def test_a_count_that_would_spill_into_the_next_bin_is_refused(bins: list[int]) -> None:
    with pytest.raises(ValueError, match="a bin's count"):
        rules.packed(bins)


@pytest.mark.parametrize("waits", [
    [10.0, 40.0, 25.0, 600.0, 5.0, 30.0], [7.0], [1.0, 1.0, 2.0, 59.0, 60.0], [3.0, 900.0, 4000.0],
])
def test_binned_percentiles_are_exact_for_waits_on_the_edges(waits: list[float]) -> None:
    bins = [0] * rules.BINS
    for wait in waits:
        bins[rules.wait_bin(wait)] += 1
    for fraction in (0.5, 0.9):
        assert rules.percentiles(bins, (fraction,), max(waits))[0] == pytest.approx(
            figures.percentile(waits, fraction))
    assert rules.percentiles(bins, (0.5, 0.9), max(waits)) == pytest.approx(
        [figures.percentile(waits, 0.5), figures.percentile(waits, 0.9)])


def test_binned_percentiles_are_high_by_less_than_a_bin() -> None:
    waits = [12.3, 45.6, 61.0, 250.2]
    bins = [0] * rules.BINS
    for wait in waits:
        bins[rules.wait_bin(wait)] += 1
    exact = figures.percentile(waits, 0.5)
    assert exact is not None
    assert exact <= (rules.percentiles(bins, (0.5,), max(waits))[0] or 0) <= exact + 10
    assert rules.percentiles([0] * rules.BINS, (0.5,), None) == [None]
    assert rules.percentiles([0] * rules.BINS, (0.5, 0.9), None) == [None, None]


MONTH = period_of("month", fx.DAY, fx.ZONE)


@pytest.mark.parametrize(("query", "until", "expected"), [
    (Query(MONTH), D(2024, 4, 1), [("month", D(2024, 3, 1), D(2024, 4, 1))]),
    (Query(MONTH), D(2024, 3, 12), [("day", D(2024, 3, 1), D(2024, 3, 12))]),
    (Query(MONTH), D(2024, 3, 1), None),  # nothing rolled up in it yet: the calls
    (Query(MONTH, threshold=75), D(2024, 4, 1), None),  # not an edge
    (Query(period_of("month", fx.DAY, "UTC")), D(2024, 4, 1), None),  # another zone
])
def test_a_period_is_read_from_the_roll_up_where_it_can_be(
        query: Query, until: dt.date, expected: list[tuple[str, dt.date, dt.date]] | None
) -> None:
    read = rules.plan(query, fx.ZONE, rules.WAIT_EDGES, until)
    assert (read and read.units) == expected
    if read:
        assert read.tail_end == query.period.end
    assert rules.plan(query, fx.ZONE, rules.WAIT_EDGES[1:], until) is None  # other bins


def test_an_hourly_trend_reads_the_calls() -> None:
    day = Query(period_of("day", fx.DAY, fx.ZONE))
    assert rules.plan(day, fx.ZONE, rules.WAIT_EDGES, D(2024, 4, 1), trend=True) is None
    assert rules.plan(day, fx.ZONE, rules.WAIT_EDGES, D(2024, 4, 1)) is not None


def _queries(ids: fx.Loaded) -> list[Query]:
    week = period_of("week", fx.DAY, fx.ZONE)
    both = Period("range", fx.BEFORE, fx.DAY, fx.ZONE)
    found = []
    for period in (period_of("day", fx.DAY, fx.ZONE), week, MONTH, both):
        base = Query(period)
        found += [base, dataclasses.replace(base, facility_id=ids.facility_b),
                  dataclasses.replace(base, line_id=ids.line_a, queue_id=ids.hotline),
                  dataclasses.replace(base, queue_id=ids.spanish),
                  dataclasses.replace(base, threshold=29)]
    return found


@pytest.mark.parametrize("rolled_days_after", [2, 1])  # the day rolled up; still read live
async def test_the_roll_up_gives_the_figures_of_the_calls(
        app_dsn: str, rolled_days_after: int) -> None:
    # Asked the day after the fixture's day, that day is not rolled up yet (only the day
    # before it): the period is read from units and calls.
    now = fx.at("12:00", fx.DAY + dt.timedelta(days=rolled_days_after))
    async with connect(app_dsn) as con:
        ids = await fx.load(con)
        assert await rollup.catch_up(con, now, fx.ZONE) > 0
        state = await rollup_store.state(con)
        assert state is not None
        assert state.rolled_until == fx.DAY + dt.timedelta(days=rolled_days_after - 1)
        for query in _queries(ids):
            read = rules.plan(query, state.zone, state.wait_edges, state.rolled_until)
            if read is None:  # nothing of it rolled up: the calls, as before
                assert query.period.first >= state.rolled_until, query
                continue
            rolled = {(g.dimension, g.key): rounded(g.figures)
                      for g in await rollup_store.groups(con, read)}
            raw = {(g.dimension, g.key): rounded(g.figures)
                   for g in await store.groups(con, query)}
            assert rolled == raw, query
            trend_read = rules.plan(query, state.zone, state.wait_edges, state.rolled_until,
                                    trend=True)
            if trend_read is not None:
                assert [(s.bucket, rounded(s.figures)) for s in
                        await rollup_store.trend(con, trend_read)] == [
                    (s.bucket, rounded(s.figures)) for s in await store.trend(con, query)]
            if query.facility_id is None and query.line_id is None and query.queue_id is None:
                await _same_operators_time(con, read, query)
        # Run again the next day: only what closed since.
        assert await rollup.catch_up(con, now + dt.timedelta(days=1), fx.ZONE) >= 1
        assert await rollup.catch_up(con, now + dt.timedelta(days=1), fx.ZONE) == 0


async def test_the_page_reads_the_roll_up_once_it_is_there(app_dsn: str) -> None:
    now = fx.at("12:00", fx.DAY + dt.timedelta(days=40))
    query = Query(period_of("day", fx.DAY, fx.ZONE))
    async with connect(app_dsn) as con:
        await fx.load(con)
        await rollup.catch_up(con, now, fx.ZONE)
        state = await rollup_store.state(con)
        assert state is not None
        for month in (Query(MONTH), Query(Period("range", D(2024, 2, 28), D(2024, 4, 2), fx.ZONE))):
            read = rules.plan(month, state.zone, state.wait_edges, state.rolled_until)
            assert read is not None and "month" in [u[0] for u in read.units]
            assert {(g.dimension, g.key): rounded(g.figures)
                    for g in await rollup_store.groups(con, read)} == {
                (g.dimension, g.key): rounded(g.figures) for g in await store.groups(con, month)}
            await _same_operators_time(con, read, month)
        # The calls go (as retention removes them): the roll-up still counts them.
        await con.execute("DELETE FROM call_events")
        await con.execute("UPDATE queue_events SET call_id = NULL")
        await con.execute("DELETE FROM calls")
        page = await work.figured(con, query, now)
    assert rounded(page.total) == fx.EXPECTED_TOTAL


async def _same_operators_time(con: Connection, read: rules.Read, query: Query) -> None:
    """Each operator's time from the units and the queue log after them, and from the
    queue log alone (as the page asks: to the end of the period)."""
    period = query.period
    parts = [await rollup_store.operators(con, read.units)]
    if period.end > read.tail_start:
        parts.append(await rollup_store.operators_between(con, read.tail_start, period.end))
    works, presence = operator_time.added(parts)
    raw_works, raw_presence = await rollup_store.operators_between(con, period.start,
                                                                   period.end)
    assert {k: _round(v) for k, v in works.items()} == {
        k: _round(v) for k, v in raw_works.items()}, query
    assert {k: _round(v) for k, v in presence.items()} == {
        k: _round(v) for k, v in raw_presence.items()}, query
    assert works and presence  # the fixture's operators worked that day


def _round(found: operator_time.Work | operator_time.Presence) -> object:
    if isinstance(found, operator_time.Work):
        return (found.answered, round(found.talking, 6), round(found.wrap_up, 6))
    return (round(found.logged_in, 6), {r: round(v, 6) for r, v in found.paused.items()})


def test_operators_time_adds_up_over_spans() -> None:
    work, here = operator_time.Work, operator_time.Presence
    assert operator_time.added([
        ({1: work(1, 10.0, 5.0)}, {1: here(100.0, {"lunch": 30.0})}),
        ({1: work(2, 20.0, 0.0), 2: work(0, 0.0, 0.0)}, {1: here(50.0, {"lunch": 5.0,
                                                                      "break": 1.0})}),
    ]) == ({1: work(3, 30.0, 5.0), 2: work(0, 0.0, 0.0)},
           {1: here(150.0, {"lunch": 35.0, "break": 1.0})})


async def test_operators_days_are_rolled_up_in_one_pass_as_each_day_alone(app_dsn: str) -> None:
    # The fixture's day, the day before (op2's shift and op1's call cross its midnight)
    # and the day after (op2 stays logged in).
    days = [fx.BEFORE - dt.timedelta(days=1) + dt.timedelta(days=n) for n in range(4)]
    async with connect(app_dsn) as con:
        await fx.load(con)
        async with con.transaction():
            await rollup_store.roll(con, "day", days, fx.ZONE)
            for day in days:
                stored = await rollup_store.operators(con, [("day", day, day + dt.timedelta(1))])
                works, presence = await rollup_store.operators_between(
                    con, periods.midnight(day, fx.ZONE),
                    periods.midnight(day + dt.timedelta(days=1), fx.ZONE))
                # A day's row is kept for each operator with work or presence that day.
                alone = ({k: works.get(k, operator_time.Work()) for k in works | presence},
                         presence)
                assert [{k: _round(v) for k, v in part.items()} for part in stored] == [
                    {k: _round(v) for k, v in part.items()} for part in alone], day
            assert await con.fetchval(
                "SELECT count(DISTINCT starts_on) FROM operator_stats WHERE grain = 'day'") == 3


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, True),
    ({"threshold": 60}, True),
    ({"facility_id": 1}, False),
    ({"line_id": 1}, False),
    ({"queue_id": 1}, False),
    ({"line_id": 1, "queue_id": 2}, False),
])
def test_only_a_period_without_filters_is_read_per_dimension(
        filters: dict[str, Any], expected: bool) -> None:
    assert rules.by_dimension(Query(MONTH, **filters)) is expected


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, None),
    ({"facility_id": 4}, ("facility", 4)),
    ({"line_id": 5}, ("line", 5)),
    ({"queue_id": 6, "threshold": 60}, ("queue", 6)),
    ({"line_id": 5, "queue_id": 6}, None),
])
def test_a_trend_with_one_filter_reads_that_keys_own_rows(
        filters: dict[str, Any], expected: tuple[str, int] | None) -> None:
    assert rules.one_filter(Query(MONTH, **filters)) == expected


# Calls on days around the fixture's month: a range's first and last days are read from
# week and day units, the whole months between from month units, and the days not rolled
# up from the calls.
_MORE_DAYS = (D(2024, 2, 14), D(2024, 2, 27), D(2024, 2, 29), D(2024, 3, 20), D(2024, 4, 2),
              D(2024, 4, 9), D(2024, 4, 10))
_RAGGED = (Period("range", D(2024, 2, 28), D(2024, 4, 3), fx.ZONE),
           Period("range", D(2024, 2, 6), D(2024, 3, 31), fx.ZONE),  # weeks in February
           Period("range", D(2024, 2, 1), D(2024, 4, 12), fx.ZONE),  # past the roll-up
           MONTH)


async def _per_dimension_agrees(con: Connection) -> int:
    """Each ragged period's groups per dimension, as from every key's rows together and
    from the calls; the page's tables (CSV) as they are without the roll-up. How many
    periods were read from the roll-up."""
    state = await rollup_store.state(con)
    assert state is not None
    read_from_units = 0
    for period in _RAGGED:
        for threshold in (30, 60):
            query = Query(period, threshold)
            read = rules.plan(query, state.zone, state.wait_edges, state.rolled_until)
            assert read is not None
            read_from_units += bool(read.units)
            by_dimension = {(g.dimension, g.key): rounded(g.figures) for g in
                            await rollup_store.groups(con, read, by_dimension=True)}
            assert by_dimension == {
                (g.dimension, g.key): rounded(g.figures)
                for g in await rollup_store.groups(con, read, by_dimension=False)}, query
            assert by_dimension == {(g.dimension, g.key): rounded(g.figures)
                                    for g in await store.groups(con, query)}, query
            assert {d for d, _ in by_dimension} == {*store.DIMENSIONS, "total"}
    return read_from_units


async def _tables(con: Connection, now: dt.datetime) -> list[str]:
    return [await work.csv_table(con, Query(period, threshold), table, now)
            for period in _RAGGED for threshold in (30, 60) for table in work.CALL_TABLES]


async def test_per_dimension_rows_give_the_figures_of_every_key_together(
        app_dsn: str) -> None:
    now = fx.at("12:00", D(2024, 4, 11))  # rolled up to the 9th: the 10th on is read live
    async with connect(app_dsn) as con:
        ids = await fx.load(con)
        for day in _MORE_DAYS:
            await fx.calls_on(con, ids, day)
        await rollup.catch_up(con, now, fx.ZONE)
        assert await con.fetchval(
            "SELECT count(DISTINCT (grain, starts_on)) FROM call_stats_by") == await con.fetchval(
            "SELECT count(DISTINCT (grain, starts_on)) FROM call_stats")
        assert await _per_dimension_agrees(con) == 8
        rolled = await _tables(con, now)
        # A call arrives late on a day already rolled up: its day and month rolled again.
        await fx.calls_on(con, ids, D(2024, 3, 5))
        for grain, firsts in (("day", [D(2024, 3, 5)]), ("week", [D(2024, 3, 4)]),
                              ("month", [D(2024, 3, 1)])):
            await rollup_store.roll(con, grain, firsts, fx.ZONE)
        assert await _per_dimension_agrees(con) == 8
        late = await _tables(con, now)
        assert late != rolled
        # Without the roll-up the page reads the calls: the same tables.
        await rollup_store.clear(con)
        assert await con.fetchval("SELECT count(*) FROM call_stats_by") == 0
        assert await _tables(con, now) == late
        # Rolled up again from the start (as after a change of zone): the same again.
        await rollup.catch_up(con, now, fx.ZONE)
        assert await _per_dimension_agrees(con) == 8
        assert await _tables(con, now) == late
        # Migration 0037 fills the table from the units rolled up before it as the roll-up
        # does.
        rows = await _by_dimension_rows(con)
        await con.execute("DELETE FROM call_stats_by")
        await con.execute(_MIGRATION_FILL)
        assert await _by_dimension_rows(con) == rows


_MIGRATION_FILL = (Path(__file__).parent.parent / "migrations" /
                   "0037_statistics_and_facility_counts.sql").read_text().partition(
    "\nDO $$")[2].partition("\nEND $$;")[0].join(("DO $$", "\nEND $$;"))


async def _by_dimension_rows(con: Connection) -> list[tuple[object, ...]]:
    return sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in r)
                  for r in await con.fetch("SELECT * FROM call_stats_by"))
