"""The SQL of the evidence pages: reports grouped by facility, category and month (the
database groups; 100,000 reports fold into a few thousand rows), a facility's profile, its
open follow-ups and its released excerpts. Functions take a connection; work.py owns the
transactions.

Months are the facility's, in its time zone. The heat map adds up report_counts (the
reports counted by facility, category, recorded month and severity, which triggers keep in
step with the reports: migration 0036), or by facility and month only, report_facility_counts
(kept by the same triggers: migration 0037); a facility's own pages take
exact instants in its zone; the excerpts narrow on created_at two days wider than the
period, then test `created_at AT TIME ZONE facilities.timezone` on the few rows found.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.db import Conditions, Conn
from lifeline_pbx.evidence.heatmap import (
    SEVERITIES,
    TREND_LINES,
    Count,
    Filters,
    Ranked,
    at_least,
    page_of,
    rank,
)
from lifeline_pbx.evidence.months import Months

# rows -> (the facility column of the result, the category column)
_KEYS = {"facility": ("k.facility_id", "NULL::text"),
         "category": ("NULL::bigint", "k.category"),
         "facility_category": ("k.facility_id", "k.category")}
_WORST = "max(CASE r.severity {} END)".format(
    " ".join(f"WHEN '{s}' THEN {rank(s)}" for s in SEVERITIES))  # heatmap.rank, in SQL
# A report's month: recorded, in its facility's zone (r: reports, f: facilities). The
# anonymised export counts by it too, so an exported cell and its heat-map cell agree.
RECORDED_MONTH = "date_trunc('month', r.created_at AT TIME ZONE f.timezone)::date"
_SLACK = dt.timedelta(days=2)  # wider than any two time zones are apart


def _in_months(found: Conditions, months: Months) -> None:
    """Reports recorded within the months, in their facility's time zone."""
    lo = dt.datetime.combine(months.first, dt.time())
    hi = dt.datetime.combine(months.after, dt.time())
    found.add("r.created_at >= $?", lo.replace(tzinfo=dt.UTC) - _SLACK)
    found.add("r.created_at < $?", hi.replace(tzinfo=dt.UTC) + _SLACK)
    found.add("(r.created_at AT TIME ZONE f.timezone) >= $?", lo)
    found.add("(r.created_at AT TIME ZONE f.timezone) < $?", hi)


def _grouped(f: Filters) -> tuple[str, list[object]]:
    """The reports per row key and month with the highest severity of each (Count's
    columns), added up from report_counts, and its arguments."""
    facility, category = _KEYS[f.rows]
    args: list[object] = [f.months.first, f.months.after]

    def arg(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    which = ["k.month >= $1", "k.month < $2"]
    if f.facility_id is not None:
        which.append(f"k.facility_id = {arg(f.facility_id)}")
    if f.category:
        which.append(f"k.category = {arg(f.category)}")
    counted = " + ".join(f"k.{s}" for s in at_least(f.min_severity))  # known column names
    worst = " ".join(f"WHEN k.{s} > 0 THEN {rank(s)}" for s in reversed(SEVERITIES))
    if f.rows == "facility" and not f.category:  # a row per facility and month (0037)
        table, own_rows = "report_facility_counts", True
    else:
        table, own_rows = "report_counts", f.rows == "facility_category"
    if own_rows:  # one row per key and month already: nothing to add up
        reports, highest, grouped = f"({counted})::bigint", f"CASE {worst} END", ""
    else:
        reports, highest = f"sum({counted})::bigint", f"max(CASE {worst} END)"
        grouped = "GROUP BY 1, 2, 3"
    return (f"""SELECT {facility} AS facility_id, {category} AS category, k.month,
                       {reports} AS reports, {highest} AS worst
                  FROM {table} k
                 WHERE {" AND ".join(which)} AND {counted} > 0 {grouped}""", args)


async def counts(con: Conn, f: Filters) -> list[Count]:
    """Reports per row key and month, with the highest severity of each: added up from
    report_counts (migration 0036), which triggers keep equal to the reports' counts by
    facility, category, recorded month and severity (a few thousand rows a year)."""
    sql, args = _grouped(f)
    return list(map(Count._make, await con.fetch(sql, *args)))  # the columns in Count's order


# The rows of places [$n+1, $n+2] and up to $n+3, ranked as heatmap.build ranks a page's:
# most reports first, then by label (the facility's name, the category's label, compared
# as Python compares strings: by code point, which is "C"'s byte order in UTF-8). Each
# row's months come along in arrays: joined back to the cells, a generic plan looped over
# them (3 s).
_RANKED = """WITH rows_ AS (
    SELECT facility_id, category, sum(reports) AS reports, array_agg(month) AS months,
           array_agg(reports) AS counts, array_agg(worst) AS worsts
      FROM ({grouped}) c GROUP BY 1, 2
), ranked AS (
    SELECT p.*, row_number() OVER (ORDER BY p.reports DESC,
               coalesce(f.name, 'Facility ' || p.facility_id) COLLATE "C",
               coalesce(c.label, p.category) COLLATE "C", p.facility_id, p.category) AS place
      FROM rows_ p LEFT JOIN facilities f ON f.id = p.facility_id
      LEFT JOIN report_categories c ON c.code = p.category
)
SELECT r.place, r.facility_id, r.category, m.month, m.reports, m.worst
  FROM ranked r, unnest(r.months, r.counts, r.worsts) AS m(month, reports, worst)
 WHERE r.place BETWEEN {first} AND {last} OR r.place <= {busiest}"""

# Each month's reports over every row, its highest severity and busiest cell; the rows.
_MONTHS = """WITH cells AS MATERIALIZED ({grouped})
SELECT NULL::bigint AS facility_id, NULL::text AS category, month,
       sum(reports)::bigint AS reports, max(worst) AS worst, max(reports) AS busiest,
       (SELECT count(*) FROM (SELECT DISTINCT facility_id, category FROM cells) p) AS rows_
  FROM cells GROUP BY month"""


async def ranked(con: Conn, f: Filters, page_rows: int) -> Ranked:
    """The rows of the filters' page (page_rows a page, most reports first) and of the
    busiest, with each month's totals over every row (heatmap.paged lays them out)."""
    grouped, args = _grouped(f)
    months = await con.fetch(_MONTHS.format(grouped=grouped), *args)
    rows = months[0]["rows_"] if months else 0
    page, pages = page_of(rows, page_rows, f.page)
    n = len(args)
    cells = await con.fetch(_RANKED.format(
        grouped=grouped, first=f"${n + 1}", last=f"${n + 2}", busiest=f"${n + 3}"),
        *args, (page - 1) * page_rows + 1, page * page_rows, TREND_LINES)
    return Ranked([(r["place"], Count(*r[1:])) for r in cells],
                  [(Count(*r[:5]), r["busiest"]) for r in months], rows, page, pages)


@dataclass(frozen=True)
class Names:
    facilities: dict[int, str]
    categories: dict[str, str]  # code -> label, in the categories' order


async def names(con: Conn) -> Names:
    facilities = {r["id"]: r["name"] for r in await con.fetch(
        "SELECT id, name FROM facilities ORDER BY name")}
    return Names(facilities, await categories(con))


async def categories(con: Conn) -> dict[str, str]:
    return {r["code"]: r["label"] for r in await con.fetch(
        "SELECT code, label FROM report_categories ORDER BY position, label")}


@dataclass(frozen=True)
class Facility:
    id: int
    name: str
    contractor: str
    city: str
    state: str
    timezone: str


async def facility(con: Conn, facility_id: int) -> Facility | None:
    row = await con.fetchrow(
        "SELECT id, name, contractor, city, state, timezone FROM facilities WHERE id = $1",
        facility_id)
    return None if row is None else Facility(row["id"], row["name"], row["contractor"],
                                             row["city"], row["state"], row["timezone"])


@dataclass(frozen=True)
class Monthly:
    """A facility's figures by month: calls received, and reports per category."""

    calls: dict[dt.date, int]
    reports: list[Count]  # by category and month (facility_id None)


async def monthly(con: Conn, place: Facility, months: Months) -> Monthly:
    """One statement: calls by month, and reports by category and month with their highest
    severity. The period's ends are exact instants in the facility's zone."""
    start, end = months.start(place.timezone), months.end(place.timezone)
    rows = await con.fetch(
        f"""SELECT NULL::text AS category,
                   date_trunc('month', c.started_at AT TIME ZONE $4)::date AS month,
                   count(*) AS n, NULL::int AS worst
              FROM calls c WHERE c.facility_id = $1 AND c.started_at >= $2
               AND c.started_at < $3 GROUP BY 2
            UNION ALL
            SELECT r.category, date_trunc('month', r.created_at AT TIME ZONE $4)::date,
                   count(*), {_WORST}
              FROM reports r WHERE r.facility_id = $1 AND r.created_at >= $2
               AND r.created_at < $3 GROUP BY 1, 2""",
        place.id, start, end, place.timezone)
    return Monthly({r["month"]: r["n"] for r in rows if r["category"] is None},
                   [Count(None, r["category"], r["month"], r["n"], r["worst"])
                    for r in rows if r["category"] is not None])


@dataclass(frozen=True)
class OpenFollowUp:
    id: uuid.UUID
    due_on: dt.date | None
    assignee_id: int | None
    created_at: dt.datetime


MAX_FOLLOW_UPS = 50


async def open_follow_ups(con: Conn, facility_id: int) -> tuple[int, list[OpenFollowUp]]:
    """How many follow-ups about the facility are open (by their report's facility, or the
    intake's), and the first few by due date; never what they say (it is sealed)."""
    rows = await con.fetch(
        f"""SELECT f.id, f.due_on, f.assignee_id, f.created_at, count(*) OVER () AS total
              FROM follow_ups f LEFT JOIN reports r ON r.id = f.report_id
                   LEFT JOIN intakes i ON i.id = f.intake_id
             WHERE f.status = 'open' AND coalesce(r.facility_id, i.facility_id) = $1
             ORDER BY f.due_on NULLS LAST, f.created_at, f.id LIMIT {MAX_FOLLOW_UPS}""",
        facility_id)
    total = rows[0]["total"] if rows else 0
    return total, [OpenFollowUp(r["id"], r["due_on"], r["assignee_id"], r["created_at"])
                   for r in rows]


@dataclass(frozen=True)
class SealedExcerpt:
    """A released excerpt as stored (still sealed), with what the pages show beside it."""

    report_id: uuid.UUID
    facility_id: int
    category_label: str
    month: dt.date
    sealed: bytes
    consented: bool
    housing_unit: str
    released_at: dt.datetime


_EXCERPTS = f"""
    SELECT e.report_id, r.facility_id, c.label AS category_label, {RECORDED_MONTH} AS month,
           e.excerpt, r.housing_unit, e.released_at,
           EXISTS (SELECT FROM report_consents rc WHERE rc.report_id = r.id) AS consented
      FROM report_excerpts e JOIN reports r ON r.id = e.report_id
      JOIN facilities f ON f.id = r.facility_id
      JOIN report_categories c ON c.code = r.category"""


def _sealed(r: asyncpg.Record) -> SealedExcerpt:
    return SealedExcerpt(r["report_id"], r["facility_id"], r["category_label"], r["month"],
                         bytes(r["excerpt"]), r["consented"], r["housing_unit"],
                         r["released_at"])


async def excerpts(con: Conn, facility_id: int, months: Months | None = None,
                   limit: int = 200) -> list[SealedExcerpt]:
    """The facility's released excerpts, newest report first; within the months if given."""
    found = Conditions()
    found.add("r.facility_id = $?", facility_id)
    if months is not None:
        _in_months(found, months)
    clause, args = found.where()
    rows = await con.fetch(f"{_EXCERPTS} WHERE {clause} ORDER BY r.created_at DESC, r.id "
                           f"LIMIT {int(limit)}", *args)
    return [_sealed(r) for r in rows]


async def chosen_excerpts(con: Conn, report_ids: list[uuid.UUID]) -> list[SealedExcerpt]:
    rows = await con.fetch(f"{_EXCERPTS} WHERE e.report_id = ANY($1::uuid[]) "
                           "ORDER BY r.created_at, r.id", report_ids)
    return [_sealed(r) for r in rows]
