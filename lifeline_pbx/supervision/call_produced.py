"""The SQL for what a call produced: the intakes written on it, each with the person it is
about, the reports written from it and its follow-ups.

Ids, times, outcomes, report categories, due dates and statuses only: nothing sealed and
nothing from the person's record (their page, opened from the link, audits that).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class Report:
    id: uuid.UUID
    category: str  # its label
    at: dt.datetime


@dataclass(frozen=True)
class FollowUp:
    id: uuid.UUID
    due_on: dt.date | None
    status: str
    assignee_id: int | None


@dataclass(frozen=True)
class Intake:
    id: uuid.UUID
    at: dt.datetime
    outcome: str
    person_id: uuid.UUID | None
    reports: tuple[Report, ...]
    follow_ups: tuple[FollowUp, ...]


async def of_call(con: Conn, call_id: uuid.UUID) -> list[Intake]:
    """The call's intakes, oldest first, with their reports (in the form's order) and
    follow-ups."""
    intakes = await con.fetch(
        """SELECT id, created_at, outcome, person_id FROM intakes WHERE call_id = $1
           ORDER BY created_at, id""", call_id)
    ids = [i["id"] for i in intakes]
    reports = await con.fetch(
        """SELECT r.id, r.intake_id, k.label, r.created_at
           FROM reports r JOIN report_categories k ON k.code = r.category
           WHERE r.intake_id = ANY($1::uuid[])
           ORDER BY r.intake_position NULLS LAST, r.created_at, r.id""", ids)
    follow_ups = await con.fetch(
        """SELECT id, intake_id, due_on, status, assignee_id FROM follow_ups
           WHERE intake_id = ANY($1::uuid[]) ORDER BY created_at, id""", ids)
    return [Intake(
        i["id"], i["created_at"], i["outcome"], i["person_id"],
        tuple(Report(r["id"], r["label"], r["created_at"])
              for r in reports if r["intake_id"] == i["id"]),
        tuple(FollowUp(f["id"], f["due_on"], f["status"], f["assignee_id"])
              for f in follow_ups if f["intake_id"] == i["id"]),
    ) for i in intakes]
