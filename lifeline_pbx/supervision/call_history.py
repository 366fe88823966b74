"""The SQL for the call history: every call with its facility, line, language, triage, wait,
outcome, operator and length, filtered and paged, with what to filter by; and one person's
calls.

Nothing here is sealed or identifies a caller: the caller's number is not shown. Language
and triage are worded as the operator console words them.

Days and times are the statistics' (statistics/periods.py DEFAULT_ZONE): a day filter is
midnight to midnight there, so /calls?since=D&until=D counts the calls that
/statistics?period=day&date=D receives, and each time is shown there, with its zone.

"Answered, no intake" is the work nobody has done yet: an ended call someone answered (an
operator from the queue, or whoever took an emergency from the on-call list, even an outside
number) with no intake saved for it (a draft is not an intake: nothing counts it, and retention may
remove it; the row says one is kept, if anything was typed in it: cases/drafts.py typed).

A call's wait is the one the statistics count (calls.wait_seconds, as the distributor
measured it when the caller left the queue), not the time from the queue to the call's end,
which for a voicemail holds the message. Its operator is who answered it (calls.operator_id),
never who wrote an intake about it: the intakes table says that.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

import asyncpg

from lifeline_pbx.cases import drafts
from lifeline_pbx.cases.forms import language_name
from lifeline_pbx.console.messages import triage_word
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conditions, Conn
from lifeline_pbx.retention import store as retention
from lifeline_pbx.statistics.periods import DEFAULT_ZONE, midnight
from lifeline_pbx.statistics.periods import today as periods_today
from lifeline_pbx.web.paging import Window, capped_count, clamped

TRIAGES = {"normal": triage_word(0), "urgent": triage_word(1)}  # the filter's value: words
# The filter's values (calls.disposition): words. Another disposition is shown as it is.
OUTCOMES = {"answered": "answered", "completed": "completed", "voicemail": "voicemail",
            "no_message": "no message left", "abandoned": "abandoned", "failed": "failed"}
ZONE = DEFAULT_ZONE  # whose days and times
INTAKES = {"missing": "Answered, no intake"}  # the filter's value: words
MISSING_INTAKE = """c.connected_at IS NOT NULL
    AND c.ended_at IS NOT NULL AND NOT EXISTS (SELECT FROM intakes i WHERE i.call_id = c.id)"""


@dataclass(frozen=True)
class CallRow:
    call_id: uuid.UUID
    at: dt.datetime
    facility: str
    line: str
    language: str
    urgent: bool
    wait_seconds: int | None  # in the queue, until answered, hung up or sent to voicemail
    outcome: str  # how the call ended (disposition), or the intake's outcome
    intake_outcome: str
    operator: str
    duration_seconds: int | None
    recorded: bool  # the line recorded the conversation (heard from the call's page)
    draft: bool = False  # answered, no intake saved, a draft kept for it

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    @property
    def triage_word(self) -> str:
        return triage_word(1 if self.urgent else 0)

    @property
    def outcome_word(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome.replace("_", " "))


@dataclass(frozen=True)
class CallFilter:
    since: dt.date | None = None
    until: dt.date | None = None
    facility_id: int | None = None
    line_id: int | None = None
    language: str | None = None
    triage: str | None = None  # one of TRIAGES
    outcome: str | None = None  # one of OUTCOMES
    operator_id: int | None = None
    intake: str | None = None  # one of INTAKES


def where(filters: CallFilter) -> tuple[str, list[object]]:
    """The WHERE clause over calls c, with only the filters given."""
    found = Conditions()
    add = found.add
    if filters.since is not None:
        add("c.started_at >= $?", midnight(filters.since, ZONE))
    if filters.until is not None:
        add("c.started_at < $?", midnight(filters.until + dt.timedelta(days=1), ZONE))
    if filters.facility_id is not None:
        add("c.facility_id = $?", filters.facility_id)
    if filters.line_id is not None:
        add("c.line_id = $?", filters.line_id)
    if filters.language:
        add("c.language = $?", filters.language)
    if filters.triage:
        add("(c.priority > 0) = $?", filters.triage == "urgent")
    if filters.outcome:
        add("c.disposition = $?", filters.outcome)
    if filters.operator_id is not None:
        add("c.operator_id = $?", filters.operator_id)
    if filters.intake == "missing":
        add(f"({MISSING_INTAKE}) = $?", True)
    return found.where()


CALL_COLUMNS = """c.id AS call_id, c.started_at AS at, coalesce(f.name, '') AS facility,
    coalesce(l.name, '') AS line, coalesce(c.language, '') AS language,
    c.priority > 0 AS urgent,
    round(c.wait_seconds)::int AS wait_seconds,
    coalesce(c.disposition, CASE WHEN c.ended_at IS NULL THEN 'in progress' ELSE '' END)
        AS outcome,
    coalesce(o.display_name, '') AS operator,
    extract(epoch FROM c.ended_at - c.started_at)::int AS duration_seconds,
    c.recording IS NOT NULL AS recorded"""


def call_row(r: asyncpg.Record) -> CallRow:
    return CallRow(r["call_id"], r["at"], r["facility"], r["line"], r["language"], r["urgent"],
                   r["wait_seconds"], r["outcome"], r["intake_outcome"] or "", r["operator"],
                   r["duration_seconds"], bool(r["recorded"]))


async def page(con: Conn, keys: KeyRing, filters: CallFilter,
               at: Window) -> tuple[int, Window, list[CallRow]]:
    """How many calls match, the page shown (past the end: the last) and its calls (newest
    first)."""
    clause, args = where(filters)
    total = await con.fetchval(capped_count(f"SELECT 1 FROM calls c WHERE {clause}"), *args)
    at = clamped(at, total)
    n = len(args)
    rows = await con.fetch(
        f"""SELECT {CALL_COLUMNS},
                   (SELECT i.outcome FROM intakes i WHERE i.call_id = c.id
                    ORDER BY i.created_at LIMIT 1) AS intake_outcome,
                   ({MISSING_INTAKE}) AS missing
            FROM calls c LEFT JOIN facilities f ON f.id = c.facility_id
                 LEFT JOIN lines l ON l.id = c.line_id
                 LEFT JOIN operators o ON o.id = c.operator_id
            WHERE {clause}
            ORDER BY c.started_at DESC, c.id DESC LIMIT ${n + 1} OFFSET ${n + 2}""",
        *args, at.per_page, at.offset)
    drafted = await drafts.typed_on(con, keys, [r["call_id"] for r in rows if r["missing"]])
    return total, at, [replace(call_row(r), draft=r["call_id"] in drafted) for r in rows]


async def for_persons(con: Conn, person_ids: list[uuid.UUID],
                      at: Window) -> tuple[int, Window, list[CallRow]]:
    """A person's calls (those their intakes were written on; an intake typed outside a
    call is not a call, and a call with two intakes is one), newest first: how many, the
    page shown (past the end: the last) and its calls. A merge's preview counts the same
    (people.moves)."""
    total = await con.fetchval(
        capped_count("""SELECT DISTINCT call_id FROM intakes
                        WHERE person_id = ANY($1::uuid[]) AND call_id IS NOT NULL"""),
        person_ids)
    at = clamped(at, total)
    rows = await con.fetch(
        """SELECT DISTINCT ON (c.started_at, c.id)
                  c.id AS call_id, c.started_at AS at,
                  coalesce(f.name, '') AS facility, coalesce(l.name, '') AS line,
                  coalesce(nullif(i.language, ''), c.language, '') AS language,
                  c.priority > 0 OR i.triage > 0 AS urgent,
                  round(c.wait_seconds)::int AS wait_seconds,
                  coalesce(c.disposition, '') AS outcome, i.outcome AS intake_outcome,
                  coalesce(o.display_name, '') AS operator,
                  extract(epoch FROM c.ended_at - c.started_at)::int AS duration_seconds,
                  c.recording IS NOT NULL AS recorded
           FROM intakes i JOIN calls c ON c.id = i.call_id
                LEFT JOIN facilities f ON f.id = coalesce(c.facility_id, i.facility_id)
                LEFT JOIN lines l ON l.id = c.line_id
                LEFT JOIN operators o ON o.id = c.operator_id
           WHERE i.person_id = ANY($1::uuid[])
           ORDER BY c.started_at DESC, c.id, i.created_at, i.id LIMIT $2 OFFSET $3""",
        person_ids, at.per_page, at.offset)
    return total, at, [call_row(r) for r in rows]


@dataclass(frozen=True)
class Choices:
    """Facilities, lines and operators to filter by, as (id, name)."""

    facilities: list[tuple[int, str]]
    lines: list[tuple[int, str]]
    operators: list[tuple[int, str]]


@dataclass(frozen=True)
class CallsPage:
    total: int
    at: Window  # the page shown
    rows: list[CallRow]
    choices: Choices


async def _named(con: Conn, sql: str) -> list[tuple[int, str]]:
    return [(r["id"], r["name"]) for r in await con.fetch(sql)]


async def choices(con: Conn) -> Choices:
    return Choices(
        await _named(con, "SELECT id, name FROM facilities ORDER BY name"),
        await _named(con, "SELECT id, name FROM lines ORDER BY name"),
        await _named(con, "SELECT id, display_name AS name FROM operators ORDER BY display_name"))


async def calls_page(con: Conn, keys: KeyRing, filters: CallFilter, at: Window) -> CallsPage:
    """The call history's page: the calls asked for, and what to filter by."""
    return CallsPage(*await page(con, keys, filters, at), await choices(con))


@dataclass(frozen=True)
class MissingIntakes:
    """Answered calls with no intake in the last WEEK_DAYS days (today among them) in ZONE,
    and the call history's address that lists them."""

    count: int
    since: dt.date
    until: dt.date
    # Unsaved intakes on answered calls with none saved, of any day, the soonest retention
    # removes first (who and when, not what): a supervisor can finish them.
    stranded: tuple[drafts.Stranded, ...] = ()

    @property
    def link(self) -> str:
        return f"/calls?intake=missing&since={self.since}&until={self.until}"


WEEK_DAYS = 7


def this_week(now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The last WEEK_DAYS days in ZONE, today the last of them."""
    today = periods_today(ZONE, now)
    return today - dt.timedelta(days=WEEK_DAYS - 1), today


async def missing_intakes(con: Conn, keys: KeyRing, now: dt.datetime) -> MissingIntakes:
    since, until = this_week(now)
    clause, args = where(CallFilter(since=since, until=until, intake="missing"))
    count: int = await con.fetchval(f"SELECT count(*) FROM calls c WHERE {clause}", *args)
    stranded = await drafts.stranded(con, keys, MISSING_INTAKE,
                                     (await retention.limits(con)).drafts)
    return MissingIntakes(count, since, until, tuple(stranded))
