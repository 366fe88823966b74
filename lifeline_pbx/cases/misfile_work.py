"""A supervisor moves an intake filed under the wrong person (its reports and follow-ups
with it) to the right person, found by A-number or created from the details typed, and
takes off the wrong person's record what that intake added: in one transaction, audited on
both records, a revision of the intake and of each report with the reason."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from lifeline_pbx import audit
from lifeline_pbx.cases import (
    correction_forms,
    held_at,
    identity_rules,
    intakes,
    misfile_rules,
    misfile_store,
    people,
    person_work,
    pick_lists,
    proposals,
    reports,
    revision_content,
    revision_work,
    revisions,
)
from lifeline_pbx.cases.correction_forms import MoveForm
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound

# What the move page shows of the person the intake is filed under (audited as viewed).
SHOWN = ("a_number", "names", "languages", "facility", "transfers")


@dataclass(frozen=True)
class Added:
    """What the intake's save wrote into the person's record, as far as it is known."""

    fields: tuple[str, ...]  # the person's fields that save changed (audit: names only)
    facility_entry: int | None  # the "held at" entry it noted, still in force
    facility: str  # that entry's facility

    @property
    def said(self) -> str:
        return misfile_rules.said(self.fields)


@dataclass(frozen=True)
class MovePage:
    intake: intakes.Stored
    person: people.Person  # filed under now
    added: Added
    reports: list[reports.ReportSummary]
    base: int  # the intake's latest revision
    facilities: pick_lists.Named


async def _intake(con: Conn, keys: KeyRing, intake_id: uuid.UUID) -> intakes.Stored:
    found = await intakes.get(con, keys, intake_id)
    if found is None:
        raise NotFound("No such intake.")
    if found.person_id is None:
        raise Invalid(misfile_rules.NO_PERSON)
    return found


async def _added(con: Conn, intake: intakes.Stored, person: people.Person,
                 facilities: pick_lists.Named) -> Added:
    entry = await misfile_store.entry_of_save(con, person.id, intake.created_at,
                                              intake.user_id)
    fields = await misfile_store.fields_changed_at(con, person.id, intake.created_at,
                                                   intake.user_id)
    names = dict(facilities)
    held = {e.id: e.facility_id for e in await misfile_store.entries(con, person.id)}
    return Added(fields, entry, "" if entry is None else names.get(held[entry], ""))


async def move_page(con: Conn, keys: KeyRing, intake_id: uuid.UUID,
                    user_id: int) -> MovePage:
    """The intake, the person it is filed under and what its save added to them; the
    person audited as viewed."""
    async with con.transaction():
        intake = await _intake(con, keys, intake_id)
        assert intake.person_id is not None
        person = await people.get(con, keys, intake.person_id, follow=False)
        assert person is not None  # intakes.person_id references persons
        facilities = await pick_lists.facilities(con)
        page = MovePage(intake, person, await _added(con, intake, person, facilities),
                        await reports.summaries_of_intake(con, intake_id),
                        await revisions.latest(con, "intake", intake_id), facilities)
        await audit.record(con, user_id, "view", "person", person.id, SHOWN)
        await audit.record(con, user_id, "view", "intake", intake_id, ("person_id", "history"))
    return page


async def move_form(con: Conn, keys: KeyRing, intake_id: uuid.UUID, data: FormData,
                    base: int, user_id: int) -> uuid.UUID:
    """The move as the form says; refused (Invalid, Conflict), the error carries the
    MovePage, read after the refused transaction rolled back."""
    try:
        typed = correction_forms.parse_move(data, await pick_lists.choices(con))
        return await move(con, keys, intake_id, typed, base, user_id)
    except (Invalid, Conflict) as e:
        e.page = await move_page(con, keys, intake_id, user_id)
        raise


async def _target(con: Conn, keys: KeyRing, typed: MoveForm, user_id: int) -> people.Person:
    """The right person: the one with the A-number typed (the search audited, as every
    search), or a new one created from the details typed."""
    found = await person_work.find_person(con, keys, typed.new_person.a_number, user_id)
    if found is not None:
        return found
    pid = await people.create(con, keys, typed.new_person, user_id)
    await audit.record(con, user_id, "create", "person", pid,
                       ("a_number", "names", "date_of_birth", "country", "languages",
                        "facility_id"))
    created = await people.get(con, keys, pid, follow=False)
    assert created is not None
    return created


async def _take_off(con: Conn, keys: KeyRing, person: people.Person,
                    removal: misfile_rules.Removal, user_id: int) -> None:
    """Take off the person's record what the removal names: no transfer is noted, the
    wrong entry of where they were held is struck."""
    entries = await misfile_store.entries(con, person.id)
    if refusal := misfile_rules.refusal(person, removal, entries):
        raise Conflict(refusal)
    after = misfile_rules.person_after(person, removal, entries)
    await person_work.save_held(con, keys, person, after,
                                held_at.Change(strike=removal.facility_entry), user_id)


async def _narrow_proposals(con: Conn, keys: KeyRing, intake_id: uuid.UUID,
                            target: people.Person, user_id: int) -> None:
    """The intake's open proposals, moved with it, offer only what the right person's
    record does not already say; one with nothing left is closed as accepted (all it
    proposes is on the record)."""
    for proposal_id in await proposals.open_ids_of_intake(con, intake_id):
        item = await proposals.lock(con, keys, proposal_id)
        assert item is not None  # listed just now, in this transaction
        left = identity_rules.still_proposed(target, item.proposal)
        if left == item.proposal:
            continue
        if left.fields():
            await proposals.rewrite(con, keys, proposal_id, left)
            await audit.record(con, user_id, "update", "person_proposal", proposal_id,
                               ("fields", "content"))
        else:
            await proposals.decide(con, proposal_id, "accepted", user_id)
            await audit.record(con, user_id, "update", "person_proposal", proposal_id,
                               ("status",))


async def move(con: Conn, keys: KeyRing, intake_id: uuid.UUID, typed: MoveForm, base: int,
               user_id: int) -> uuid.UUID:
    """Move the intake, its reports and follow-ups to the right person; returns their id."""
    async with con.transaction():
        await revisions.lock(con, "intake", intake_id)
        intake = await _intake(con, keys, intake_id)
        await revision_work.check_base(con, "intake", intake_id, base)
        assert intake.person_id is not None
        target = await _target(con, keys, typed, user_id)
        if target.id == intake.person_id:
            raise Invalid(misfile_rules.SAME_PERSON, "a_number")
        for pid in sorted((intake.person_id, target.id)):
            await people.lock(con, pid)
        wrong = await people.get(con, keys, intake.person_id, follow=False)
        assert wrong is not None
        await _take_off(con, keys, wrong, typed.removal, user_id)
        report_ids = [r.id for r in await reports.summaries_of_intake(con, intake_id)]
        after = replace(intake, person_id=target.id)
        await revisions.record(con, keys, "intake", intake_id, fields=["person_id"],
                               user_id=user_id, before=revision_content.intake(intake),
                               after=revision_content.intake(after), reason=typed.reason)
        follow_ups = await misfile_store.refile(con, intake_id, report_ids, target.id)
        await _narrow_proposals(con, keys, intake_id, target, user_id)
        await audit.record(con, user_id, "update", "intake", intake_id, ("person_id",))
        for report_id in report_ids:
            await revisions.lock(con, "report", report_id)
            was = await reports.stored(con, keys, report_id)
            assert was is not None
            await revision_work.rewrite_report(con, keys, was, replace(was, person_id=target.id),
                                               ["person_id"], typed.reason, user_id)
        for follow_up_id in follow_ups:
            await audit.record(con, user_id, "update", "follow_up", follow_up_id,
                               ("person_id",))
        removed = typed.removal.fields()
        await misfile_store.record_move(con, intake_id, wrong.id, target.id, user_id,
                                        typed.removal.taken())
        await audit.record(con, user_id, "update", "person", wrong.id, ("intakes", *removed))
        await audit.record(con, user_id, "update", "person", target.id, ("intakes",))
    return target.id
