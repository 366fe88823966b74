"""Units of work on follow-ups: list, open, add a note, change, and "contact family".

Each one transaction with its audit entries (field names, never values). Who may do what
is decided by followup_rules on the row as locked here, not as a page showed it. A form
refused carries the page it is shown again on (RequestError.page).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from lifeline_pbx import audit
from lifeline_pbx.cases import (
    edit_marks,
    family,
    followup_forms,
    followup_rules,
    followup_thread,
    followups,
    people,
    pick_lists,
    revisions,
)
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.cases.followup_rules import Change
from lifeline_pbx.cases.forms import parse_follow_up
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Forbidden, Invalid, NotFound
from lifeline_pbx.web import form_keys, paging

LISTED = ("what", "due_on", "status", "assignee_id", "person_names", "person_a_number",
          "facility")
OPENED = (*LISTED, "notes", "history")
PERSON_SHOWN = ("a_number", "names", "facility")
CREATED = ("what", "due_on", "assignee_id", "person_id", "intake_id")
PER_PAGE = 25  # follow-ups on one page of a list


@dataclass(frozen=True)
class Opened:
    follow_up: followups.FollowUp
    notes: list[followup_thread.Note]
    history: list[followup_thread.Change]
    needs: family.IntakeNeeds | None  # what its intake recorded, as this user may see it
    revisions: list[revisions.Revision]  # corrections of what is to be done

    @property
    def revision(self) -> int:
        """The latest revision's number (0: never corrected)."""
        return self.revisions[-1].number if self.revisions else 0


@dataclass(frozen=True)
class ListChoices:
    """What a list of follow-ups is filtered by."""

    users: pick_lists.Named  # disabled users too: their follow-ups are still listed
    facilities: pick_lists.Named


@dataclass(frozen=True)
class ListPage:
    choices: ListChoices
    total: int
    at: paging.Window  # the page shown (a page past the end is the last one)
    found: list[followups.FollowUp]


@dataclass(frozen=True)
class FollowUpPage:
    opened: Opened
    assignees: pick_lists.Named  # whom a supervisor may assign it to (none for others)

    @property
    def mark(self) -> str:
        """What the "Work on it" form is opened over (edit_marks.follow_up)."""
        f = self.opened.follow_up
        return edit_marks.follow_up(followup_rules.Current(f.status, f.assignee_id, f.due_on))


@dataclass(frozen=True)
class ContactPage:
    """The "contact family" form's page: what the intake recorded, and the assignees."""

    needs: family.IntakeNeeds
    assignees: pick_lists.Named


async def listing(con: Conn, keys: KeyRing, user_id: int, where: followups.Filter,
                  at: paging.Window, today: dt.date) -> tuple[int, paging.Window,
                                                              list[followups.FollowUp]]:
    """One page of follow-ups (a page past the end is the last one), the total, and the
    page shown; every follow-up shown is audited as viewed."""
    async with con.transaction():
        total = await followups.count(con, where, today)
        at = paging.clamped(at, total)
        found = await followups.search(con, keys, where, today, offset=at.offset,
                                       limit=at.per_page)
        await audit.record_views(con, user_id,
                                 (("follow_up", f.id, LISTED) for f in found))
    return total, at, found


async def list_page(con: Conn, keys: KeyRing, user_id: int, query: FormData, *,
                    everyone: bool, today: dt.date) -> ListPage:
    """A list's page as the address asks for it (followup_forms.parse_filter, and its page):
    everyone's (a supervisor's) or the user's own. Invalid carries the ListChoices."""
    found = ListChoices(await pick_lists.users(con, enabled_only=False),
                        await pick_lists.facilities(con))
    try:
        where = followup_forms.parse_filter(
            query, users={i for i, _ in found.users},
            facilities={i for i, _ in found.facilities}, supervisor=everyone, user_id=user_id)
        at = paging.window(query, default_per_page=PER_PAGE)
    except Invalid as e:
        e.page = found
        raise
    total, at, rows = await listing(con, keys, user_id, where, at, today)
    return ListPage(found, total, at, rows)


async def follow_up_page(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID, user_id: int,
                         supervisor: bool) -> FollowUpPage:
    opened = await open_follow_up(con, keys, follow_up_id, user_id, supervisor)
    return FollowUpPage(opened, await pick_lists.users(con) if supervisor else [])


async def open_follow_up(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID, user_id: int,
                         supervisor: bool) -> Opened:
    async with con.transaction():
        follow_up = await followups.get(con, keys, follow_up_id)
        if follow_up is None:
            raise NotFound("No such follow-up.")
        if not followup_rules.may_work(user_id, supervisor, follow_up.assignee_id):
            raise Forbidden("This follow-up is assigned to someone else.")
        opened = Opened(
            follow_up,
            await followup_thread.notes(con, keys, follow_up_id),
            await followup_thread.history(con, follow_up_id),
            None if follow_up.intake_id is None else await family.for_intake(
                con, keys, follow_up.intake_id, supervisor=supervisor),
            await revisions.listing(con, "follow_up", follow_up_id),
        )
        await audit.record(con, user_id, "view", "follow_up", follow_up_id, OPENED)
        if follow_up.person is not None:
            await audit.record(con, user_id, "view", "person", follow_up.person.id,
                               PERSON_SHOWN)
        if opened.needs is not None:
            await audit.record(con, user_id, "view", "intake", opened.needs.intake_id,
                               opened.needs.fields())
    return opened


async def _locked(con: Conn, follow_up_id: uuid.UUID, user_id: int,
                  supervisor: bool) -> followup_rules.Current:
    current = await followups.lock(con, follow_up_id)
    if current is None:
        raise NotFound("No such follow-up.")
    if not followup_rules.may_work(user_id, supervisor, current.assignee_id):
        raise Forbidden("Only the assignee or a supervisor can work this follow-up.")
    return current


async def add_note(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID, user_id: int,
                   supervisor: bool, body: str, note_id: uuid.UUID | None = None) -> uuid.UUID:
    """note_id: the note form's key; the same form posted again adds nothing."""
    note_id = note_id or uuid.uuid4()
    async with con.transaction():
        await _locked(con, follow_up_id, user_id, supervisor)
        if await followup_thread.add_note(con, keys, note_id, follow_up_id, user_id, body):
            await audit.record(con, user_id, "create", "follow_up_note", note_id,
                               ("body", "follow_up_id"))
    return note_id


async def change(con: Conn, follow_up_id: uuid.UUID, user_id: int, supervisor: bool,
                 asked: Change, opened: str, today: dt.date) -> list[str]:
    """Make the changes asked for, or none, on a follow-up still as the form was opened
    over (opened: its edit_marks.follow_up mark); returns the names of the fields
    changed."""
    async with con.transaction():
        current = await _locked(con, follow_up_id, user_id, supervisor)
        assignable = await pick_lists.enabled_user_ids(con)
        decision = followup_rules.decide(current, asked, user_id=user_id,
                                         supervisor=supervisor, today=today,
                                         assignable=assignable)
        if decision.forbidden:  # not theirs to do, however the form was opened
            raise Forbidden(decision.refused)
        edit_marks.check(opened, edit_marks.follow_up(current))
        if decision.refused:
            raise Invalid(decision.refused, "change")
        await followups.save(con, follow_up_id, current,
                             followup_rules.after(current, decision))
        await followup_thread.record(con, follow_up_id, user_id, decision.changes)
        changed = [{"assignee": "assignee_id"}.get(c.field, c.field)
                   for c in decision.changes]
        await audit.record(con, user_id, "update", "follow_up", follow_up_id, changed)
    return changed


async def change_form(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID, user_id: int,
                      supervisor: bool, posted: FormData, today: dt.date) -> list[str]:
    """The status/assignee/due form; a missing follow-up is NotFound before it is read."""
    await _exists(con, follow_up_id)
    try:
        return await change(con, follow_up_id, user_id, supervisor,
                            followup_forms.parse_change(posted), edit_marks.posted(posted),
                            today)
    except (Invalid, Conflict) as e:
        e.page = await follow_up_page(con, keys, follow_up_id, user_id, supervisor)
        raise


async def note_form(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID, user_id: int,
                    supervisor: bool, posted: FormData) -> uuid.UUID:
    await _exists(con, follow_up_id)
    try:
        note_id, body = followup_forms.parse_note(posted)
        return await add_note(con, keys, follow_up_id, user_id, supervisor, body, note_id)
    except (Invalid, Conflict) as e:
        e.page = await follow_up_page(con, keys, follow_up_id, user_id, supervisor)
        raise


async def _exists(con: Conn, follow_up_id: uuid.UUID) -> None:
    if not await revisions.exists(con, "follow_up", follow_up_id):
        raise NotFound("No such follow-up.")


async def person_needs(con: Conn, keys: KeyRing, person_id: uuid.UUID, user_id: int,
                       supervisor: bool) -> list[family.IntakeNeeds]:
    """The needs and family contacts recorded about a person (and those merged into
    them), each intake shown audited as viewed."""
    return await needs_of(con, keys, await people.merged_ids(con, person_id), user_id,
                          supervisor)


async def needs_of(con: Conn, keys: KeyRing, ids: list[uuid.UUID], user_id: int,
                   supervisor: bool) -> list[family.IntakeNeeds]:
    """person_needs, given the person's merged_ids."""
    async with con.transaction():
        found = await family.for_persons(con, keys, ids, supervisor=supervisor)
        await audit.record_views(con, user_id, (
            ("intake", needs.intake_id, needs.fields()) for needs in found))
    return found


async def _family_intake(con: Conn, keys: KeyRing, person_id: uuid.UUID,
                         intake_id: uuid.UUID) -> people.Person:
    person = await people.get(con, keys, person_id)
    if person is None:
        raise NotFound("No such person.")
    if not await family.family_intake_of(con, intake_id,
                                         await people.merged_ids(con, person.id)):
        raise NotFound("That intake recorded no family contact for this person.")
    return person


async def family_of_intake(con: Conn, keys: KeyRing, person_id: uuid.UUID,
                           intake_id: uuid.UUID, user_id: int) -> family.IntakeNeeds:
    """One intake's needs and family contact, for a supervisor about to contact them."""
    async with con.transaction():
        await _family_intake(con, keys, person_id, intake_id)
        needs = await family.for_intake(con, keys, intake_id, supervisor=True)
        assert needs is not None  # it has a family contact
        await audit.record(con, user_id, "view", "intake", intake_id, needs.fields())
    return needs


async def contact_page(con: Conn, keys: KeyRing, person_id: uuid.UUID, intake_id: uuid.UUID,
                       user_id: int) -> ContactPage:
    needs = await family_of_intake(con, keys, person_id, intake_id, user_id)
    return ContactPage(needs, await pick_lists.users(con))


async def contact_family(con: Conn, keys: KeyRing, person_id: uuid.UUID,
                         intake_id: uuid.UUID, posted: FormData, user_id: int) -> uuid.UUID:
    """A follow-up about the person, carrying the intake whose family contact is to be
    contacted (its assignee sees that contact, consent permitting). Invalid names each
    bad field of the form posted, and carries the ContactPage."""
    try:
        return await _contact_family(con, keys, person_id, intake_id, posted, user_id)
    except Invalid as e:
        e.page = await contact_page(con, keys, person_id, intake_id, user_id)
        raise


async def _contact_family(con: Conn, keys: KeyRing, person_id: uuid.UUID,
                          intake_id: uuid.UUID, posted: FormData, user_id: int) -> uuid.UUID:
    """The follow-up's id is the form's key: the same form posted again makes none more."""
    follow_up_id = form_keys.posted(posted)
    async with con.transaction():
        person = await _family_intake(con, keys, person_id, intake_id)
        form = parse_follow_up(posted, await pick_lists.choices(con))
        if await followups.create(con, keys, follow_up_id, form, person_id=person.id,
                                  report_id=None, intake_id=intake_id, user_id=user_id):
            await audit.record(con, user_id, "create", "follow_up", follow_up_id, CREATED)
    return follow_up_id
