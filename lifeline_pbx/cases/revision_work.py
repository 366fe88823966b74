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
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.cases.followup_forms import parse_what
from lifeline_pbx.cases.forms import (
    FollowUpForm,
    IntakeFields,
    IntakeForm,
    ReportForm,
    parse_intake_fields,
    parse_report,
)
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
    return ReportFormPage(await reports.categories(con), await reports.partners(con))


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
        form = parse_report(data, await pick_lists.choices(con))
        return await correct_report(con, keys, report_id, form, base, user_id)
    except (Invalid, Conflict) as e:
        e.page = await report_form_page(con)
        raise


async def correct_intake_form(con: Conn, keys: KeyRing, intake_id: uuid.UUID,
                              data: FormData, base: int, user_id: int) -> list[str]:
    await exists(con, "intake", intake_id)
    try:
        fields = parse_intake_fields(data, await pick_lists.choices(con))
        return await correct_intake(con, keys, intake_id, fields, base, user_id)
    except (Invalid, Conflict) as e:
        e.page = IntakeFormPage(await revisions.listing(con, "intake", intake_id),
                                await pick_lists.facilities(con))
        raise


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


async def _base(con: Conn, entity: Entity, entity_id: uuid.UUID, base: int) -> None:
    """The correction was typed over the latest revision (0 and 1 both: the original)."""
    if max(await revisions.latest(con, entity, entity_id), 1) != max(base, 1):
        raise Conflict(MEANWHILE)


async def correct_report(con: Conn, keys: KeyRing, report_id: uuid.UUID, form: ReportForm,
                         base: int, user_id: int) -> list[str]:
    """The report as the form says (facility and person kept); returns what changed."""
    async with con.transaction():
        await revisions.lock(con, "report", report_id)
        before = await reports.stored(con, keys, report_id)
        if before is None:
            raise NotFound("No such report.")
        await _base(con, "report", report_id, base)
        form = replace(form, id=report_id)
        changed = reports.changes(before, form, before.facility_id, before.person_id)
        if not changed:
            raise Invalid(NOTHING)
        await reports.update(con, keys, form, facility_id=before.facility_id,
                             person_id=before.person_id)
        after = reports.Stored(form, before.facility_id, before.person_id)
        await revisions.record(con, keys, "report", report_id, fields=changed, user_id=user_id,
                               before=revision_content.report(before),
                               after=revision_content.report(after))
        await audit.record(con, user_id, "update", "report", report_id, changed)
    return changed


async def correct_follow_up(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID, what: str,
                            base: int, user_id: int) -> None:
    """What is to be done, corrected (its status, assignee and due date change through
    followup_work.change, with their own history)."""
    async with con.transaction():
        await revisions.lock(con, "follow_up", follow_up_id)
        before = await followups.get(con, keys, follow_up_id)
        if before is None:
            raise NotFound("No such follow-up.")
        await _base(con, "follow_up", follow_up_id, base)
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
    return IntakeToCorrect(stored, IntakeFormPage(found, await pick_lists.facilities(con)))


async def correct_intake(con: Conn, keys: KeyRing, intake_id: uuid.UUID, fields: IntakeFields,
                         base: int, user_id: int) -> list[str]:
    """The intake's own fields as the form says (its call and person kept); returns what
    changed."""
    async with con.transaction():
        await revisions.lock(con, "intake", intake_id)
        before = await intakes.get(con, keys, intake_id)
        if before is None:
            raise NotFound("No such intake.")
        if before.outcome != "intake":
            raise Invalid(ONE_CLICK)
        await _base(con, "intake", intake_id, base)
        form = IntakeForm(before.call_id, fields.facility_id, fields.language, fields.triage,
                          None, fields.needs, fields.needs_note, fields.family, (), None,
                          intake_id)
        changed = intakes.changes(before, form, before.person_id, fields.facility_id)
        if not changed:
            raise Invalid(NOTHING)
        await intakes.update(con, keys, intake_id, form, before.person_id, fields.facility_id)
        after = await intakes.get(con, keys, intake_id)
        assert after is not None
        await revisions.record(con, keys, "intake", intake_id, fields=changed, user_id=user_id,
                               before=revision_content.intake(before),
                               after=revision_content.intake(after))
        await audit.record(con, user_id, "update", "intake", intake_id, changed)
    return changed
