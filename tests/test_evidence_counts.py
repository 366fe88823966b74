"""The heat map's counts (evidence/store.counts, read from report_counts and by facility
from report_facility_counts, which triggers keep: migrations 0036 and 0037) equal the
reports counted directly, on tests/evidence_fixture.py's reports and after every kind of
change a report or a facility goes through: reports added in one statement, a report's
category, severity, facility or recorded time changed, a report removed, a facility's time
zone changed, a facility's reports removed at once, the table truncated."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import asyncpg

from lifeline_pbx import crypto
from lifeline_pbx.evidence import heatmap, store
from lifeline_pbx.evidence.heatmap import Count, Filters, at_least
from lifeline_pbx.evidence.months import Months
from tests import evidence_fixture as fx
from tests.pg_fixtures import connect

KEYS = crypto.key_ring((("t1", hashlib.sha256(b"counts test key").digest()),),
                       hashlib.sha256(b"counts test lookup").digest())
PERIODS = (Months(dt.date(2023, 12, 1), dt.date(2024, 4, 1)),
           Months(dt.date(2024, 2, 1), dt.date(2024, 2, 1)))

# The plain count: every report of the period, by the month recorded in its facility's zone.
_MONTH = store.RECORDED_MONTH
_DIRECT = f"""
SELECT CASE WHEN $3 THEN r.facility_id END AS facility_id,
       CASE WHEN $4 THEN r.category END AS category, {_MONTH} AS month, count(*) AS reports,
       max(CASE r.severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3
                           WHEN 'critical' THEN 4 END) AS worst
  FROM reports r JOIN facilities f ON f.id = r.facility_id
 WHERE {_MONTH} >= $1 AND {_MONTH} < $2 AND r.severity = ANY($5::text[])
   AND ($6::bigint IS NULL OR r.facility_id = $6) AND ($7::text IS NULL OR r.category = $7)
 GROUP BY 1, 2, 3"""


async def direct(con: asyncpg.Connection, f: Filters) -> set[Count]:
    rows = await con.fetch(_DIRECT, f.months.first, f.months.after,
                           f.rows != "category", f.rows != "facility",
                           list(at_least(f.min_severity)), f.facility_id, f.category)
    return {Count(r["facility_id"], r["category"], r["month"], r["reports"], r["worst"])
            for r in rows}


async def assert_same(con: asyncpg.Connection, facilities: tuple[int, ...],
                      some: bool = True) -> None:
    checked = 0
    for months in PERIODS:
        for rows in ("facility", "category", "facility_category"):
            for facility_id in (None, *facilities):
                for category in (None, "medical_neglect"):
                    for severity in (None, "high"):
                        f = Filters(months, facility_id, category, severity, rows)
                        expected = await direct(con, f)
                        assert set(await store.counts(con, f)) == expected, f
                        checked += len(expected)
                        if rows == "facility_category":
                            await assert_same_page(con, f)
    assert bool(checked) == some


async def assert_same_page(con: asyncpg.Connection, f: Filters) -> None:
    """Facility and category pairs ranked and cut to a page in the database: the page
    heatmap.build makes of every pair's counts (its rows, shades, totals, trend lines)."""
    names = await store.names(con)
    every = await store.counts(con, f)
    for page_rows in (1, 2, 50):
        for page in (0, 1, 2, 3, 9):
            at = dataclasses.replace(f, page=page)
            assert heatmap.paged(await store.ranked(con, at, page_rows), f.months,
                                 names.facilities, names.categories, page_rows) == \
                heatmap.build(every, f.months, names.facilities, names.categories,
                              page_rows, page), (at, page_rows)


async def test_the_counts_table_follows_every_change_to_the_reports(app_dsn: str,
                                                                   admin_dsn: str) -> None:
    async with connect(admin_dsn) as con:  # names sorted as a server in a locale sorts them
        await con.execute('ALTER TABLE facilities ALTER COLUMN name TYPE text '
                          'COLLATE "en-US-x-icu"')
    async with connect(app_dsn) as con:
        loaded = await fx.load(con, KEYS)
        a, b = loaded.facility_a, loaded.facility_b
        both = (a, b)
        await assert_same(con, both)
        assert await store.counts(con, Filters(PERIODS[0], rows="facility")), "no counts"

        user = await con.fetchval("SELECT id FROM users WHERE username = 'operator1'")
        await con.execute(  # three reports in one statement, two of them in one cell
            """INSERT INTO reports (id, facility_id, category, severity, affected, narrative,
                                    created_by, created_at)
               SELECT gen_random_uuid(), $1, 'use_of_force', s, 'group', '\\x00', $2,
                      '2024-02-10 12:00+00'
                 FROM unnest(ARRAY['low', 'critical', 'low']) s""", b, user)
        await assert_same(con, both)

        r = loaded.reports
        for change, args in (
                # Ranked by name as Python compares names (by code point: "a" after "D").
                ("UPDATE facilities SET name = 'aardvark Center' WHERE id = $1", (b,)),
                ("UPDATE reports SET severity = 'critical' WHERE id = $1", (r["a3"],)),
                ("UPDATE reports SET category = 'use_of_force' WHERE id = $1", (r["a1"],)),
                ("UPDATE reports SET facility_id = $2 WHERE id = $1", (r["b2"], a)),
                # 03:30 UTC on 1 April: March in New York, April in UTC (below)
                ("UPDATE reports SET created_at = '2024-04-01 03:30+00' WHERE id = $1",
                 (r["a4"],)),
                ("UPDATE reports SET housing_unit = 'C-1' WHERE facility_id = $1", (a,)),
                ("DELETE FROM report_consents WHERE report_id = $1", (r["b1"],)),
                ("DELETE FROM follow_ups WHERE report_id = $1", (r["b1"],)),
                ("DELETE FROM reports WHERE id = $1", (r["b1"],)),
                ("UPDATE facilities SET timezone = 'UTC' WHERE id = $1", (a,))):
            await con.execute(change, *args)
            await assert_same(con, both)

        await con.execute("DELETE FROM follow_ups WHERE report_id IS NOT NULL")
        await con.execute("DELETE FROM reports WHERE facility_id = $1", b)
        await assert_same(con, both)
    async with connect(admin_dsn) as con:  # the app's role may not truncate
        await con.execute("TRUNCATE reports CASCADE")
        await assert_same(con, both, some=False)
        assert await con.fetchval("SELECT count(*) FROM report_counts") == 0
        assert await con.fetchval("SELECT count(*) FROM report_facility_counts") == 0

