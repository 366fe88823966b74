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


@dataclass(frozen=True)
class Stored:
    """A saved intake as its form last left it (sealed fields opened), to compare a new
    submission of the same form against."""

    id: uuid.UUID
    call_id: uuid.UUID | None
    user_id: int
    person_id: uuid.UUID | None
    facility_id: int | None
    language: str
    triage: int
    outcome: str
    needs: tuple[str, ...]
    needs_note: str
    family: dict[str, str] | None
    family_consent: bool
    created_at: dt.datetime


def _contact(form: IntakeForm) -> dict[str, str] | None:
    if form.family is None:
        return None
    return {"name": form.family.name, "phone": form.family.phone,
            "message": form.family.message}


def _sealed(keys: KeyRing, intake_id: uuid.UUID, form: IntakeForm
            ) -> tuple[bytes | None, bytes | None]:
    note = (keys.seal(form.needs_note, place("intakes", "needs_note", intake_id))
            if form.needs_note else None)
    contact = _contact(form)
    family = (None if contact is None
              else keys.seal_json(contact, place("intakes", "family_contact", intake_id)))
    return note, family


async def get(con: Conn, keys: KeyRing, intake_id: uuid.UUID) -> Stored | None:
    row = await con.fetchrow("SELECT * FROM intakes WHERE id = $1", intake_id)
    if row is None:
        return None
    note = (keys.open(row["needs_note"], place("intakes", "needs_note", intake_id))
            if row["needs_note"] is not None else "")
    family = (keys.open_json(row["family_contact"],
                             place("intakes", "family_contact", intake_id))
              if row["family_contact"] is not None else None)
    return Stored(row["id"], row["call_id"], row["user_id"], row["person_id"],
                  row["facility_id"], row["language"], row["triage"], row["outcome"],
                  tuple(row["needs"]), note, family, row["family_consent"], row["created_at"])


async def for_call(con: Conn, call_id: uuid.UUID, user_id: int) -> uuid.UUID | None:
    """The intake this user saved for that call, if any (one per call and user)."""
    found: uuid.UUID | None = await con.fetchval(
        "SELECT id FROM intakes WHERE call_id = $1 AND user_id = $2", call_id, user_id)
    return found


@dataclass(frozen=True)
class OnCall:
    """The intake a call has, by whoever saved it."""

    id: uuid.UUID
    user_id: int
    saved_by: str
    saved_at: dt.datetime
    outcome: str


async def first_on_call(con: Conn, call_id: uuid.UUID) -> OnCall | None:
    row = await con.fetchrow(
        """SELECT i.id, i.user_id, u.display_name AS saved_by, i.created_at AS saved_at,
                  i.outcome
           FROM intakes i JOIN users u ON u.id = i.user_id
           WHERE i.call_id = $1 ORDER BY i.created_at, i.id LIMIT 1""", call_id)
    return None if row is None else OnCall(**dict(row))


def changes(old: Stored, form: IntakeForm, person_id: uuid.UUID | None,
            facility_id: int | None) -> list[str]:
    """The names of the intake's fields that the form changes."""
    new = {"person_id": person_id, "facility_id": facility_id, "language": form.language,
           "triage": form.triage, "outcome": "intake", "needs": form.needs,
           "needs_note": form.needs_note, "family_contact": _contact(form),
           "family_consent": form.family is not None and form.family.consent}
    was = {"person_id": old.person_id, "facility_id": old.facility_id,
           "language": old.language, "triage": old.triage, "outcome": old.outcome,
           "needs": old.needs, "needs_note": old.needs_note, "family_contact": old.family,
           "family_consent": old.family_consent}
    return [name for name, value in new.items() if was[name] != value]


async def update(con: Conn, keys: KeyRing, intake_id: uuid.UUID, form: IntakeForm,
                 person_id: uuid.UUID | None, facility_id: int | None) -> None:
    note, family = _sealed(keys, intake_id, form)
    await con.execute(
        """UPDATE intakes SET person_id = $2, facility_id = $3, language = $4, triage = $5,
                  outcome = 'intake', needs = $6, needs_note = $7, family_contact = $8,
                  family_consent = $9, updated_at = now()
           WHERE id = $1""",
        intake_id, person_id, facility_id, form.language, form.triage, list(form.needs),
        note, family, form.family is not None and form.family.consent,
    )


async def delete_outcome(con: Conn, intake_id: uuid.UUID, user_id: int,
                         within: dt.timedelta) -> bool:
    """Remove a one-click outcome this user recorded recently; whether there was one."""
    done = await con.execute(
        """DELETE FROM intakes WHERE id = $1 AND user_id = $2 AND outcome <> 'intake'
             AND created_at > now() - $3::interval""",
        intake_id, user_id, within,
    )
    return bool(done == "DELETE 1")


async def insert(con: Conn, keys: KeyRing, intake_id: uuid.UUID, form: IntakeForm,
                 person_id: uuid.UUID | None, facility_id: int | None, user_id: int) -> None:
    note, family = _sealed(keys, intake_id, form)
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
