"""The SQL of the summary's figures that the evidence pages do not count already: calls
received and answered by facility, intakes, the people the reports are about, and
follow-ups. The reports by facility and category are store.counts' (the heat map's).

Each counts by its own time in its facility's time zone (calls by the call's facility,
intakes by the intake's, reports by the report's, follow-ups by their report's else their
intake's), as store.monthly counts a facility's calls; with no facility, in the zone
given. UTC bounds two days wider let the indexes choose the rows first.
"""

from __future__ import annotations

import datetime as dt

from lifeline_pbx.db import Conn
from lifeline_pbx.evidence.months import Months
from lifeline_pbx.evidence.summary import Figures

_SLACK = dt.timedelta(days=2)  # wider than any two time zones are apart
_ZONE = "coalesce(f.timezone, $5)"


def _within(at: str) -> str:
    """`at` within the months ($1, $2: local midnights) in its facility's zone."""
    return (f"{at} >= $3 AND {at} < $4 AND ({at} AT TIME ZONE {_ZONE}) >= $1 "
            f"AND ({at} AT TIME ZONE {_ZONE}) < $2")


_CALLS = f"""SELECT c.facility_id, count(*) AS received, count(c.connected_at) AS answered
               FROM calls c LEFT JOIN facilities f ON f.id = c.facility_id
              WHERE {_within("c.started_at")} GROUP BY 1"""
_INTAKES = f"""SELECT count(*) FROM intakes i LEFT JOIN facilities f ON f.id = i.facility_id
                WHERE i.outcome = 'intake' AND {_within("i.created_at")}"""
# A group report's people: the largest group each facility's reports say (two where none
# says), as groups at one facility may be the same people reported again (summary.people).
_PEOPLE = f"""WITH r AS (SELECT r.person_id, r.affected, r.people, r.facility_id
                           FROM reports r JOIN facilities f ON f.id = r.facility_id
                          WHERE {_within("r.created_at")})
              SELECT (SELECT count(DISTINCT person_id) FROM r WHERE affected = 'person')
                       AS named,
                     (SELECT count(*) FROM r WHERE affected = 'person' AND person_id IS NULL)
                       AS nameless,
                     (SELECT coalesce(sum(largest), 0) FROM (
                        SELECT max(coalesce(people, 2)) AS largest FROM r
                         WHERE affected = 'group' GROUP BY facility_id) g) AS largest,
                     (SELECT count(*) - count(DISTINCT facility_id) FROM r
                       WHERE affected = 'group') AS others,
                     (SELECT count(*) FROM r WHERE affected = 'group' AND people IS NULL)
                       AS unsized"""
# $6: the day on whose first instant a follow-up still open is overdue if due before it
_ENDED = f"($6::date::timestamp AT TIME ZONE {_ZONE})"
_FOLLOW_UPS = f"""SELECT count(*) FILTER (WHERE {_within("fu.created_at")}) AS opened,
       count(*) FILTER (WHERE fu.status <> 'open' AND {_within("fu.closed_at")}) AS closed,
       count(*) FILTER (WHERE fu.due_on < $6::date AND fu.created_at < {_ENDED}
                         AND (fu.closed_at IS NULL OR fu.closed_at >= {_ENDED})) AS overdue
  FROM follow_ups fu LEFT JOIN reports r ON r.id = fu.report_id
       LEFT JOIN intakes i ON i.id = fu.intake_id
       LEFT JOIN facilities f ON f.id = coalesce(r.facility_id, i.facility_id)
 WHERE fu.created_at < $4"""


async def figures(con: Conn, months: Months, overdue_on: dt.date, zone: str) -> Figures:
    """The period's calls, intakes, people and follow-ups."""
    lo = dt.datetime.combine(months.first, dt.time())
    hi = dt.datetime.combine(months.after, dt.time())
    bounds = (lo, hi, lo.replace(tzinfo=dt.UTC) - _SLACK, hi.replace(tzinfo=dt.UTC) + _SLACK,
              zone)
    calls = {r["facility_id"]: (r["received"], r["answered"])
             for r in await con.fetch(_CALLS, *bounds)}
    intakes = await con.fetchval(_INTAKES, *bounds)
    people = await con.fetchrow(_PEOPLE, *bounds)
    follow_ups = await con.fetchrow(_FOLLOW_UPS, *bounds, overdue_on)
    assert people is not None and follow_ups is not None  # aggregates give a row
    return Figures(calls, intakes, people["named"], people["nameless"], people["largest"],
                   people["others"], people["unsized"],
                   follow_ups["opened"], follow_ups["closed"], follow_ups["overdue"])
