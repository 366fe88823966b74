"""The roll-up's SQL (migrations/0029): making a unit's rows from the calls, and reading
a period's groups and trend from the units that cover it plus the calls after them.

The calls are read through store.CALLS, so an outcome is decided in one place; a unit's
row holds what figures.Figures adds up (rollup_rules says how the waits are binned).
Each unit is kept three ways: per line, facility, queue and language together
(call_stats), per each of them on its own (call_stats_by, migrations/0037: what a period
without filters shows, and a trend with one filter) and in total (call_stats_totals).
tests/test_statistics_rollup.py holds this path to store.py's on the same calls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.db import Conn
from lifeline_pbx.statistics import operator_time, store
from lifeline_pbx.statistics import rollup_rules as rules
from lifeline_pbx.statistics.figures import Figures
from lifeline_pbx.statistics.operator_time import Presence, Work
from lifeline_pbx.statistics.periods import midnight, today
from lifeline_pbx.statistics.rollup_rules import Read

_ADDED = ("received", "answered", "closed", "voicemail", "no_message", "abandoned_ivr",
          "abandoned_queue", "other", "left_queue")
ROLL_TIMEOUT = 600.0  # seconds: a year's calls, on a busy machine
# Days grouped in one statement: about a month of calls (grouping years of calls at once
# by day spills out of memory and took minutes where a month a time takes seconds).
_DAYS_AT_ONCE = 31
_KEYS = "line_id, facility_id, queue_id, language"

# The calls of [start, end) (store.CALLS's {where}), each with its wait's bin (0-based),
# and that again for an answered call that left the queue (the service level's).
_BINNED = """SELECT b.*, CASE WHEN left_queue AND outcome = 'answered' THEN bin END AS answered_bin
               FROM (SELECT f.*, width_bucket(ceil(f.wait_seconds)::integer - 1,
                                              {edges}::integer[]) AS bin
                       FROM ({calls}) f) b"""

_AGGREGATES = """count(*)::integer AS received,
    count(*) FILTER (WHERE outcome = 'answered')::integer AS answered,
    count(*) FILTER (WHERE outcome = 'closed')::integer AS closed,
    count(*) FILTER (WHERE outcome = 'voicemail')::integer AS voicemail,
    count(*) FILTER (WHERE outcome = 'no_message')::integer AS no_message,
    count(*) FILTER (WHERE outcome = 'abandoned_ivr')::integer AS abandoned_ivr,
    count(*) FILTER (WHERE outcome = 'abandoned_queue')::integer AS abandoned_queue,
    count(*) FILTER (WHERE outcome = 'other')::integer AS other,
    count(*) FILTER (WHERE left_queue)::integer AS left_queue,
    coalesce(sum(talk), 0)::float8 AS talk_seconds, count(talk)::integer AS talked,
    max(wait_seconds) AS wait_max,
    {waits} AS waits, {answered_within} AS answered_within"""

# Counted per bin in one pass over the calls, packed (rules.packed): each wait adds one
# to its bin's digits.
# (trunc: a power of a numeric comes with 16 decimal places of zeros.)
_BIN_COUNTS = (f"coalesce(sum(trunc(10::numeric ^ ({rules.PACK_DIGITS} * bin))) "
               "FILTER (WHERE bin IS NOT NULL), 0)")
_RUNNING_COUNTS = "ARRAY[{}]::integer[]".format(", ".join(
    f"count(*) FILTER (WHERE answered_bin <= {i})" for i in range(rules.BINS)))
_CALL_AGGREGATES = _AGGREGATES.format(waits=_BIN_COUNTS, answered_within=_RUNNING_COUNTS)

_COLUMNS = (*_ADDED, "talk_seconds", "talked", "wait_max", "waits", "answered_within")

# A grain's units of [$2, $3) in the zone $5, each from its calls.
_ROLL = """INSERT INTO call_stats (grain, starts_on, {keys}, {columns})
SELECT $1, date_trunc($1, started_at AT TIME ZONE $5)::date AS unit, {keys}, {aggregates}
  FROM ({binned}) c GROUP BY unit, {keys}"""

# A grain's units of [$2, $3) added up from the days' rows of `source` (running totals add
# up too): a longer unit from its days, a day's totals from its lines' and facilities'.
_ROLL_DAYS = """INSERT INTO {table} (grain, starts_on, {keys}{columns})
SELECT $1, date_trunc($1, starts_on::timestamp)::date AS unit, {keys}{sums}
  FROM {source} WHERE grain = 'day' AND starts_on >= $2 AND starts_on < $3
 GROUP BY unit{grouped}"""


# What adding up rolled rows gives for each of their columns (running totals add up too).
_SUMMED_COLUMNS = ", ".join((*_ADDED, "talked", "talk_seconds", "wait_max", "waits",
                             "answered_within"))
_SUMS_OF_ROWS = ", ".join([
    *(f"sum({c})::integer" for c in (*_ADDED, "talked")), "sum(talk_seconds)",
    "max(wait_max)", "sum(waits)", "ARRAY[{}]::integer[]".format(", ".join(
        f"sum(answered_within[{i}])" for i in range(1, rules.BINS + 1)))])


def _roll_days(table: str, keys: str, source: str = "") -> str:
    lead = f"{keys}, " if keys else ""
    return _ROLL_DAYS.format(table=table, source=source or table, keys=lead,
                             columns=_SUMMED_COLUMNS, sums=_SUMS_OF_ROWS,
                             grouped=f", {keys}" if keys else "")


# A grain's units of [$2, $3) per line, facility, queue and language on their own
# (migrations/0037), each from its own rows in call_stats.
_BY_DIMENSION = """INSERT INTO call_stats_by (grain, starts_on, dimension, key, {columns})
SELECT grain, starts_on, CASE {dimension} END, coalesce(CASE {key} END, ''), {sums}
  FROM call_stats WHERE grain = $1 AND starts_on >= $2 AND starts_on < $3
 GROUP BY grain, starts_on, GROUPING SETS ({sets})""".format(
    columns=_SUMMED_COLUMNS, sums=_SUMS_OF_ROWS,
    dimension=store.grouping(store.DIMENSIONS)["dimension"],
    key=store.grouping(store.DIMENSIONS)["key"],
    sets=", ".join(f"({store.COLUMN[d]})" for d in store.DIMENSIONS))


# Operators' time in a grain's units [$2, $3), added up from their days'.
_ROLL_OPERATORS = """WITH days AS MATERIALIZED (
    SELECT *, date_trunc($1, starts_on)::date AS unit FROM operator_stats
     WHERE grain = 'day' AND starts_on >= $2 AND starts_on < $3
), paused AS (
    SELECT unit, operator_id, jsonb_object_agg(reason, seconds) AS paused
      FROM (SELECT d.unit, d.operator_id, p.key AS reason, sum(p.value::float8) AS seconds
              FROM days d, jsonb_each_text(d.paused) p GROUP BY 1, 2, 3) x
     GROUP BY unit, operator_id
)
INSERT INTO operator_stats (grain, starts_on, operator_id, answered, talking, wrap_up,
                            logged_in, paused)
SELECT $1, d.unit, d.operator_id, sum(d.answered), sum(d.talking), sum(d.wrap_up),
       sum(d.logged_in), coalesce(max(z.paused::text), '{}')::jsonb
  FROM days d LEFT JOIN paused z USING (unit, operator_id)
 GROUP BY d.unit, d.operator_id"""


_ROLLED_TABLES = ("call_stats", "call_stats_totals", "call_stats_by", "operator_stats")


def _binned(where: str, edges: str) -> str:
    return _BINNED.format(edges=edges, calls=store.CALLS.format(where=where))


async def roll(con: Conn, grain: str, firsts: Sequence[dt.date], zone: str) -> None:
    """The units that start on `firsts` (one after another; rows there already are
    replaced): days from their calls and the queue log, longer units added up from their
    days' rows (rolled up before)."""
    if not firsts:
        return
    after = rules.unit_after(grain, firsts[-1])
    for table in _ROLLED_TABLES:
        await con.execute(f"DELETE FROM {table} WHERE grain = $1 AND starts_on = ANY($2)",
                          grain, list(firsts))
    if grain != "day":
        for sql in (_roll_days("call_stats", _KEYS), _roll_days("call_stats_totals", ""),
                    _BY_DIMENSION):
            await con.execute(sql, grain, firsts[0], after, timeout=ROLL_TIMEOUT)
        await con.execute(_ROLL_OPERATORS, grain, firsts[0], after, timeout=ROLL_TIMEOUT)
        return
    sql = _ROLL.format(keys=_KEYS, columns=", ".join(_COLUMNS), aggregates=_CALL_AGGREGATES,
                       binned=_binned("c.started_at >= $2 AND c.started_at < $3", "$4"))
    for at in range(0, len(firsts), _DAYS_AT_ONCE):
        chunk = firsts[at:at + _DAYS_AT_ONCE]
        after_chunk = rules.unit_after(grain, chunk[-1])
        await con.execute(sql, grain, midnight(chunk[0], zone), midnight(after_chunk, zone),
                          list(rules.WAIT_EDGES), zone, timeout=ROLL_TIMEOUT)
        for sums in (_roll_days("call_stats_totals", "", "call_stats"), _BY_DIMENSION):
            await con.execute(sums, grain, chunk[0], after_chunk, timeout=ROLL_TIMEOUT)
    await _roll_operators(con, firsts, zone)


# Each operator's time per day of [$1, $2) (midnights in the zone $3), in one pass: what
# store._WORK gives for each day on its own. A day reads the calls taken from a day
# before it (store._WORK), so a call counts on the days from its own to the day of a day
# after it was taken (`last_day`), and nothing of it after that day.
_WORK_BY_DAY = """
WITH talks AS (
    SELECT c.operator_id, c.connected_at, c.ended_at,
           coalesce(q.wrapup_seconds, 0) AS wrapup,
           (c.connected_at AT TIME ZONE $3)::date AS taken_on,
           ((c.connected_at + interval '1 day') AT TIME ZONE $3)::date AS last_day
      FROM calls c LEFT JOIN queues q ON q.id = c.queue_id
     WHERE c.operator_id IS NOT NULL AND c.connected_at IS NOT NULL
       AND c.connected_at >= $1::timestamptz - interval '1 day' AND c.connected_at < $2
), stream AS (
    SELECT operator_id, connected_at AS at, 0 AS sort, connected_at AS stop,
           NULL::timestamptz AS connected_at, NULL::timestamptz AS ended_at, 0 AS wrapup,
           NULL::date AS taken_on, NULL::date AS last_day FROM talks
    UNION ALL
    SELECT DISTINCT operator_id, at, 0, at, NULL::timestamptz, NULL::timestamptz, 0,
           NULL::date, NULL::date FROM queue_events
     WHERE kind IN ('ready', 'logout') AND operator_id IS NOT NULL
       AND at >= $1::timestamptz - interval '1 day' AND at < $2
    UNION ALL
    SELECT operator_id, coalesce(ended_at, connected_at), 1, NULL, connected_at, ended_at,
           wrapup, taken_on, last_day FROM talks
), ends AS (
    SELECT operator_id, connected_at, ended_at, wrapup, taken_on, last_day,
           CASE WHEN ended_at IS NOT NULL THEN
               min(stop) OVER (PARTITION BY operator_id ORDER BY at DESC, sort
                               ROWS UNBOUNDED PRECEDING) END AS next_stop
      FROM stream
), talk_days AS (
    SELECT e.*, d.day::date AS day, d.day::timestamp AT TIME ZONE $3 AS lo,
           least((d.day::date + 1)::timestamp AT TIME ZONE $3, $2) AS hi
      FROM ends e
     CROSS JOIN LATERAL generate_series(
        greatest(e.taken_on, ($1::timestamptz AT TIME ZONE $3)::date)::timestamp,
        e.last_day::timestamp, interval '1 day') d(day)
     WHERE e.connected_at IS NOT NULL
)
SELECT day, operator_id,
       count(*) FILTER (WHERE connected_at >= lo AND connected_at < hi)::integer AS answered,
       sum(greatest(0, extract(epoch FROM
           least(coalesce(ended_at, hi), hi) - greatest(connected_at, lo))))::float8
           AS talking,
       coalesce(sum(greatest(0, extract(epoch FROM
           least(ended_at + wrapup * interval '1 second', coalesce(next_stop, 'infinity'), hi)
           - greatest(ended_at, lo)))) FILTER (WHERE ended_at IS NOT NULL), 0)::float8
           AS wrap_up
  FROM talk_days WHERE lo < $2
 GROUP BY day, operator_id
"""


async def _roll_operators(con: Conn, days: Sequence[dt.date], zone: str) -> None:
    """Each operator's time on each of the (consecutive) days, in one pass over the calls
    and the queue log (what operators_between gives for each day)."""
    midnights = [midnight(days[0] + dt.timedelta(days=n), zone)
                 for n in range(len(days) + 1)]
    index = {day: n for n, day in enumerate(days)}
    works: list[dict[int, Work]] = [{} for _ in days]
    for r in await con.fetch(_WORK_BY_DAY, midnights[0], midnights[-1], zone,
                             timeout=ROLL_TIMEOUT):
        works[index[r["day"]]][r["operator_id"]] = Work(r["answered"], r["talking"],
                                                        r["wrap_up"])
    presences = operator_time.presence_by_day(
        await store.marks(con, midnights[0], midnights[-1]), midnights)
    await con.executemany(
        """INSERT INTO operator_stats (grain, starts_on, operator_id, answered, talking,
                                       wrap_up, logged_in, paused)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb)""",
        [("day", day, operator_id, w.answered, w.talking, w.wrap_up,
          presences[n].get(operator_id, Presence()).logged_in,
          json.dumps(presences[n].get(operator_id, Presence()).paused))
         for n, day in enumerate(days)
         for operator_id, w in _every(works[n], presences[n]).items()],
        timeout=ROLL_TIMEOUT)


def _every(works: dict[int, Work], presences: dict[int, Presence]) -> dict[int, Work]:
    return {operator_id: works.get(operator_id, Work())
            for operator_id in works.keys() | presences.keys()}


async def operators_between(con: Conn, start: dt.datetime, end: dt.datetime
                            ) -> tuple[dict[int, Work], dict[int, Presence]]:
    """Each operator's time in [start, end), from the calls and the queue log."""
    marks = await store.marks(con, start, end)
    return (await store.work(con, start, end),
            operator_time.presence(marks, start, end))


async def operators(con: Conn, units: Sequence[tuple[str, dt.date, dt.date]]
                    ) -> tuple[dict[int, Work], dict[int, Presence]]:
    """Each operator's time in the rolled-up units."""
    rows = await con.fetch(
        f"""WITH picked AS MATERIALIZED ({_STORED.format(
                at="", table="operator_stats", where="true")}),
           paused AS (
               SELECT operator_id, jsonb_object_agg(reason, seconds)::text AS paused
                 FROM (SELECT p.operator_id, k.key AS reason, sum(k.value::float8) AS seconds
                         FROM picked p, jsonb_each_text(p.paused) k GROUP BY 1, 2) x
                GROUP BY operator_id)
           SELECT p.operator_id, sum(p.answered)::integer AS answered,
                  sum(p.talking)::float8 AS talking, sum(p.wrap_up)::float8 AS wrap_up,
                  sum(p.logged_in)::float8 AS logged_in,
                  coalesce(max(z.paused), '{{}}') AS paused
             FROM picked p LEFT JOIN paused z USING (operator_id)
            GROUP BY p.operator_id""",
        [u[0] for u in units], [u[1] for u in units], [u[2] for u in units])
    return ({r["operator_id"]: Work(r["answered"], r["talking"], r["wrap_up"]) for r in rows},
            {r["operator_id"]: Presence(r["logged_in"], json.loads(r["paused"]))
             for r in rows if r["logged_in"] or r["paused"] != "{}"})


@dataclass(frozen=True)
class State:
    zone: str
    wait_edges: tuple[int, ...]
    rolled_until: dt.date  # the first day not rolled up


async def state(con: Conn) -> State | None:
    row = await con.fetchrow("SELECT zone, wait_edges, rolled_until FROM call_stats_state")
    return None if row is None else State(row["zone"], tuple(row["wait_edges"]),
                                          row["rolled_until"])


async def set_state(con: Conn, found: State) -> None:
    await con.execute(
        """INSERT INTO call_stats_state (zone, wait_edges, rolled_until) VALUES ($1, $2, $3)
           ON CONFLICT (only_one) DO UPDATE SET zone = $1, wait_edges = $2, rolled_until = $3""",
        found.zone, list(found.wait_edges), found.rolled_until)


async def clear(con: Conn) -> None:
    for table in (*_ROLLED_TABLES, "call_stats_state"):
        await con.execute(f"DELETE FROM {table}")  # the app may not TRUNCATE


async def first_day(con: Conn, zone: str) -> dt.date | None:
    """The day of the first call or line of the queue log."""
    first = await con.fetchval(
        "SELECT least((SELECT min(started_at) FROM calls), (SELECT min(at) FROM queue_events))")
    return None if first is None else today(zone, first)


# --- reading ---------------------------------------------------------------------------

_PART = """SELECT {lead}, {added}, talk_seconds, talked, wait_max, waits,
       answered_within[{within}] AS within
  FROM ({source}) p"""

# Each run of units read by its index: joined plainly (or without OFFSET 0, which keeps
# the planner from flattening the subquery), the whole table was scanned, 700 ms a read.
_STORED = """SELECT s.*{at} FROM unnest($1::text[], $2::date[], $3::date[]) AS r(grain, lo, hi)
  CROSS JOIN LATERAL (SELECT * FROM {table} u WHERE u.grain = r.grain
                         AND u.starts_on >= r.lo AND u.starts_on < r.hi AND {where}
                        OFFSET 0) s"""

_TAIL = """SELECT {lead}, {aggregates} FROM ({binned}) c GROUP BY {lead}"""


def _tail_aggregates(within_bins: int) -> str:
    """What the tail's calls add up: as a unit's row, but with the one running count the
    threshold needs (answered_within[1]), not one per bin. A hundred FILTERs cost more to
    plan, for every read, than the tail of a day or two costs to run."""
    return _AGGREGATES.format(
        waits=_BIN_COUNTS,
        answered_within=f"ARRAY[count(*) FILTER (WHERE answered_bin < {int(within_bins)})]")

# Rows added up per line, facility, queue and language first (over the units), then
# grouped each way. The waits' bins are added up packed and unpacked here.
_GROUPS = """SELECT CASE {dimension} ELSE 'total' END AS dimension,
       CASE {key} ELSE '' END AS key, {sums}, coalesce(sum(waits), 0)::text AS waits
  FROM (SELECT {keys}, {sums}, sum(waits) AS waits
          FROM ({stored} UNION ALL {tail}) c GROUP BY {keys}) c
 GROUP BY GROUPING SETS ({sets}())"""

# Without a filter: each dimension's keys (and the total) are rows of their own in every
# unit (call_stats_by, call_stats_totals), a fifth of call_stats's; the tail's calls
# grouped each way.
_GROUPS_BY = """SELECT dimension, key, {sums}, coalesce(sum(waits), 0)::text AS waits
  FROM ({stored} UNION ALL {totals} UNION ALL {tail}) c
 GROUP BY dimension, key"""

_TAIL_BY = """SELECT CASE {dimension} ELSE 'total' END AS dimension,
       coalesce(CASE {key} ELSE '' END, '') AS key, {aggregates}
  FROM ({binned}) c GROUP BY GROUPING SETS ({sets}())"""

_TREND = """SELECT at AS bucket, {sums}, coalesce(sum(waits), 0)::text AS waits
  FROM ({stored} UNION ALL {tail}) c
 GROUP BY 1 ORDER BY 1"""

_SUMS = ", ".join([*(f"coalesce(sum({c}), 0)::integer AS {c}"
                     for c in (*_ADDED, "within", "talked")),
                   "coalesce(sum(talk_seconds), 0)::float8 AS talk_seconds",
                   "max(wait_max) AS wait_max"])
_FIGURES = (*_ADDED, "within", "talked", "talk_seconds", "wait_max")


def _args(read: Read) -> tuple[list[object], str, str]:
    """The arguments ($1-$6: the units, the tail's ends, the edges; then the filters) and
    the filters' conditions on a unit's rows and on the calls."""
    args: list[object] = [[u[0] for u in read.units], [u[1] for u in read.units],
                          [u[2] for u in read.units], read.tail_start, read.tail_end,
                          list(rules.WAIT_EDGES)]
    stored, calls = [], []
    q = read.query
    for column, value in (("facility_id", q.facility_id), ("line_id", q.line_id),
                          ("queue_id", q.queue_id)):
        if value is not None:
            args.append(value)
            stored.append(f"u.{column} = ${len(args)}")
            calls.append(f"c.{column} = ${len(args)}")
    return (args, " AND ".join(stored) or "true",
            " AND ".join(["c.started_at >= $4", "c.started_at < $5", *calls]))


def _figures(row: asyncpg.Record) -> Figures:
    """A group's or a step's figures, the waits' percentiles from its bins."""
    found = {c: row[c] for c in _FIGURES}
    found["wait_median"], found["wait_p90"] = rules.percentiles(
        rules.unpacked(row["waits"]), (0.5, 0.9), row["wait_max"])
    return Figures(**found)


async def groups(con: Conn, read: Read, dimensions: Sequence[str] = store.DIMENSIONS,
                 by_dimension: bool | None = None) -> list[store.Group]:
    """The period's figures per line, facility, queue and language and in total."""
    if rules.by_dimension(read.query) if by_dimension is None else by_dimension:
        return await _groups_by_dimension(con, read, dimensions)
    args, stored_where, calls_where = _args(read)
    part = {"lead": _KEYS, "added": ", ".join(_ADDED)}
    stored = _PART.format(**part, within=read.within_bins, source=_STORED.format(
        at="", table="call_stats", where=stored_where))
    tail = _PART.format(**part, within=1, source=_TAIL.format(
        lead=_KEYS, aggregates=_tail_aggregates(read.within_bins),
        binned=_binned(calls_where, "$6")))
    sql = _GROUPS.format(stored=stored, tail=tail, sums=_SUMS, keys=_KEYS,
                         **store.grouping(dimensions))
    await _no_jit(con)
    return [store.Group(r["dimension"], r["key"] or "", _figures(r))
            for r in await con.fetch(sql, *args)]


async def _groups_by_dimension(con: Conn, read: Read,
                               dimensions: Sequence[str]) -> list[store.Group]:
    """`groups` of a period without filters, from each dimension's own rows; the days
    at its ends from whole weeks where they hold one (a week's rows are a day's)."""
    args, _, calls_where = _args(dataclasses.replace(read, units=rules.with_weeks(read.units)))
    args.append(list(dimensions))
    part = {"lead": "dimension, key", "added": ", ".join(_ADDED), "within": read.within_bins}
    stored = _PART.format(**part, source=_STORED.format(
        at="", table="call_stats_by", where=f"u.dimension = ANY(${len(args)}::text[])"))
    totals = _PART.format(**part, source=_STORED.format(
        at=", 'total'::text AS dimension, ''::text AS key", table="call_stats_totals",
        where="true"))
    tail = _PART.format(**{**part, "within": 1}, source=_TAIL_BY.format(
        aggregates=_tail_aggregates(read.within_bins), binned=_binned(calls_where, "$6"),
        **store.grouping(dimensions)))
    sql = _GROUPS_BY.format(stored=stored, totals=totals, tail=tail, sums=_SUMS)
    await _no_jit(con)
    return [store.Group(r["dimension"], r["key"] or "", _figures(r))
            for r in await con.fetch(sql, *args)]


async def _no_jit(con: Conn) -> None:
    """For the rest of the transaction: compiling the query (its cost is the summing of
    every bin) took longer than running it, and a year's rows (1 KB each: the bins) were
    sorted on disk in the default 4 MB."""
    if con.is_in_transaction():
        await con.execute("SET LOCAL jit = off")
        await con.execute("SET LOCAL work_mem = '64MB'")


async def trend(con: Conn, read: Read) -> list[store.Step]:
    """The period's figures per step (Period.bucket), as its groups' are made; each unit
    lies inside one step."""
    args, stored_where, calls_where = _args(read)
    table = "call_stats" if stored_where != "true" else "call_stats_totals"
    one = rules.one_filter(read.query)
    if one is not None:  # that facility's, line's or queue's own rows (call_stats_by)
        args.append(str(one[1]))
        table, stored_where = "call_stats_by", \
            f"u.dimension = '{one[0]}' AND u.key = ${len(args)}"
    step, zone = f"${len(args) + 1}", f"${len(args) + 2}"
    part = {"lead": "at", "added": ", ".join(_ADDED)}
    stored = _PART.format(**part, within=read.within_bins, source=_STORED.format(
        at=f", date_trunc({step}, s.starts_on::timestamp) AS at",
        table=table, where=stored_where))
    tail = _PART.format(**part, within=1, source=_TAIL.format(
        lead="at", aggregates=_tail_aggregates(read.within_bins),
        binned=f"SELECT *, date_trunc({step}, started_at AT TIME ZONE {zone}) AS at "
               f"FROM ({_binned(calls_where, '$6')}) b"))
    await _no_jit(con)
    rows = await con.fetch(_TREND.format(stored=stored, tail=tail, sums=_SUMS), *args,
                           read.query.period.bucket, read.query.period.zone)
    return [store.Step(r["bucket"], _figures(r)) for r in rows]
