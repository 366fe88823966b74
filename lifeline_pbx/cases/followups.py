"""The SQL for follow-ups: what is to be done, by whom, by when; `what` is sealed."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.cases.forms import FollowUpForm
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn

_SELECT = """SELECT fu.id, fu.what, fu.due_on, fu.status, fu.assignee_id,
                    coalesce(a.display_name, '') AS assignee, fu.person_id, fu.report_id,
                    fu.created_at
             FROM follow_ups fu LEFT JOIN users a ON a.id = fu.assignee_id"""
_ORDER = "ORDER BY fu.due_on NULLS LAST, fu.created_at LIMIT 500"


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
    created_at: dt.datetime

    def overdue(self, today: dt.date) -> bool:
        return self.status == "open" and self.due_on is not None and self.due_on < today


def _follow_up(r: asyncpg.Record, keys: KeyRing) -> FollowUp:
    what = keys.open(r["what"], place("follow_ups", "what", r["id"]))
    return FollowUp(r["id"], what, r["due_on"], r["status"], r["assignee_id"], r["assignee"],
                    r["person_id"], r["report_id"], r["created_at"])


async def create(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID, form: FollowUpForm, *,
                 person_id: uuid.UUID | None, report_id: uuid.UUID | None,
                 intake_id: uuid.UUID | None, user_id: int) -> None:
    await con.execute(
        """INSERT INTO follow_ups (id, person_id, report_id, intake_id, what, assignee_id,
                                   due_on, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        follow_up_id, person_id, report_id, intake_id,
        keys.seal(form.what, place("follow_ups", "what", follow_up_id)),
        form.assignee_id, form.due_on, user_id,
    )


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


async def set_status(con: Conn, follow_up_id: uuid.UUID, status: str) -> bool:
    done = await con.execute(
        """UPDATE follow_ups SET status = $2,
                  closed_at = CASE WHEN $2 = 'open' THEN NULL ELSE now() END
           WHERE id = $1""",
        follow_up_id, status,
    )
    return done == "UPDATE 1"


async def reassign(con: Conn, follow_up_id: uuid.UUID, assignee_id: int) -> bool:
    done = await con.execute("UPDATE follow_ups SET assignee_id = $2 WHERE id = $1",
                             follow_up_id, assignee_id)
    return done == "UPDATE 1"


async def mine(con: Conn, keys: KeyRing, user_id: int) -> list[FollowUp]:
    rows = await con.fetch(
        f"{_SELECT} WHERE fu.status = 'open' AND fu.assignee_id = $1 {_ORDER}", user_id)
    return [_follow_up(r, keys) for r in rows]


async def overdue(con: Conn, keys: KeyRing, today: dt.date,
                  assignee_id: int | None = None) -> list[FollowUp]:
    """Open follow-ups due before today; everyone's, or one assignee's."""
    rows = await con.fetch(
        f"""{_SELECT} WHERE fu.status = 'open' AND fu.due_on < $1
              AND ($2::bigint IS NULL OR fu.assignee_id = $2) {_ORDER}""",
        today, assignee_id,
    )
    return [_follow_up(r, keys) for r in rows]


async def all_open(con: Conn, keys: KeyRing) -> list[FollowUp]:
    rows = await con.fetch(f"{_SELECT} WHERE fu.status = 'open' {_ORDER}")
    return [_follow_up(r, keys) for r in rows]


async def open_for_persons(con: Conn, keys: KeyRing,
                           person_ids: list[uuid.UUID]) -> list[FollowUp]:
    rows = await con.fetch(
        f"{_SELECT} WHERE fu.status = 'open' AND fu.person_id = ANY($1::uuid[]) {_ORDER}",
        person_ids,
    )
    return [_follow_up(r, keys) for r in rows]
