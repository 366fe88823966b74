"""Units of work on the case record: each one transaction, with its audit entries.

Views call these; the storage modules below them never open transactions. Audit
entries name the fields shown or changed, never their values.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from lifeline_pbx import audit
from lifeline_pbx.cases import followups, intakes, people, reports
from lifeline_pbx.cases.forms import Choices, PersonForm
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import LifelineError

HISTORY_FIELDS = ("a_number", "names", "date_of_birth", "country", "languages", "facility",
                  "transfers", "intakes", "reports", "follow_ups")
EDIT_FIELDS = ("a_number", "names", "date_of_birth", "country", "languages", "facility_id")
SEARCH_ENTITY = "person_search"  # audit entity of a search by A-number
NOT_FOUND = "not_found"  # its entity_id when nobody has that A-number
REPORT_FIELDS = ("facility", "category", "severity", "occurred_from", "occurred_to",
                 "affected", "housing_unit", "narrative", "consents")


class CaseError(LifelineError):
    """A request on the case record that cannot be done; the message is for the screen."""


class NotFound(CaseError):
    pass


class Conflict(CaseError):
    pass


class Forbidden(CaseError):
    """Not for this user (their role, or not assigned to them)."""


class Refused(CaseError):
    """What was asked cannot be done (e.g. nothing would change); the message says why."""


@dataclass(frozen=True)
class History:
    person: people.Person
    transfers: list[people.Transfer]
    intakes: list[intakes.IntakeSummary]
    reports: list[reports.ReportSummary]
    follow_ups: list[followups.FollowUp]


async def choices(con: Conn) -> Choices:
    return Choices(
        categories=frozenset(c for c, _ in await reports.categories(con)),
        partners=frozenset(p for p, _, _ in await reports.partners(con)),
        facilities=frozenset(r["id"] for r in await con.fetch("SELECT id FROM facilities")),
        users=frozenset(r["id"] for r in await con.fetch("SELECT id FROM users WHERE enabled")),
    )


async def history(con: Conn, keys: KeyRing, person: people.Person, user_id: int) -> History:
    """Everything known about a person (and those merged into them); audited as a view."""
    async with con.transaction():
        ids = await people.merged_ids(con, person.id)
        found = History(
            person,
            await people.transfers(con, ids),
            await intakes.for_persons(con, ids),
            await reports.for_persons(con, ids),
            await followups.open_for_persons(con, keys, ids),
        )
        await audit.record(con, user_id, "view", "person", person.id, HISTORY_FIELDS)
    return found


async def find_person(con: Conn, keys: KeyRing, normalised: str,
                      user_id: int) -> people.Person | None:
    """A person by A-number, for a user. Every search is audited, found or not (searching
    tells whether someone called): the entry names the person found, never the A-number."""
    async with con.transaction():
        person = await people.find_by_a_number(con, keys, normalised)
        await audit.record(con, user_id, "view", SEARCH_ENTITY,
                           person.id if person else NOT_FOUND, ("a_number",))
    return person


async def lookup(con: Conn, keys: KeyRing, normalised: str, user_id: int) -> History | None:
    person = await find_person(con, keys, normalised, user_id)
    return None if person is None else await history(con, keys, person, user_id)


async def open_report(con: Conn, keys: KeyRing, report_id: uuid.UUID,
                      user_id: int) -> reports.Report:
    async with con.transaction():
        report = await reports.get(con, keys, report_id)
        if report is None:
            raise NotFound("No such report.")
        await audit.record(con, user_id, "view", "report", report_id, REPORT_FIELDS)
    return report


async def person_to_edit(con: Conn, keys: KeyRing, person_id: uuid.UUID, user_id: int,
                         shown: Sequence[str] = EDIT_FIELDS) -> people.Person:
    """The person's own record (not the one it was merged into) for the edit form; audited
    as a view of the fields shown."""
    async with con.transaction():
        person = await editable(con, keys, person_id)
        await audit.record(con, user_id, "view", "person", person.id, shown)
    return person


async def edit_person(con: Conn, keys: KeyRing, person_id: uuid.UUID, form: PersonForm,
                      user_id: int) -> list[str]:
    """Replace the person's details with the form's; audit the names of what changed."""
    async with con.transaction():
        await people.lock(con, person_id)
        person = await editable(con, keys, person_id)
        changed = await people.save(con, keys, person, people.edited(person, form), user_id)
        if changed:
            await audit.record(con, user_id, "update", "person", person.id, changed)
    return changed


async def editable(con: Conn, keys: KeyRing, person_id: uuid.UUID) -> people.Person:
    person = await people.get(con, keys, person_id, follow=False)
    if person is None:
        raise NotFound("No such person.")
    if person.merged_into is not None:
        raise Conflict("This record was merged into another person's record and cannot be "
                       "edited: edit the record it was merged into.")
    return person


async def merge(con: Conn, keys: KeyRing, keep_id: uuid.UUID, other_id: uuid.UUID,
                user_id: int) -> None:
    async with con.transaction():
        keep = await people.get(con, keys, keep_id)
        other = await people.get(con, keys, other_id, follow=False)
        if keep is None or other is None:
            raise NotFound("No such person.")
        if keep.id == other.id or other.merged_into is not None:
            raise Conflict("These records are already one person.")
        moved = await people.merge(con, keys, keep, other)
        await audit.record(con, user_id, "merge", "person", keep.id, moved)
        await audit.record(con, user_id, "merge", "person", other.id, ["merged_into"])
