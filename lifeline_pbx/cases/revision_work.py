"""Units of work on corrections: a record's revisions (who, when, which fields), one old
revision opened, and a supervisor's correction of an intake's own fields, a report or a
follow-up's text. Each one transaction; every list, every old revision opened and every
intake opened for correction is audited as a view. A correction refused (Invalid, Conflict)
carries the page its form is shown again on (RequestError.page)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from lifeline_pbx import audit
from lifeline_pbx.cases import (
    correction_forms,
    correction_rules,
    followup_work,
    followups,
    intakes,
    person_work,
    pick_lists,
    reports,
    revision_content,
    revisions,
)
from lifeline_pbx.cases.correction_forms import IntakeCorrection, ReportCorrection
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.cases.followup_forms import parse_what
from lifeline_pbx.cases.forms import FollowUpForm, IntakeForm
from lifeline_pbx.cases.revisions import Entity
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound

NOTHING = "Nothing to correct: the record already says that."
ONE_CLICK = ("This call was closed with a one-click outcome: it has no intake fields to "
             "correct.")
# An intake's fields as its correction page shows them (for the audit entry of that view).
INTAKE_FIELDS = ("facility_id", "language", "triage", "needs", "needs_note",
                 "family_contact", "family_consent")
MISSING: dict[Entity, str] = {"intake": "No such intake.", "report": "No such report.",
                              "follow_up": "No such follow-up."}
MEANWHILE = ("Someone corrected this record while you were typing: nothing was saved. Open "
             "it again to see their correction, then make yours.")


@dataclass(frozen=True)
class ReportFormPage:
    """What the report correction form offers besides the fields."""

    categories: list[tuple[str, str]]
    partners: list[tuple[int, str, str]]
    facilities: pick_lists.Named


@dataclass(frozen=True)
class ReportToCorrect:
    report: reports.Report  # audited as viewed
    stored: reports.Stored
    base: int  # its latest revision's number
    page: ReportFormPage


@dataclass(frozen=True)
class IntakeFormPage:
    """What the intake correction form shows besides the fields."""

    revisions: list[revisions.Revision]
    facilities: pick_lists.Named
    reports: list[reports.ReportSummary]  # its reports, which may move with its facility


@dataclass(frozen=True)
class IntakeToCorrect:
    stored: intakes.Stored  # sealed fields opened, audited as viewed
    page: IntakeFormPage


async def exists(con: Conn, entity: Entity, entity_id: uuid.UUID) -> None:
    """NotFound unless the record exists (checked before a form about it is read, so a
    missing record is a 404 whatever was posted)."""
    if not await revisions.exists(con, entity, entity_id):
        raise NotFound(MISSING[entity])


async def history(con: Conn, entity: Entity, entity_id: uuid.UUID,
                  user_id: int) -> list[revisions.Revision]:
    async with con.transaction():
        await exists(con, entity, entity_id)
        found = await revisions.listing(con, entity, entity_id)
        await audit.record(con, user_id, "view", entity, entity_id, ("history",))
    return found


async def open_revision(con: Conn, keys: KeyRing, entity: Entity, entity_id: uuid.UUID,
                        number: int, user_id: int) -> revisions.Opened:
    async with con.transaction():
        opened = await revisions.get(con, keys, entity, entity_id, number)
        if opened is None:
            raise NotFound("No such revision.")
        await audit.record(con, user_id, "view", f"{entity}_revision",
                           f"{entity_id}/{number}", opened.content)
    return opened


async def open_revision_named(con: Conn, keys: KeyRing, entity: Entity, entity_id: uuid.UUID,
                              number: int, user_id: int
                              ) -> tuple[revisions.Opened, dict[str, dict[int, str]]]:
    """An old revision (audited as viewed), and the names of the ids it holds."""
    opened = await open_revision(con, keys, entity, entity_id, number, user_id)
    return opened, await pick_lists.names(con)


async def report_form_page(con: Conn) -> ReportFormPage:
    return ReportFormPage(await reports.categories(con), await reports.partners(con),
                          await pick_lists.facilities(con))


async def report_to_correct(con: Conn, keys: KeyRing, report_id: uuid.UUID,
                            user_id: int) -> ReportToCorrect:
    report = await person_work.open_report(con, keys, report_id, user_id)
    stored = await reports.stored(con, keys, report_id)
    assert stored is not None
    return ReportToCorrect(report, stored, await revisions.latest(con, "report", report_id),
                           await report_form_page(con))


async def correct_report_form(con: Conn, keys: KeyRing, report_id: uuid.UUID,
                              data: FormData, base: int, user_id: int) -> list[str]:
    await exists(con, "report", report_id)
    try:
        typed = correction_forms.parse_report_correction(data, await pick_lists.choices(con))
        return await correct_report(con, keys, report_id, typed, base, user_id)
    except (Invalid, Conflict) as e:
        e.page = await report_form_page(con)
        raise


async def correct_intake_form(con: Conn, keys: KeyRing, intake_id: uuid.UUID,
                              data: FormData, base: int, user_id: int) -> list[str]:
    await exists(con, "intake", intake_id)
    try:
        typed = correction_forms.parse_intake_correction(data, await pick_lists.choices(con))
        return await correct_intake(con, keys, intake_id, typed, base, user_id)
    except (Invalid, Conflict) as e:
        e.page = await intake_form_page(con, intake_id)
        raise


async def intake_form_page(con: Conn, intake_id: uuid.UUID) -> IntakeFormPage:
    return IntakeFormPage(await revisions.listing(con, "intake", intake_id),
                          await pick_lists.facilities(con),
                          await reports.summaries_of_intake(con, intake_id))


async def correct_follow_up_form(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID,
                                 data: FormData, user_id: int, supervisor: bool) -> None:
    """Refused, the error carries the follow-up's page (followup_work.FollowUpPage)."""
    await exists(con, "follow_up", follow_up_id)
    try:
        base = correction_rules.base_of(data)
        await correct_follow_up(con, keys, follow_up_id, parse_what(data), base, user_id)
    except (Invalid, Conflict) as e:
        e.page = await followup_work.follow_up_page(con, keys, follow_up_id, user_id,
                                                    supervisor)
        raise


async def check_base(con: Conn, entity: Entity, entity_id: uuid.UUID, base: int) -> None:
    """The correction was typed over the latest revision (0 and 1 both: the original)."""
    if max(await revisions.latest(con, entity, entity_id), 1) != max(base, 1):
        raise Conflict(MEANWHILE)


async def correct_report(con: Conn, keys: KeyRing, report_id: uuid.UUID,
                         typed: ReportCorrection, base: int, user_id: int) -> list[str]:
    """The report as the form says, its facility included (where what it documents
    happened: a move to another facility needs a reason); the person it is about is moved
    with its intake (misfile_work.py). Returns what changed."""
    async with con.transaction():
        await revisions.lock(con, "report", report_id)
        before = await reports.stored(con, keys, report_id)
        if before is None:
            raise NotFound("No such report.")
        await check_base(con, "report", report_id, base)
        after = reports.Stored(replace(typed.form, id=report_id),
                               typed.facility_id or before.facility_id, before.person_id)
        changed = reports.changes(before, after.form, after.facility_id, after.person_id)
        if not changed:
            raise Invalid(NOTHING)
        correction_forms.refuse_reason(changed, typed.reason)
        await rewrite_report(con, keys, before, after, changed, typed.reason, user_id)
    return changed


async def rewrite_report(con: Conn, keys: KeyRing, before: reports.Stored,
                         after: reports.Stored, changed: list[str], reason: str,
                         user_id: int) -> None:
    """Write the report as `after` says, as a new revision, audited. Call after
    revisions.lock, in the transaction."""
    await reports.update(con, keys, after.form, facility_id=after.facility_id,
                         person_id=after.person_id)
    await revisions.record(con, keys, "report", after.form.id, fields=changed,
                           user_id=user_id, before=revision_content.report(before),
                           after=revision_content.report(after), reason=reason)
    await audit.record(con, user_id, "update", "report", after.form.id, changed)


async def correct_follow_up(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID, what: str,
                            base: int, user_id: int) -> None:
    """What is to be done, corrected (its status, assignee and due date change through
    followup_work.change, with their own history)."""
    async with con.transaction():
        await revisions.lock(con, "follow_up", follow_up_id)
        before = await followups.get(con, keys, follow_up_id)
        if before is None:
            raise NotFound("No such follow-up.")
        await check_base(con, "follow_up", follow_up_id, base)
        if what == before.what:
            raise Invalid(NOTHING)
        await followups.update(con, keys, follow_up_id,
                               FollowUpForm(what, before.due_on, before.assignee_id),
                               person_id=before.person_id, report_id=before.report_id)
        after = await followups.get(con, keys, follow_up_id)
        assert after is not None
        await revisions.record(con, keys, "follow_up", follow_up_id, fields=("what",),
                               user_id=user_id, before=revision_content.follow_up(before),
                               after=revision_content.follow_up(after))
        await audit.record(con, user_id, "update", "follow_up", follow_up_id, ("what",))


async def intake_to_correct(con: Conn, keys: KeyRing, intake_id: uuid.UUID,
                            user_id: int) -> IntakeToCorrect:
    """The intake as it is now and its revisions, audited as viewed."""
    async with con.transaction():
        stored = await intakes.get(con, keys, intake_id)
        if stored is None:
            raise NotFound("No such intake.")
        if stored.outcome != "intake":
            raise Invalid(ONE_CLICK)
        found = await revisions.listing(con, "intake", intake_id)
        await audit.record(con, user_id, "view", "intake", intake_id,
                           (*INTAKE_FIELDS, "history"))
    return IntakeToCorrect(stored, IntakeFormPage(
        found, await pick_lists.facilities(con),
        await reports.summaries_of_intake(con, intake_id)))


async def _report_to(con: Conn, keys: KeyRing, report_id: uuid.UUID, facility_id: int,
                     reason: str, user_id: int) -> None:
    """The report moved to the facility (its own correction, with the intake's reason)."""
    await revisions.lock(con, "report", report_id)
    before = await reports.stored(con, keys, report_id)
    assert before is not None  # the intake's, read in this transaction
    after = replace(before, facility_id=facility_id)
    await rewrite_report(con, keys, before, after, ["facility"], reason, user_id)


async def correct_intake(con: Conn, keys: KeyRing, intake_id: uuid.UUID,
                         typed: IntakeCorrection, base: int, user_id: int) -> list[str]:
    """The intake's own fields as the form says (its call and person kept) and, when the
    supervisor ticked it, its reports moved to its facility, each a revision of its own.
    Returns what changed."""
    fields = typed.fields
    async with con.transaction():
        await revisions.lock(con, "intake", intake_id)
        before = await intakes.get(con, keys, intake_id)
        if before is None:
            raise NotFound("No such intake.")
        if before.outcome != "intake":
            raise Invalid(ONE_CLICK)
        await check_base(con, "intake", intake_id, base)
        form = IntakeForm(before.call_id, fields.facility_id, fields.language, fields.triage,
                          None, fields.needs, fields.needs_note, fields.family, (), None,
                          intake_id)
        changed = intakes.changes(before, form, before.person_id, fields.facility_id)
        to = fields.facility_id if typed.move_reports else None
        moving = [] if to is None else [
            r.id for r in await reports.summaries_of_intake(con, intake_id)
            if r.facility_id != to]
        if not changed and not moving:
            raise Invalid(NOTHING)
        correction_forms.refuse_reason([*changed, *(["facility"] if moving else [])],
                                       typed.reason)
        if changed:
            await intakes.update(con, keys, intake_id, form, before.person_id,
                                 fields.facility_id)
            after = await intakes.get(con, keys, intake_id)
            assert after is not None
            await revisions.record(con, keys, "intake", intake_id, fields=changed,
                                   user_id=user_id, before=revision_content.intake(before),
                                   after=revision_content.intake(after), reason=typed.reason)
            await audit.record(con, user_id, "update", "intake", intake_id, changed)
        for report_id in moving:
            assert to is not None
            await _report_to(con, keys, report_id, to, typed.reason, user_id)
    return [*changed, *(["reports"] if moving else [])]
