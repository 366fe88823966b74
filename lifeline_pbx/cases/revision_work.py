"""Units of work on corrections: a record's revisions (who, when, which fields), one old
revision opened, and a supervisor's correction of a report or a follow-up's text. Each
one transaction; every list and every old revision opened is audited as a view."""

from __future__ import annotations

import uuid
from dataclasses import replace

from lifeline_pbx import audit
from lifeline_pbx.cases import followups, reports, revision_content, revisions
from lifeline_pbx.cases.forms import FollowUpForm, ReportForm
from lifeline_pbx.cases.revisions import Entity
from lifeline_pbx.cases.service import Conflict, NotFound, Refused
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn

_TABLES: dict[Entity, str] = {"intake": "intakes", "report": "reports",
                              "follow_up": "follow_ups"}
NOTHING = "Nothing to correct: the record already says that."
MEANWHILE = ("Someone corrected this record while you were typing: nothing was saved. Open "
             "it again to see their correction, then make yours.")


async def _exists(con: Conn, entity: Entity, entity_id: uuid.UUID) -> None:
    found = await con.fetchval(f"SELECT 1 FROM {_TABLES[entity]} WHERE id = $1", entity_id)
    if found is None:
        raise NotFound("No such record.")


async def history(con: Conn, entity: Entity, entity_id: uuid.UUID,
                  user_id: int) -> list[revisions.Revision]:
    async with con.transaction():
        await _exists(con, entity, entity_id)
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
            raise Refused(NOTHING)
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
            raise Refused(NOTHING)
        await followups.update(con, keys, follow_up_id,
                               FollowUpForm(what, before.due_on, before.assignee_id),
                               person_id=before.person_id, report_id=before.report_id)
        after = await followups.get(con, keys, follow_up_id)
        assert after is not None
        await revisions.record(con, keys, "follow_up", follow_up_id, fields=("what",),
                               user_id=user_id, before=revision_content.follow_up(before),
                               after=revision_content.follow_up(after))
        await audit.record(con, user_id, "update", "follow_up", follow_up_id, ("what",))
