"""The SQL for reports of conditions and abuse, and the partners they may be shared with.

Only the narrative is sealed: facility, category, severity, dates, who is affected (and
about how many, for a group) and the housing unit stay plain so that reports can be
counted and exported without names.

A report's recorded day is the day in its facility's time zone, as on the evidence pages
(evidence/months.py): the list's Recorded from/to filter by it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import asyncpg

from lifeline_pbx.cases.forms import ReportForm
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conditions, Conn
from lifeline_pbx.web.paging import capped_count

_COLUMNS = """r.id, r.created_at, r.facility_id, f.name AS facility, r.category,
              c.label AS category_label, r.severity, r.occurred_from, r.occurred_to,
              r.affected, r.housing_unit, r.person_id, r.language,
              f.timezone AS facility_zone, r.people"""
_FROM = """reports r JOIN facilities f ON f.id = r.facility_id
           JOIN report_categories c ON c.code = r.category"""
_FROM_FACILITY = "reports r JOIN facilities f ON f.id = r.facility_id"
MAX_LIST = 500


@dataclass(frozen=True)
class ReportSummary:
    id: uuid.UUID
    created_at: dt.datetime
    facility_id: int
    facility: str
    category: str
    category_label: str
    severity: str
    occurred_from: dt.date | None
    occurred_to: dt.date | None
    affected: str
    housing_unit: str
    person_id: uuid.UUID | None
    language: str | None  # of the intake it came from
    facility_zone: str
    people: int | None = None  # about how many, on a report about a group (0045)

    @property
    def recorded(self) -> dt.datetime:
        """When it was recorded, on its facility's clock."""
        return self.created_at.astimezone(ZoneInfo(self.facility_zone))


@dataclass(frozen=True)
class Report:
    summary: ReportSummary
    narrative: str
    partners: tuple[str, ...]  # names of partners the caller consented to share with
    created_by: str


@dataclass(frozen=True)
class ReportFilter:
    facility_id: int | None = None
    category: str | None = None
    since: dt.date | None = None  # recorded on or after, in the facility's time zone
    until: dt.date | None = None  # recorded on or before
    incident_from: dt.date | None = None  # the incident's dates overlap these
    incident_to: dt.date | None = None
    severity: str | None = None  # exactly this one
    language: str | None = None  # of the intake the report came from (migration 0016)
    housing_unit: str | None = None  # compared without regard to case
    partner_id: int | None = None  # the caller consented to share with this partner
    person_ids: tuple[uuid.UUID, ...] = ()  # a person and the records merged into theirs


# A day in any time zone lies within a day either side of the same day in UTC: the bound
# on created_at lets the planner use its indexes, the local day decides.
_LOCAL_DAY = "(r.created_at AT TIME ZONE f.timezone)::date"
_SINCE = f"""r.created_at >= ($?::date - 1)::timestamp AT TIME ZONE 'UTC'
             AND {_LOCAL_DAY} >= $?::date"""
_UNTIL = f"""r.created_at < ($?::date + 2)::timestamp AT TIME ZONE 'UTC'
             AND {_LOCAL_DAY} <= $?::date"""
# A report's incident runs from occurred_from to occurred_to (either alone: that day).
_INCIDENT_FROM = "coalesce(r.occurred_to, r.occurred_from) >= $?::date"
_INCIDENT_TO = "coalesce(r.occurred_from, r.occurred_to) <= $?::date"


def where(filters: ReportFilter) -> tuple[str, list[object]]:
    """The WHERE clause (over reports r joined to their facilities f) and its arguments:
    only the filters given, so that the planner sees plain conditions it can use an index
    for."""
    found = Conditions()
    add = found.add
    if filters.facility_id is not None:
        add("r.facility_id = $?", filters.facility_id)
    if filters.category:
        add("r.category = $?", filters.category)
    if filters.severity:
        add("r.severity = $?", filters.severity)
    if filters.since is not None:
        add(_SINCE, filters.since)
    if filters.until is not None:
        add(_UNTIL, filters.until)
    if filters.incident_from is not None:
        add(_INCIDENT_FROM, filters.incident_from)
    if filters.incident_to is not None:
        add(_INCIDENT_TO, filters.incident_to)
    if filters.language:
        add("r.language = $?", filters.language)
    if filters.housing_unit:
        add("lower(r.housing_unit) = lower($?)", filters.housing_unit)
    if filters.partner_id is not None:
        add("""EXISTS (SELECT 1 FROM report_consents rc
                       WHERE rc.report_id = r.id AND rc.partner_id = $?)""", filters.partner_id)
    if filters.person_ids:
        add("r.person_id = ANY($?::uuid[])", list(filters.person_ids))
    return found.where()


def _summary(r: asyncpg.Record) -> ReportSummary:
    return ReportSummary(
        r["id"], r["created_at"], r["facility_id"], r["facility"], r["category"],
        r["category_label"], r["severity"], r["occurred_from"], r["occurred_to"],
        r["affected"], r["housing_unit"], r["person_id"], r["language"], r["facility_zone"],
        r["people"])


async def insert(con: Conn, keys: KeyRing, report_id: uuid.UUID, form: ReportForm, *,
                 facility_id: int, person_id: uuid.UUID | None, intake_id: uuid.UUID | None,
                 user_id: int) -> None:
    """A new report; one from an intake goes after the intake's other reports."""
    await con.execute(
        """INSERT INTO reports (id, intake_id, person_id, facility_id, category, severity,
                                occurred_from, occurred_to, affected, housing_unit, narrative,
                                created_by, intake_position, people)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                   CASE WHEN $2::uuid IS NOT NULL THEN 1 + (SELECT count(*) FROM reports
                                                           WHERE intake_id = $2) END, $13)""",
        report_id, intake_id, person_id, facility_id, form.category, form.severity,
        form.occurred_from, form.occurred_to, form.affected, form.housing_unit,
        keys.seal(form.narrative, place("reports", "narrative", report_id)), user_id,
        form.people,
    )
    await con.executemany(
        "INSERT INTO report_consents (report_id, partner_id) VALUES ($1, $2)",
        [(report_id, partner) for partner in form.partner_ids],
    )


@dataclass(frozen=True)
class Stored:
    """A report saved from an intake form, as that form would say it."""

    form: ReportForm
    facility_id: int
    person_id: uuid.UUID | None


_STORED = """SELECT r.*, coalesce(array_agg(rc.partner_id ORDER BY rc.partner_id)
                                 FILTER (WHERE rc.partner_id IS NOT NULL), '{}') AS partners
              FROM reports r LEFT JOIN report_consents rc ON rc.report_id = r.id"""


REMOVED_NARRATIVE = "(The narrative was removed after the retention period.)"


def _narrative(keys: KeyRing, sealed: bytes | None, report_id: uuid.UUID,
               removed: str = "") -> str:
    """The narrative in clear; `removed` once retention has cleared it (migrations/0022)."""
    return removed if sealed is None else keys.open(sealed, place("reports", "narrative",
                                                                  report_id))


def _stored(r: asyncpg.Record, keys: KeyRing) -> Stored:
    return Stored(ReportForm(
        r["category"], r["severity"], r["occurred_from"], r["occurred_to"], r["affected"],
        r["housing_unit"], _narrative(keys, r["narrative"], r["id"]),
        tuple(r["partners"]), r["id"], r["people"]), r["facility_id"], r["person_id"])


async def of_intake(con: Conn, keys: KeyRing, intake_id: uuid.UUID) -> dict[uuid.UUID, Stored]:
    rows = await con.fetch(
        f"""{_STORED} WHERE r.intake_id = $1 GROUP BY r.id
            ORDER BY r.intake_position, r.created_at""",
        intake_id,
    )
    return {r["id"]: _stored(r, keys) for r in rows}


async def stored(con: Conn, keys: KeyRing, report_id: uuid.UUID) -> Stored | None:
    row = await con.fetchrow(f"{_STORED} WHERE r.id = $1 GROUP BY r.id", report_id)
    return None if row is None else _stored(row, keys)


def changes(old: Stored, new: ReportForm, facility_id: int,
            person_id: uuid.UUID | None) -> list[str]:
    """The names of the report's fields that the form changes (consents as a set)."""
    was, now = old.form, new
    pairs = {"facility": (old.facility_id, facility_id), "person_id": (old.person_id, person_id),
             "category": (was.category, now.category), "severity": (was.severity, now.severity),
             "occurred_from": (was.occurred_from, now.occurred_from),
             "occurred_to": (was.occurred_to, now.occurred_to),
             "affected": (was.affected, now.affected), "people": (was.people, now.people),
             "housing_unit": (was.housing_unit, now.housing_unit),
             "narrative": (was.narrative, now.narrative),
             "consents": (set(was.partner_ids), set(now.partner_ids))}
    return [name for name, (before, after) in pairs.items() if before != after]


async def update(con: Conn, keys: KeyRing, form: ReportForm, *, facility_id: int,
                 person_id: uuid.UUID | None) -> None:
    await con.execute(
        """UPDATE reports SET person_id = $2, facility_id = $3, category = $4, severity = $5,
                  occurred_from = $6, occurred_to = $7, affected = $8, housing_unit = $9,
                  narrative = $10, people = $11
           WHERE id = $1""",
        form.id, person_id, facility_id, form.category, form.severity, form.occurred_from,
        form.occurred_to, form.affected, form.housing_unit,
        keys.seal(form.narrative, place("reports", "narrative", form.id)), form.people,
    )
    await con.execute("DELETE FROM report_consents WHERE report_id = $1", form.id)
    await con.executemany(
        "INSERT INTO report_consents (report_id, partner_id) VALUES ($1, $2)",
        [(form.id, partner) for partner in form.partner_ids],
    )


async def get(con: Conn, keys: KeyRing, report_id: uuid.UUID) -> Report | None:
    row = await con.fetchrow(
        f"""SELECT {_COLUMNS}, r.narrative, u.display_name AS created_by
            FROM {_FROM} JOIN users u ON u.id = r.created_by WHERE r.id = $1""",
        report_id,
    )
    if row is None:
        return None
    partners = await con.fetch(
        """SELECT p.name FROM report_consents rc JOIN partners p ON p.id = rc.partner_id
           WHERE rc.report_id = $1 ORDER BY p.name""",
        report_id,
    )
    narrative = _narrative(keys, row["narrative"], report_id, REMOVED_NARRATIVE)
    return Report(_summary(row), narrative, tuple(p["name"] for p in partners),
                  row["created_by"])


async def search(con: Conn, filters: ReportFilter, limit: int, offset: int = 0,
                 ) -> list[ReportSummary]:
    clause, args = where(filters)
    n = len(args)
    rows = await con.fetch(
        f"""SELECT {_COLUMNS} FROM {_FROM} WHERE {clause}
            ORDER BY r.created_at DESC, r.id DESC LIMIT ${n + 1} OFFSET ${n + 2}""",
        *args, limit, offset,
    )
    return [_summary(r) for r in rows]


async def count(con: Conn, filters: ReportFilter, *, exact: bool = False) -> int:
    """How many reports match; past paging.COUNT_CAP only that there are more, unless exact."""
    clause, args = where(filters)
    select = f"SELECT 1 FROM {_FROM_FACILITY} WHERE {clause}"
    total: int = await con.fetchval(
        f"SELECT count(*) FROM ({select}) AS counted" if exact else capped_count(select), *args)
    return total


async def without_incident(con: Conn, filters: ReportFilter) -> int:
    """Of the reports the filters match but for their incident dates, how many have none
    (an incident filter cannot match them)."""
    clause, args = where(replace(filters, incident_from=None, incident_to=None))
    found: int = await con.fetchval(
        f"""SELECT count(*) FROM {_FROM_FACILITY} WHERE {clause}
              AND r.occurred_from IS NULL AND r.occurred_to IS NULL""", *args)
    return found


async def for_persons(con: Conn, person_ids: list[uuid.UUID]) -> list[ReportSummary]:
    rows = await con.fetch(
        f"""SELECT {_COLUMNS} FROM {_FROM} WHERE r.person_id = ANY($1::uuid[])
            ORDER BY r.created_at DESC LIMIT {MAX_LIST}""",
        person_ids,
    )
    return [_summary(r) for r in rows]


async def summaries_of_intake(con: Conn, intake_id: uuid.UUID) -> list[ReportSummary]:
    """The intake's reports in the order it saved them (nothing sealed)."""
    rows = await con.fetch(
        f"""SELECT {_COLUMNS} FROM {_FROM} WHERE r.intake_id = $1
            ORDER BY r.intake_position, r.created_at""", intake_id)
    return [_summary(r) for r in rows]


async def categories(con: Conn, *, enabled_only: bool = True) -> list[tuple[str, str]]:
    rows = await con.fetch(
        """SELECT code, label FROM report_categories WHERE enabled OR NOT $1
           ORDER BY position, label""",
        enabled_only,
    )
    return [(r["code"], r["label"]) for r in rows]


async def partners(con: Conn) -> list[tuple[int, str, str]]:
    rows = await con.fetch("SELECT id, name, kind FROM partners WHERE enabled ORDER BY name")
    return [(r["id"], r["name"], r["kind"]) for r in rows]
