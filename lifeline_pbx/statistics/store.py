"""The statistics' SQL: the database groups a period's calls (percentile_cont for the
waits) and sums each operator's talk and wrap-up; the queue log of logins and pauses,
a few lines per shift, is read as it is and folded by operator_time.presence.

The rules are figures.py's and operator_time.py's (tests/test_statistics_store.py holds
this SQL to them). Nothing here names a caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lifeline_pbx.db import Conditions, Conn
from lifeline_pbx.statistics.figures import Figures
from lifeline_pbx.statistics.operator_time import Mark, Work
from lifeline_pbx.statistics.periods import Query

DIMENSIONS = ("line", "facility", "queue", "language")
COLUMN = {"line": "line_id", "facility": "facility_id", "queue": "queue_id",
           "language": "language"}

OUTCOME = """CASE WHEN c.connected_at IS NOT NULL THEN 'answered'
                   WHEN c.voicemail_reason = 'closed' THEN 'closed'
                   WHEN c.disposition = 'voicemail' THEN 'voicemail'
                   WHEN c.disposition = 'no_message' THEN 'no_message'
                   WHEN c.disposition = 'abandoned' AND c.queued_at IS NOT NULL
                        THEN 'abandoned_queue'
                   WHEN c.disposition = 'abandoned' THEN 'abandoned_ivr'
                   ELSE 'other' END"""

CALLS = f"""SELECT c.line_id, c.facility_id, c.queue_id,
                    coalesce(c.language, '') AS language, {OUTCOME} AS outcome,
                    c.queued_at IS NOT NULL
                        AND (c.connected_at IS NOT NULL OR c.ended_at IS NOT NULL) AS left_queue,
                    c.wait_seconds,
                    extract(epoch FROM c.ended_at - c.connected_at)::float8 AS talk,
                    c.started_at
               FROM calls c WHERE {{where}}"""

_COUNTS = """count(*) AS received,
    count(*) FILTER (WHERE outcome = 'answered') AS answered,
    count(*) FILTER (WHERE outcome = 'closed') AS closed,
    count(*) FILTER (WHERE outcome = 'voicemail') AS voicemail,
    count(*) FILTER (WHERE outcome = 'no_message') AS no_message,
    count(*) FILTER (WHERE outcome = 'abandoned_ivr') AS abandoned_ivr,
    count(*) FILTER (WHERE outcome = 'abandoned_queue') AS abandoned_queue,
    count(*) FILTER (WHERE outcome = 'other') AS other,
    count(*) FILTER (WHERE left_queue) AS left_queue,
    count(*) FILTER (WHERE left_queue AND outcome = 'answered'
                     AND wait_seconds <= {threshold}) AS within"""

_WAITS = """percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_seconds) AS wait_median,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY wait_seconds) AS wait_p90,
    max(wait_seconds) AS wait_max,
    coalesce(sum(talk), 0)::float8 AS talk_seconds, count(talk) AS talked"""

_GROUPED = """SELECT CASE {dimension} ELSE 'total' END AS dimension,
              CASE {key} ELSE '' END AS key, {counts}, {waits}
         FROM ({calls}) c
        GROUP BY GROUPING SETS ({sets}())"""

_TREND = """SELECT date_trunc({step}, started_at AT TIME ZONE {zone}) AS bucket, {counts},
                   {waits}
              FROM ({calls}) c GROUP BY 1 ORDER BY 1"""

# Each call's talk, and its wrap-up: from its end for the queue's wrap-up time, cut at the
# operator's first stop after it (ready, logout, or the next call taken). The stop is found
# with one pass over the operator's stops and call ends, latest first (a running minimum).
# A call taken more than a day before the period is not read: calls are cut long before.
_WORK = """
WITH talks AS (
    SELECT c.operator_id, c.connected_at, c.ended_at,
           coalesce(q.wrapup_seconds, 0) AS wrapup
      FROM calls c LEFT JOIN queues q ON q.id = c.queue_id
     WHERE c.operator_id IS NOT NULL AND c.connected_at IS NOT NULL
       AND c.connected_at >= $1::timestamptz - interval '1 day' AND c.connected_at < $2
), stream AS (
    SELECT operator_id, connected_at AS at, 0 AS sort, connected_at AS stop,
           NULL::timestamptz AS ended_at, 0 AS wrapup FROM talks
    UNION ALL
    SELECT DISTINCT operator_id, at, 0, at, NULL::timestamptz, 0 FROM queue_events
     WHERE kind IN ('ready', 'logout') AND operator_id IS NOT NULL
       AND at >= $1::timestamptz - interval '1 day' AND at < $2
    UNION ALL
    SELECT operator_id, ended_at, 1, NULL, ended_at, wrapup FROM talks
     WHERE ended_at IS NOT NULL
), ends AS (
    SELECT operator_id, ended_at, wrapup, sort,
           min(stop) OVER (PARTITION BY operator_id ORDER BY at DESC, sort
                           ROWS UNBOUNDED PRECEDING) AS next_stop
      FROM stream
), wrap AS (
    SELECT operator_id,
           sum(greatest(0, extract(epoch FROM
               least(ended_at + wrapup * interval '1 second',
                     coalesce(next_stop, 'infinity'), $2)
               - greatest(ended_at, $1))))::float8 AS wrap_up
      FROM ends WHERE sort = 1 GROUP BY operator_id
), talk AS (
    SELECT operator_id, count(*) FILTER (WHERE connected_at >= $1) AS answered,
           sum(greatest(0, extract(epoch FROM
               least(coalesce(ended_at, $2), $2) - greatest(connected_at, $1))))::float8
               AS talking
      FROM talks GROUP BY operator_id
)
SELECT operator_id, coalesce(answered, 0) AS answered, coalesce(talking, 0) AS talking,
       coalesce(wrap_up, 0) AS wrap_up
  FROM talk FULL JOIN wrap USING (operator_id)
"""

# The logins and pauses of each operator since their last login or logout before the
# period (their state when it began), to its end. The kinds are written out (operator_time.
# PRESENCE), not passed: the planner uses the partial index only for a list it can read.
_MARKS = """
WITH since AS (
    SELECT o.id AS operator_id, coalesce(last.at, $1) AS since
      FROM operators o
      LEFT JOIN LATERAL (
          SELECT p.at FROM queue_events p
           WHERE p.operator_id = o.id AND p.kind IN ('login', 'logout') AND p.at < $1
           ORDER BY p.operator_id DESC, p.at DESC LIMIT 1) last ON true  -- by operator
)
SELECT DISTINCT e.operator_id, e.at, e.kind, e.detail
  FROM since s JOIN queue_events e
    ON e.operator_id = s.operator_id AND e.at >= s.since AND e.at < $2
 WHERE e.kind IN ('login', 'logout', 'pause', 'unpause')
   AND e.at >= (SELECT min(since) FROM since)  -- a range of the index on at
 ORDER BY e.operator_id, e.at
"""


@dataclass(frozen=True)
class Group:
    dimension: str  # one of DIMENSIONS, or "total"
    key: str  # the id (as text) or language code; "" when the call has none
    figures: Figures


@dataclass(frozen=True)
class Step:
    bucket: datetime  # the step's first local time (naive: the zone's wall clock)
    figures: Figures


def _calls_where(query: Query) -> tuple[str, list[object]]:
    found = Conditions()
    found.add("c.started_at >= $?", query.period.start)
    found.add("c.started_at < $?", query.period.end)
    for column, value in (("facility_id", query.facility_id), ("line_id", query.line_id),
                          ("queue_id", query.queue_id)):
        if value is not None:
            found.add(f"c.{column} = $?", value)
    return found.where()


_FIGURES = set(Figures.__dataclass_fields__)


def _figures(record: dict[str, Any]) -> Figures:
    return Figures(**{k: v for k, v in record.items() if k in _FIGURES})


async def groups(con: Conn, query: Query,
                 dimensions: Sequence[str] = DIMENSIONS) -> list[Group]:
    """The period's calls grouped by each dimension (line, facility, queue, language) and
    in total."""
    where, args = _calls_where(query)
    sql = _GROUPED.format(
        counts=_COUNTS.format(threshold=f"${len(args) + 1}"), waits=_WAITS,
        calls=CALLS.format(where=where), **grouping(dimensions))
    rows = await con.fetch(sql, *args, float(query.threshold))
    return [Group(r["dimension"], r["key"] or "", _figures(dict(r))) for r in rows]


def grouping(dimensions: Sequence[str]) -> dict[str, str]:
    """The parts of a GROUPING SETS query over rows with the dimensions' columns: which
    dimension and key a result row is of, and the sets (each dimension, and the total)."""
    return {
        "dimension": " ".join(f"WHEN GROUPING({COLUMN[d]}) = 0 THEN '{d}'" for d in dimensions),
        "key": " ".join(f"WHEN GROUPING({COLUMN[d]}) = 0 THEN {COLUMN[d]}::text"
                        for d in dimensions),
        "sets": "".join(f"({COLUMN[d]}), " for d in dimensions),
    }


async def trend(con: Conn, query: Query) -> list[Step]:
    """The period's calls per hour, day, week or month (Period.bucket): every figure a
    group has, so a step's row reads as the groups' of its calls."""
    where, args = _calls_where(query)
    n = len(args)
    sql = _TREND.format(step=f"${n + 1}", zone=f"${n + 2}",
                        counts=_COUNTS.format(threshold=f"${n + 3}"), waits=_WAITS,
                        calls=CALLS.format(where=where))
    rows = await con.fetch(sql, *args, query.period.bucket, query.period.zone,
                           float(query.threshold))
    return [Step(r["bucket"], _figures(dict(r))) for r in rows]


async def work(con: Conn, start: datetime, end: datetime) -> dict[int, Work]:
    rows = await con.fetch(_WORK, start, end)
    return {r["operator_id"]: Work(r["answered"], r["talking"], r["wrap_up"]) for r in rows}


async def marks(con: Conn, start: datetime, end: datetime) -> list[Mark]:
    rows = await con.fetch(_MARKS, start, end)
    return [Mark(r["operator_id"], r["at"], r["kind"], r["detail"]) for r in rows]


@dataclass(frozen=True)
class Names:
    """What the tables label ids with, and the form offers."""

    facilities: dict[int, str]
    lines: dict[int, str]
    queues: dict[int, str]
    operators: dict[int, str]
    languages: dict[str, str]


async def names(con: Conn) -> Names:
    return Names(
        facilities=await _ids(con, "SELECT id, name FROM facilities ORDER BY name"),
        lines=await _ids(con, "SELECT id, name FROM lines ORDER BY name"),
        queues=await _ids(con, "SELECT id, name FROM queues ORDER BY name"),
        operators=await _ids(con, "SELECT id, display_name FROM operators ORDER BY display_name"),
        languages={r["code"]: r["name"] for r in await con.fetch(
            "SELECT code, name FROM languages ORDER BY position, code")},
    )


async def _ids(con: Conn, sql: str) -> dict[int, str]:
    return {r[0]: r[1] for r in await con.fetch(sql)}
