"""Every table of the statistics page, over the same calls, gives the same figures: the
day table's row of a day is that day's totals (talk and waits too, not only the counts),
each table's rows add up to the totals the others show, and operators' answered calls and
talk are the calls'. Through the app's CSVs (the page's tables, the same rows), read from
the calls and from the roll-up (tests/statistics_fixture.py's calls, and them again the
next day)."""

from __future__ import annotations

import datetime as dt

import pytest

from lifeline_pbx.statistics import rollup, work
from tests import statistics_fixture as fx
from tests.pg_fixtures import connect
from tests.test_statistics_web import rows_of
from tests.web_fixtures import Client, WebApp

ZONE = "tz=America/New_York"
DAYS = (fx.BEFORE, fx.DAY, fx.DAY + dt.timedelta(days=1))
RANGE = f"period=range&since={DAYS[0]}&until={DAYS[-1]}&{ZONE}"
COUNTS = ("Received", "Answered", "Closed", "Voicemail", "Abandoned in IVR",
          "Abandoned in queue", "Other")
FIGURES = (*COUNTS, "Wait median", "Wait 90th percentile", "Wait max", "Service level",
           "Talk time", "Mean talk")


def _number(cell: str) -> float:
    return float(cell) if cell else 0.0


def _figures(row: dict[str, str]) -> dict[str, str]:
    return {name: row[name] for name in FIGURES}


async def _table(client: Client, table: str, query: str) -> dict[str, dict[str, str]]:
    status, text = await client.get(f"/statistics/{table}.csv?{query}")
    assert status == 200, (table, query, text)
    return rows_of(text)


async def _load(web: WebApp, rolled: bool) -> None:
    async with connect(web.dsn) as con:
        ids = await fx.load(con)
        await fx.calls_on(con, ids, DAYS[-1])
        if rolled:  # every day of the range closed and rolled up: read from the units
            assert await rollup.catch_up(con, fx.at("12:00", fx.DAY + dt.timedelta(days=5)),
                                         fx.ZONE) > 0


@pytest.mark.parametrize("rolled", [False, True])
async def test_a_days_row_over_the_period_is_that_days_totals(web: WebApp,
                                                              rolled: bool) -> None:
    await _load(web, rolled)
    supervisor = await web.signed_in("supervisor1")
    days = await _table(supervisor, "trend", RANGE)
    assert list(days) == [d.isoformat() for d in DAYS]
    for day in DAYS:
        query = f"period=day&date={day}&{ZONE}"
        for table in ("line", "facility"):
            total = (await _table(supervisor, table, query))["Total"]
            assert _figures(days[day.isoformat()]) == _figures(total), (rolled, day, table)
    # The fixture's day as the walkthrough found it: talk and waits in its row.
    assert _figures(days[fx.DAY.isoformat()])["Talk time"] == "1080.0"
    assert _figures(days[fx.DAY.isoformat()])["Wait median"] == "27.5"
    assert _figures(days[fx.DAY.isoformat()])["Wait max"] == "600.0"


@pytest.mark.parametrize("rolled", [False, True])
async def test_every_table_adds_up_to_the_same_totals(web: WebApp, rolled: bool) -> None:
    await _load(web, rolled)
    supervisor = await web.signed_in("supervisor1")
    tables = {name: await _table(supervisor, name, RANGE) for name in work.TABLES}
    total = _figures(tables["line"]["Total"])
    assert total["Received"] == "21" and total["Talk time"] == "2190.0"  # 10 + 1 + 10 calls
    for name in work.CALL_TABLES:
        rows = [row for label, row in tables[name].items() if label != "Total"]
        assert _figures(tables[name]["Total"]) == total, name
        for column in (*COUNTS, "Talk time"):
            assert sum(_number(r[column]) for r in rows) == _number(total[column]), \
                (name, column)
        assert max(_number(r["Wait max"]) for r in rows) == _number(total["Wait max"]), name
    steps = list(tables["trend"].values())
    for column in (*COUNTS, "Talk time"):
        assert sum(_number(r[column]) for r in steps) == _number(total[column]), column
    assert max(_number(r["Wait max"]) for r in steps) == _number(total["Wait max"])
    # Every answered call was taken by an operator, inside the range.
    operators = tables["operators"].values()
    assert sum(int(r["Calls answered"]) for r in operators) == int(total["Answered"])
    assert sum(_number(r["Talking"]) for r in operators) == _number(total["Talk time"])
