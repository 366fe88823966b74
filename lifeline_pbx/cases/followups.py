"""The SQL for follow-ups: what is to be done, by whom, by when; `what` is sealed."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.cases.forms import FollowUpForm
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn
from lifeline_pbx.web.paging import Window, capped_count

_SELECT = """SELECT fu.id, fu.what, fu.due_on, fu.status, fu.assignee_id,
                    coalesce(a.display_name, '') AS assignee, fu.person_id, fu.report_id,
                    fu.created_at
             FROM follow_ups fu LEFT JOIN users a ON a.id = fu.assignee_id"""
_ORDER = "ORDER BY fu.due_on NULLS LAST, fu.created_at LIMIT 500"
FIRST = Window(1, 25)


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


async def _paged(con: Conn, keys: KeyRing, where: str, args: list[object],
                 at: Window) -> tuple[int, list[FollowUp]]:
    total: int = await con.fetchval(
        capped_count(f"SELECT 1 FROM follow_ups fu WHERE {where}"), *args)
    n = len(args)
    rows = await con.fetch(
        f"""{_SELECT} WHERE {where} ORDER BY fu.due_on NULLS LAST, fu.created_at, fu.id
            LIMIT ${n + 1} OFFSET ${n + 2}""", *args, at.per_page, at.offset)
    return total, [_follow_up(r, keys) for r in rows]


async def mine(con: Conn, keys: KeyRing, user_id: int,
               at: Window = FIRST) -> tuple[int, list[FollowUp]]:
    return await _paged(con, keys, "fu.status = 'open' AND fu.assignee_id = $1", [user_id], at)


async def overdue(con: Conn, keys: KeyRing, today: dt.date, assignee_id: int | None = None,
                  at: Window = FIRST) -> tuple[int, list[FollowUp]]:
    """Open follow-ups due before today; everyone's, or one assignee's."""
    where = "fu.status = 'open' AND fu.due_on < $1"
    if assignee_id is None:
        return await _paged(con, keys, where, [today], at)
    return await _paged(con, keys, where + " AND fu.assignee_id = $2", [today, assignee_id], at)


async def all_open(con: Conn, keys: KeyRing, at: Window = FIRST) -> tuple[int, list[FollowUp]]:
    return await _paged(con, keys, "fu.status = 'open'", [], at)


async def open_for_persons(con: Conn, keys: KeyRing,
                           person_ids: list[uuid.UUID]) -> list[FollowUp]:
    rows = await con.fetch(
        f"{_SELECT} WHERE fu.status = 'open' AND fu.person_id = ANY($1::uuid[]) {_ORDER}",
        person_ids,
    )
    return [_follow_up(r, keys) for r in rows]
