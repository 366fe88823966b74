"""The needs and family contacts recorded at intakes, as the case pages show them.

A family contact recorded without the caller's consent to share it is opened for
supervisors only; for anyone else it stays sealed and the page says that one exists.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn

CONTACT_KEYS = ("name", "relation", "phone", "message")


@dataclass(frozen=True)
class Contact:
    name: str
    relation: str
    phone: str
    message: str


@dataclass(frozen=True)
class IntakeNeeds:
    """What one intake recorded of the caller's needs and family."""

    intake_id: uuid.UUID
    created_at: dt.datetime
    facility: str
    operator: str
    needs: tuple[str, ...]
    needs_note: str
    contacts: tuple[Contact, ...]
    consent: bool  # the caller agreed to share the family contact
    withheld: bool  # a contact exists but this viewer may not see it

    @property
    def has_family(self) -> bool:
        return bool(self.contacts) or self.withheld

    def fields(self) -> list[str]:
        """The fields shown, for the audit entry."""
        shown = ["needs", "family_consent"]
        if self.needs_note:
            shown.append("needs_note")
        if self.contacts:
            shown.append("family_contact")
        return shown


def may_see_family(consent: bool, supervisor: bool) -> bool:
    return consent or supervisor


def contacts_from(value: object) -> tuple[Contact, ...]:
    """The contact(s) in a sealed family_contact: one object, or a list of them."""
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        texts = {k: v if isinstance(v := item.get(k), str) else "" for k in CONTACT_KEYS}
        if any(texts.values()):
            found.append(Contact(texts["name"], texts["relation"], texts["phone"],
                                 texts["message"]))
    return tuple(found)


def _needs(r: asyncpg.Record, keys: KeyRing, supervisor: bool) -> IntakeNeeds:
    iid, sealed = r["id"], r["family_contact"]
    note = "" if r["needs_note"] is None else keys.open(
        r["needs_note"], place("intakes", "needs_note", iid))
    visible = may_see_family(r["family_consent"], supervisor)
    contacts: tuple[Contact, ...] = ()
    if sealed is not None and visible:
        contacts = contacts_from(keys.open_json(sealed, place("intakes", "family_contact", iid)))
    return IntakeNeeds(iid, r["created_at"], r["facility"], r["operator"], tuple(r["needs"]),
                       note, contacts, r["family_consent"], sealed is not None and not visible)


_SELECT = """SELECT i.id, i.created_at, coalesce(f.name, '') AS facility,
                    u.display_name AS operator, i.needs, i.needs_note, i.family_contact,
                    i.family_consent
             FROM intakes i LEFT JOIN facilities f ON f.id = i.facility_id
                  JOIN users u ON u.id = i.user_id"""
_RECORDED = """(cardinality(i.needs) > 0 OR i.needs_note IS NOT NULL
                OR i.family_contact IS NOT NULL)"""


async def for_persons(con: Conn, keys: KeyRing, person_ids: list[uuid.UUID], *,
                      supervisor: bool) -> list[IntakeNeeds]:
    """Every intake about these people that recorded needs or family, newest first."""
    rows = await con.fetch(
        f"""{_SELECT} WHERE i.person_id = ANY($1::uuid[]) AND {_RECORDED}
            ORDER BY i.created_at DESC, i.id""",
        person_ids,
    )
    return [_needs(r, keys, supervisor) for r in rows]


async def for_intake(con: Conn, keys: KeyRing, intake_id: uuid.UUID, *,
                     supervisor: bool) -> IntakeNeeds | None:
    row = await con.fetchrow(f"{_SELECT} WHERE i.id = $1 AND {_RECORDED}", intake_id)
    return None if row is None else _needs(row, keys, supervisor)


async def family_intake_of(con: Conn, intake_id: uuid.UUID,
                           person_ids: list[uuid.UUID]) -> bool:
    """The intake is about one of these people and recorded a family contact."""
    found = await con.fetchval(
        """SELECT 1 FROM intakes WHERE id = $1 AND person_id = ANY($2::uuid[])
                                   AND family_contact IS NOT NULL""",
        intake_id, person_ids)
    return found is not None
