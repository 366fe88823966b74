"""The SQL for intakes: what an operator took down during or after a call.

The needs note and the family contact are sealed; the outcome, needs, language and
triage are plain so that calls can be counted without opening anything.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from lifeline_pbx.cases.forms import IntakeForm
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class IntakeSummary:
    """An earlier call, as shown in a repeat caller's history: nothing sealed."""

    id: uuid.UUID
    created_at: dt.datetime
    facility: str
    language: str
    outcome: str
    needs: tuple[str, ...]
    operator: str


async def insert(con: Conn, keys: KeyRing, intake_id: uuid.UUID, form: IntakeForm,
                 person_id: uuid.UUID | None, facility_id: int | None, user_id: int) -> None:
    note = (keys.seal(form.needs_note, place("intakes", "needs_note", intake_id))
            if form.needs_note else None)
    family = None
    if form.family is not None:
        contact = {"name": form.family.name, "phone": form.family.phone,
                   "message": form.family.message}
        family = keys.seal_json(contact, place("intakes", "family_contact", intake_id))
    await con.execute(
        """INSERT INTO intakes (id, call_id, person_id, user_id, facility_id, language, triage,
                                outcome, needs, needs_note, family_contact, family_consent)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'intake', $8, $9, $10, $11)""",
        intake_id, form.call_id, person_id, user_id, facility_id, form.language, form.triage,
        list(form.needs), note, family, form.family is not None and form.family.consent,
    )


async def insert_outcome(con: Conn, intake_id: uuid.UUID, call_id: uuid.UUID | None,
                         outcome: str, user_id: int) -> None:
    """A call with nothing to record (silent, hung up, wrong number, test call)."""
    await con.execute(
        """INSERT INTO intakes (id, call_id, user_id, facility_id, outcome)
           VALUES ($1, $2, $3, (SELECT facility_id FROM calls WHERE id = $2), $4)""",
        intake_id, call_id, user_id, outcome,
    )


async def for_persons(con: Conn, person_ids: list[uuid.UUID],
                      limit: int = 50) -> list[IntakeSummary]:
    rows = await con.fetch(
        """SELECT i.id, i.created_at, coalesce(f.name, '') AS facility, i.language, i.outcome,
                  i.needs, u.display_name AS operator
           FROM intakes i LEFT JOIN facilities f ON f.id = i.facility_id
                JOIN users u ON u.id = i.user_id
           WHERE i.person_id = ANY($1::uuid[]) ORDER BY i.created_at DESC LIMIT $2""",
        person_ids, limit,
    )
    return [IntakeSummary(r["id"], r["created_at"], r["facility"], r["language"],
                          r["outcome"], tuple(r["needs"]), r["operator"]) for r in rows]


async def family_contact(con: Conn, keys: KeyRing,
                         intake_id: uuid.UUID) -> dict[str, str] | None:
    sealed = await con.fetchval("SELECT family_contact FROM intakes WHERE id = $1", intake_id)
    if sealed is None:
        return None
    value: dict[str, str] = keys.open_json(sealed, place("intakes", "family_contact",
                                                         intake_id))
    return value
