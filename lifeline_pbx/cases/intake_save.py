"""Saving an intake form, each save one transaction with its audit entries.

The form's key (given when it was opened) is the intake's id. The first save creates the
intake; a later save of the same form (during the call, then after it) updates it and
audits only what changed; the same submission repeated (double click, retry, a second
tab) changes nothing and answers as the first did. A different form for a call that
already has this user's intake is refused, and so is a second intake from a voicemail,
whoever saved the first (voicemail_intake.py); the first is the voicemail's review. A
saved report, follow-up or A-number is never emptied by a later save: that is refused with
the field named.

A later save that changes something is a correction: allowed to the author during the call
and its wrap-up (correction_rules.py), kept as a new revision of each record it changes
(revisions.py). A person already on record is changed only as identity_rules.py allows an
operator; the rest of what the intake says about them becomes a proposal for a supervisor.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.cases import (
    anumber,
    correction_rules,
    drafts,
    followups,
    identity_rules,
    intake_page,
    intakes,
    misfile_store,
    people,
    proposals,
    reports,
    resave_rules,
    revision_content,
    revisions,
    voicemail_intake,
)
from lifeline_pbx.cases.forms import IntakeForm, OutcomeForm, PersonForm
from lifeline_pbx.cases.identity_rules import NOTHING, Proposal
from lifeline_pbx.cases.person_work import REPORT_FIELDS
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Forbidden, Invalid, NotFound
from lifeline_pbx.voicemail import review
from lifeline_pbx.web.times import when

UNDO_WINDOW = dt.timedelta(minutes=30)  # a one-click outcome can be undone this long
SECOND_FORM = ("This call already has an intake, saved from another form (another tab or "
               "window, or a one-click outcome). Nothing was saved from this form and what you "
               "typed is still here: copy what is missing, reload the page (it opens the saved "
               "intake) and add it there.")
SAVED_BY = ("This call's intake was saved by {by} at {at}. Nothing was saved "
            "from this form and what you typed is still here: copy what is missing and ask a "
            "supervisor to add it to that intake.")
OTHER_INTAKE = "This form belongs to another intake or call: reload the page to start again."
KEEP_REPORT = ("This report is already saved and is not removed by clearing it: type it "
               "again, or ask a supervisor to correct it.")
KEEP_FOLLOW_UP = ("The follow-up is already saved: type it again, or mark it done or "
                  "cancelled on the Follow-ups page.")


class FiledElsewhere(Invalid):
    """A re-save naming another person (resave_rules.OTHER); `person_id`: the one it is
    filed under, whose A-number the refusal shows."""

    def __init__(self, message: str, person_id: uuid.UUID, link: str) -> None:
        super().__init__(message, "a_number")
        self.person_id = person_id
        self.link = link


@dataclass(frozen=True)
class Saved:
    intake_id: uuid.UUID
    person_id: uuid.UUID | None
    report_ids: tuple[uuid.UUID, ...]
    follow_up_id: uuid.UUID | None
    changed: bool  # False: the same submission again, nothing written


async def _lock(con: Conn, key: uuid.UUID) -> None:
    """Saves of one form take turns (a double click sends two at once)."""
    await con.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))", str(key))


def _conflict(error: asyncpg.UniqueViolationError) -> Conflict:
    if error.constraint_name == "intakes_one_per_call":
        return Conflict(SECOND_FORM)
    return Conflict(OTHER_INTAKE)


async def take_turns(con: Conn, key: uuid.UUID, call_id: uuid.UUID) -> None:
    """The locks a save of that form on that call takes, in the order it takes them."""
    await _lock(con, key)
    await _lock(con, call_id)


async def one_per_call(con: Conn, call_id: uuid.UUID, user_id: int) -> None:
    """Before a new intake on a call is written, in the same transaction: saves on one call
    take turns, and a call that has an intake (this user's, or one a supervisor finished
    from a draft) gets no second one."""
    await _lock(con, call_id)
    found = await intakes.first_on_call(con, call_id)
    if found is None:
        return
    if found.user_id == user_id:
        raise Conflict(SECOND_FORM)
    raise Conflict(SAVED_BY.format(by=found.saved_by, at=when(found.saved_at)),
                   link=intake_page.page_of(found))


async def save_intake(con: Conn, keys: KeyRing, user_id: int, form: IntakeForm, *,
                      supervisor: bool = False) -> Saved:
    try:
        async with con.transaction():
            await _lock(con, form.key)
            old = await intakes.get(con, keys, form.key)
            if old is None:
                return await _create(con, keys, user_id, form, supervisor)
            if old.user_id != user_id or old.call_id != form.call_id:
                raise Conflict(OTHER_INTAKE)
            saved = await _update(con, keys, user_id, form, old, supervisor)
            if saved.changed and (reason := await _too_late(con, old, user_id, supervisor)):
                raise Forbidden(reason)  # and the transaction, with every write, rolls back
            return saved
    except FiledElsewhere as e:  # its A-number shown: audited once the save rolled back
        await audit.record(con, user_id, "view", "person", e.person_id, ("a_number",))
        raise
    except asyncpg.UniqueViolationError as e:
        raise _conflict(e) from None
    except asyncpg.ForeignKeyViolationError:
        raise NotFound("The call or a chosen item no longer exists; reload the page.") from None


def _filled(form: PersonForm) -> list[str]:
    values = {"a_number": form.a_number, "names": form.names, "country": form.country,
              "date_of_birth": form.date_of_birth, "languages": form.languages,
              "facility_id": form.facility_id}
    return [name for name, value in values.items() if value]


async def _save_person(con: Conn, keys: KeyRing, form: IntakeForm, user_id: int,
                       supervisor: bool) -> tuple[uuid.UUID | None, Proposal, bool]:
    """The person the intake is about (created if new), what it proposes to change in
    their record, and whether the record was written."""
    if form.person is None:
        return None, NOTHING, False
    person = await people.find_by_a_number(con, keys, form.person.a_number)
    if person is None:
        pid = await people.create(con, keys, form.person, user_id)
        await audit.record(con, user_id, "create", "person", pid, _filled(form.person))
        return pid, NOTHING, True
    person = await people.locked(con, keys, person)
    if supervisor:
        new, proposal = people.updated(person, form.person), NOTHING
    else:
        new, proposal = identity_rules.split(person, form.person,
                                             may_fill=form.call_id is not None)
    changed = await people.save(con, keys, person, new, user_id)
    if changed:
        await audit.record(con, user_id, "update", "person", person.id, changed)
    return person.id, proposal, bool(changed)


async def _propose(con: Conn, keys: KeyRing, user_id: int, intake_id: uuid.UUID,
                   person_id: uuid.UUID | None, proposal: Proposal) -> int:
    """Keep what the intake proposes for the person, once; how many rows were written."""
    if person_id is None or not proposal.fields():
        return 0
    if proposal in await proposals.open_of_intake(con, keys, intake_id):
        return 0
    proposal_id = await proposals.insert(con, keys, person_id, intake_id, user_id, proposal)
    await audit.record(con, user_id, "create", "person_proposal", proposal_id,
                       proposal.fields())
    return 1


async def _too_late(con: Conn, old: intakes.Stored, user_id: int, supervisor: bool) -> str:
    ended = (None if old.call_id is None else
             await con.fetchval("SELECT ended_at FROM calls WHERE id = $1", old.call_id))
    written = correction_rules.Written(old.user_id, old.created_at, ended)
    return correction_rules.refusal(written, user_id=user_id, supervisor=supervisor,
                                    now=dt.datetime.now(dt.UTC))


def _facilities(form: IntakeForm) -> tuple[int | None, int | None]:
    """The intake's facility, and the one its reports are about."""
    facility_id = form.facility_id or (form.person.facility_id if form.person else None)
    return facility_id, (form.person.facility_id if form.person else None) or facility_id


def _intake_fields(form: IntakeForm) -> list[str]:
    values = {"call_id": form.call_id, "facility_id": form.facility_id,
              "language": form.language, "triage": form.triage, "needs": form.needs,
              "needs_note": form.needs_note, "family_contact": form.family,
              "person_id": form.person}
    return ["outcome", *(name for name, value in values.items() if value)]


async def _create(con: Conn, keys: KeyRing, user_id: int, form: IntakeForm,
                  supervisor: bool) -> Saved:
    if form.voicemail_id is not None:
        await voicemail_intake.claim(con, form.voicemail_id)
    elif form.call_id is not None:
        await one_per_call(con, form.call_id, user_id)
    person_id, proposal, _ = await _save_person(con, keys, form, user_id, supervisor)
    facility_id, report_facility = _facilities(form)
    await intakes.insert(con, keys, form.key, form, person_id, facility_id, user_id)
    await audit.record(con, user_id, "create", "intake", form.key, _intake_fields(form))
    await _propose(con, keys, user_id, form.key, person_id, proposal)
    for report in form.reports:
        assert report_facility is not None  # forms.parse_intake requires one
        await reports.insert(con, keys, report.id, report, facility_id=report_facility,
                             person_id=person_id, intake_id=form.key, user_id=user_id)
        await audit.record(con, user_id, "create", "report", report.id, REPORT_FIELDS)
    report_ids = tuple(r.id for r in form.reports)
    follow_up_id = None
    if form.follow_up is not None:
        follow_up_id = uuid.uuid4()
        await followups.create(con, keys, follow_up_id, form.follow_up, person_id=person_id,
                               report_id=report_ids[0] if report_ids else None,
                               intake_id=form.key, user_id=user_id)
        await audit.record(con, user_id, "create", "follow_up", follow_up_id,
                           ("what", "due_on", "assignee_id"))
    if form.voicemail_id is not None:
        await review.mark_reviewed(con, form.voicemail_id, user_id)
    await drafts.delete(con, user_id, form.call_id)
    return Saved(form.key, person_id, report_ids, follow_up_id, True)


async def _update(con: Conn, keys: KeyRing, user_id: int, form: IntakeForm,
                  old: intakes.Stored, supervisor: bool) -> Saved:
    saved_reports = await reports.of_intake(con, keys, old.id)
    follow_up = await followups.of_intake(con, keys, old.id)
    errors = {field: KEEP_REPORT for rid, field in form.blank_reports if rid in saved_reports}
    if await _person_change(con, keys, form, old, supervisor) == resave_rules.CLEARED:
        errors["a_number"] = resave_rules.KEEP_A_NUMBER
    if form.follow_up is None and follow_up is not None:
        errors["followup_what"] = KEEP_FOLLOW_UP
    if errors:
        raise Invalid(errors)
    person_id, proposal, wrote = await _save_person(con, keys, form, user_id, supervisor)
    writes = int(wrote)
    facility_id, report_facility = _facilities(form)
    changed = intakes.changes(old, form, person_id, facility_id)
    if changed:
        await revisions.lock(con, "intake", old.id)
        await intakes.update(con, keys, old.id, form, person_id, facility_id)
        now = await intakes.get(con, keys, old.id)
        assert now is not None
        await revisions.record(con, keys, "intake", old.id, fields=changed, user_id=user_id,
                               before=revision_content.intake(old),
                               after=revision_content.intake(now))
        await audit.record(con, user_id, "update", "intake", old.id, changed)
        writes += 1
    writes += await _propose(con, keys, user_id, old.id, person_id, proposal)
    for report in form.reports:
        assert report_facility is not None  # forms.parse_intake requires one
        before = saved_reports.get(report.id)
        if before is None:
            await reports.insert(con, keys, report.id, report, facility_id=report_facility,
                                 person_id=person_id, intake_id=old.id, user_id=user_id)
            await audit.record(con, user_id, "create", "report", report.id, REPORT_FIELDS)
            writes += 1
        elif changed := reports.changes(before, report, report_facility, person_id):
            await revisions.lock(con, "report", report.id)
            await reports.update(con, keys, report, facility_id=report_facility,
                                 person_id=person_id)
            after = reports.Stored(report, report_facility, person_id)
            await revisions.record(con, keys, "report", report.id, fields=changed,
                                   user_id=user_id, before=revision_content.report(before),
                                   after=revision_content.report(after))
            await audit.record(con, user_id, "update", "report", report.id, changed)
            writes += 1
    report_ids = (*saved_reports, *(r.id for r in form.reports if r.id not in saved_reports))
    writes += await _save_follow_up(con, keys, user_id, form, old.id, follow_up, person_id,
                                    report_ids[0] if report_ids else None)
    await drafts.delete(con, user_id, form.call_id)  # the form is what is saved now
    return Saved(old.id, person_id, tuple(report_ids),
                 follow_up.id if follow_up else None, writes > 0)


async def _person_change(con: Conn, keys: KeyRing, form: IntakeForm, old: intakes.Stored,
                         supervisor: bool) -> str:
    """What the save does to whom the intake is filed under; refused (before anything is
    written) if it would file it under another person."""
    found = None if form.person is None else await people.find_by_a_number(
        con, keys, form.person.a_number)
    change = resave_rules.person_change(old.person_id, form.person is not None,
                                        found.id if found else None)
    if change == resave_rules.OTHER:
        assert old.person_id is not None  # person_change says SAME otherwise
        filed = await people.get(con, keys, old.person_id, follow=False)
        assert filed is not None  # intakes.person_id references persons
        moved = await misfile_store.was_moved(con, old.id)
        message = resave_rules.filed_elsewhere(anumber.display(filed.a_number), moved,
                                               supervisor)
        raise FiledElsewhere(message, filed.id,
                             f"/intakes/{old.id}/move" if supervisor else "")
    return change


async def _save_follow_up(con: Conn, keys: KeyRing, user_id: int, form: IntakeForm,
                          intake_id: uuid.UUID, old: followups.FollowUp | None,
                          person_id: uuid.UUID | None, report_id: uuid.UUID | None) -> int:
    if form.follow_up is None:
        return 0
    if old is None:
        follow_up_id = uuid.uuid4()
        await followups.create(con, keys, follow_up_id, form.follow_up, person_id=person_id,
                               report_id=report_id, intake_id=intake_id, user_id=user_id)
        await audit.record(con, user_id, "create", "follow_up", follow_up_id,
                           ("what", "due_on", "assignee_id"))
        return 1
    changed = followups.changes(old, form.follow_up, person_id, report_id)
    if not changed:
        return 0
    await revisions.lock(con, "follow_up", old.id)
    await followups.update(con, keys, old.id, form.follow_up, person_id=person_id,
                           report_id=report_id)
    now = await followups.get(con, keys, old.id)
    assert now is not None
    await revisions.record(con, keys, "follow_up", old.id, fields=changed, user_id=user_id,
                           before=revision_content.follow_up(old),
                           after=revision_content.follow_up(now))
    await audit.record(con, user_id, "update", "follow_up", old.id, changed)
    return 1


async def save_outcome(con: Conn, keys: KeyRing, user_id: int, form: OutcomeForm) -> bool:
    """A call with nothing to record, saved under the form's key; False if it already was
    (the same click again)."""
    try:
        async with con.transaction():
            await _lock(con, form.key)
            old = await intakes.get(con, keys, form.key)
            if old is not None:
                if (old.user_id, old.call_id, old.outcome) == (user_id, form.call_id,
                                                               form.outcome):
                    return False
                raise Conflict("This form is already saved (as an intake, or as another "
                               "outcome): undo that outcome first to change it.")
            if form.voicemail_id is not None:
                await voicemail_intake.claim(con, form.voicemail_id)
            elif form.call_id is not None:
                await one_per_call(con, form.call_id, user_id)
            await intakes.insert_outcome(con, form.key, form.call_id, form.outcome, user_id)
            await audit.record(con, user_id, "create", "intake", form.key,
                               ("call_id", "outcome"))
            if form.voicemail_id is not None:
                await review.mark_reviewed(con, form.voicemail_id, user_id)
            await drafts.delete(con, user_id, form.call_id)
    except asyncpg.UniqueViolationError as e:
        raise _conflict(e) from None
    except asyncpg.ForeignKeyViolationError:
        raise NotFound("That call is not known.") from None
    return True


async def undo_outcome(con: Conn, user_id: int, intake_id: uuid.UUID) -> None:
    async with con.transaction():
        if not await intakes.delete_outcome(con, intake_id, user_id, UNDO_WINDOW):
            raise NotFound("There is no recent one-click outcome of yours to undo.")
        await audit.record(con, user_id, "delete", "intake", intake_id, ("call_id", "outcome"))
