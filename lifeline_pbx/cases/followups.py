"""The SQL for follow-ups: what is to be done, by whom, by when; `what` is sealed.

A follow-up is listed with the person it concerns (names and A-number opened here) and
its facility: the person's current facility, else the report's, else the intake's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.cases import anumber
from lifeline_pbx.cases.followup_rules import Current, is_overdue
from lifeline_pbx.cases.forms import FollowUpForm
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn

_FROM = """follow_ups fu
    LEFT JOIN users a ON a.id = fu.assignee_id
    LEFT JOIN users c ON c.id = fu.created_by
    LEFT JOIN persons p ON p.id = fu.person_id
    LEFT JOIN reports r ON r.id = fu.report_id
    LEFT JOIN intakes i ON i.id = fu.intake_id
    LEFT JOIN facilities f ON f.id = coalesce(p.facility_id, r.facility_id, i.facility_id)"""
_SELECT = f"""SELECT fu.id, fu.what, fu.due_on, fu.status, fu.assignee_id,
                    coalesce(a.display_name, '') AS assignee, fu.person_id, fu.report_id,
                    fu.intake_id, fu.created_at, c.display_name AS created_by, fu.closed_at,
                    p.a_number, p.names, coalesce(f.name, '') AS facility,
                    (SELECT count(*) FROM follow_up_notes n
                      WHERE n.follow_up_id = fu.id) AS notes
             FROM {_FROM}"""
_ORDER = "ORDER BY fu.due_on NULLS LAST, fu.created_at, fu.id"
# The filters, each off when its parameter is NULL (or false).
_WHERE = """WHERE ($1::text IS NULL OR fu.status = $1)
              AND ($2::bigint IS NULL OR fu.assignee_id = $2)
              AND (NOT $3::boolean OR fu.assignee_id IS NULL)
              AND ($4::bigint IS NULL OR f.id = $4)
              AND (NOT $5::boolean OR (fu.status = 'open' AND fu.due_on < $6::date))"""


@dataclass(frozen=True)
class PersonBrief:
    """Who a follow-up concerns, as shown beside it."""

    id: uuid.UUID
    a_number: str  # as shown: A012-345-678
    names: tuple[str, ...]


@dataclass(frozen=True)
class FollowUp:
    id: uuid.UUID
    what: str
    due_on: dt.date | None
    status: str
    assignee_id: int | None
    assignee: str
    person_id: uuid.UUID | None
    report_id: uuid.UUID | None
    intake_id: uuid.UUID | None
    created_at: dt.datetime
    created_by: str
    closed_at: dt.datetime | None
    person: PersonBrief | None
    facility: str
    notes: int  # how many notes its thread holds

    def overdue(self, today: dt.date) -> bool:
        return is_overdue(self.status, self.due_on, today)


@dataclass(frozen=True)
class Filter:
    status: str | None = "open"  # None: any status
    assignee_id: int | None = None
    unassigned: bool = False
    facility_id: int | None = None
    overdue: bool = False


def _person(r: asyncpg.Record, keys: KeyRing) -> PersonBrief | None:
    pid = r["person_id"]
    if pid is None or r["a_number"] is None:
        return None
    normal = keys.open(r["a_number"], place("persons", "a_number", pid))
    names = keys.open_json(r["names"], place("persons", "names", pid))
    return PersonBrief(pid, anumber.display(normal), tuple(names))


def _follow_up(r: asyncpg.Record, keys: KeyRing) -> FollowUp:
    what = keys.open(r["what"], place("follow_ups", "what", r["id"]))
    return FollowUp(r["id"], what, r["due_on"], r["status"], r["assignee_id"], r["assignee"],
                    r["person_id"], r["report_id"], r["intake_id"], r["created_at"],
                    r["created_by"], r["closed_at"], _person(r, keys), r["facility"],
                    r["notes"])


async def create(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID, form: FollowUpForm, *,
                 person_id: uuid.UUID | None, report_id: uuid.UUID | None,
                 intake_id: uuid.UUID | None, user_id: int) -> bool:
    """False when a follow-up has this id already (its form posted again): none made."""
    made = await con.fetchval(
        """INSERT INTO follow_ups (id, person_id, report_id, intake_id, what, assignee_id,
                                   due_on, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING id""",
        follow_up_id, person_id, report_id, intake_id,
        keys.seal(form.what, place("follow_ups", "what", follow_up_id)),
        form.assignee_id, form.due_on, user_id,
    )
    return made is not None


async def of_intake(con: Conn, keys: KeyRing, intake_id: uuid.UUID) -> FollowUp | None:
    """The follow-up an intake form created (at most one)."""
    row = await con.fetchrow(f"{_SELECT} WHERE fu.intake_id = $1 ORDER BY fu.created_at LIMIT 1",
                             intake_id)
    return None if row is None else _follow_up(row, keys)


def changes(old: FollowUp, form: FollowUpForm, person_id: uuid.UUID | None,
            report_id: uuid.UUID | None) -> list[str]:
    pairs = {"what": (old.what, form.what), "due_on": (old.due_on, form.due_on),
             "assignee_id": (old.assignee_id, form.assignee_id),
             "person_id": (old.person_id, person_id), "report_id": (old.report_id, report_id)}
    return [name for name, (before, after) in pairs.items() if before != after]


async def update(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID, form: FollowUpForm, *,
                 person_id: uuid.UUID | None, report_id: uuid.UUID | None) -> None:
    await con.execute(
        """UPDATE follow_ups SET what = $2, due_on = $3, assignee_id = $4, person_id = $5,
                  report_id = $6
           WHERE id = $1""",
        follow_up_id, keys.seal(form.what, place("follow_ups", "what", follow_up_id)),
        form.due_on, form.assignee_id, person_id, report_id,
    )


async def get(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID) -> FollowUp | None:
    row = await con.fetchrow(f"{_SELECT} WHERE fu.id = $1", follow_up_id)
    return None if row is None else _follow_up(row, keys)


async def lock(con: Conn, follow_up_id: uuid.UUID) -> Current | None:
    """The changeable fields, the row held until the transaction ends."""
    row = await con.fetchrow(
        "SELECT status, assignee_id, due_on FROM follow_ups WHERE id = $1 FOR UPDATE",
        follow_up_id)
    return None if row is None else Current(row["status"], row["assignee_id"], row["due_on"])


async def save(con: Conn, follow_up_id: uuid.UUID, old: Current, new: Current) -> None:
    """Write the new fields; closed_at follows the status (set on closing, cleared on
    re-opening)."""
    await con.execute(
        """UPDATE follow_ups SET status = $2, assignee_id = $3, due_on = $4,
                  closed_at = CASE WHEN $2 = 'open' THEN NULL
                                   WHEN $5 THEN now() ELSE closed_at END
           WHERE id = $1""",
        follow_up_id, new.status, new.assignee_id, new.due_on, new.status != old.status,
    )


def _args(where: Filter, today: dt.date) -> tuple[object, ...]:
    return (where.status, where.assignee_id, where.unassigned, where.facility_id,
            where.overdue, today)


async def count(con: Conn, where: Filter, today: dt.date) -> int:
    total: int = await con.fetchval(f"SELECT count(*) FROM {_FROM} {_WHERE}",
                                    *_args(where, today))
    return total


async def search(con: Conn, keys: KeyRing, where: Filter, today: dt.date, *,
                 offset: int, limit: int) -> list[FollowUp]:
    rows = await con.fetch(f"{_SELECT} {_WHERE} {_ORDER} OFFSET $7 LIMIT $8",
                           *_args(where, today), offset, limit)
    return [_follow_up(r, keys) for r in rows]


async def open_for_persons(con: Conn, keys: KeyRing,
                           person_ids: list[uuid.UUID]) -> list[FollowUp]:
    """Every open follow-up about these people (one person's: a handful, never capped)."""
    rows = await con.fetch(
        f"{_SELECT} WHERE fu.status = 'open' AND fu.person_id = ANY($1::uuid[]) {_ORDER}",
        person_ids,
    )
    return [_follow_up(r, keys) for r in rows]
