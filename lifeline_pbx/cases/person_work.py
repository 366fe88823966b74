"""Units of work on the case record: each one transaction, with its audit entries.

Views call these; the storage modules below them never open transactions. Audit
entries name the fields shown or changed, never their values.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from lifeline_pbx import audit
from lifeline_pbx.cases import (
    edit_marks,
    family,
    followup_work,
    followups,
    held_at,
    intakes,
    merge_history,
    misfile_store,
    people,
    pick_lists,
    proposal_work,
    proposals,
    reports,
)
from lifeline_pbx.cases import search as search_store
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.cases.forms import PersonEdit, parse_person_edit
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound
from lifeline_pbx.retention import store as holds_store
from lifeline_pbx.retention import work as holds
from lifeline_pbx.supervision import call_history
from lifeline_pbx.web import paging

HISTORY_FIELDS = ("a_number", "names", "date_of_birth", "country", "languages", "facility",
                  "transfers", "intakes", "reports", "follow_ups")
EDIT_FIELDS = ("a_number", "names", "date_of_birth", "country", "languages", "facility_id")
SEARCH_SHOWN = ("a_number", "names", "date_of_birth", "facility")
SEARCH_ENTITY = "person_search"  # audit entity of a search by A-number
NOT_FOUND = "not_found"  # its entity_id when nobody has that A-number
REPORT_FIELDS = ("facility", "category", "severity", "occurred_from", "occurred_to",
                 "affected", "people", "housing_unit", "narrative", "consents")


@dataclass(frozen=True)
class History:
    person: people.Person
    transfers: list[people.Transfer]  # "Held at": where this record placed them
    from_merged: list[people.Transfer]  # where only a record merged into it did
    intakes: list[intakes.IntakeSummary]
    reports: list[reports.ReportSummary]
    follow_ups: list[followups.FollowUp]


@dataclass(frozen=True)
class PersonPage:
    """Everything a supervisor's page of one person shows."""

    history: History
    family_needs: list[family.IntakeNeeds]
    proposals: list[proposals.Opened]
    facility_names: dict[int, str]
    calls_total: int
    calls_at: paging.Window  # the page of calls shown (past the end: the last)
    calls: list[call_history.CallRow]
    reports_total: int
    legal_holds: list[holds_store.Hold]  # in force (reasons shown): nothing tied is removed
    moves: list[misfile_store.Move]  # intakes moved onto or away from this record
    struck: list[misfile_store.Struck]  # entries of where they were held, struck as mistakes
    merged: list[merge_history.Merged]  # the records merged into this one
    asked: merge_history.Merged | None  # the record asked for, when merged into this one


@dataclass(frozen=True)
class SearchPage:
    facilities: pick_lists.Named  # to search by
    total: int
    found: list[people.Person]
    at: paging.Window | None = None  # the page shown (None: nothing searched)


@dataclass(frozen=True)
class EditPage:
    """What a person's edit form shows besides the fields."""

    person: people.Person
    opened: str  # the record's mark (edit_marks.person), posted back with the form
    facilities: pick_lists.Named


async def history(con: Conn, keys: KeyRing, person: people.Person, user_id: int) -> History:
    """Everything known about a person (and those merged into them); audited as a view."""
    return await history_of(con, keys, person, await people.merged_ids(con, person.id),
                            user_id)


async def history_of(con: Conn, keys: KeyRing, person: people.Person, ids: list[uuid.UUID],
                     user_id: int) -> History:
    """history, given the person's merged_ids."""
    async with con.transaction():
        held = held_at.shown(await people.transfers(con, ids))
        found = History(
            person,
            held.own,
            held.merged,
            await intakes.for_persons(con, ids),
            await reports.for_persons(con, ids),
            await followups.open_for_persons(con, keys, ids),
        )
        await audit.record(con, user_id, "view", "person", person.id, HISTORY_FIELDS)
    return found


async def page(con: Conn, keys: KeyRing, person_id: uuid.UUID, user_id: int,
               calls_at: paging.Window) -> PersonPage:
    """The person's page for a supervisor: each part audited as viewed, as it is read. A
    record merged into another leads to the kept one's page, which says so."""
    person = await people.get(con, keys, person_id)
    if person is None:
        raise NotFound("No such person.")
    merged = await merges(con, keys, person.id, user_id)
    ids = await people.merged_ids(con, person.id)
    found = await history_of(con, keys, person, ids, user_id)
    needs = await followup_work.needs_of(con, keys, ids, user_id, True)
    proposed = await proposal_work.for_person(con, keys, person, ids, user_id)
    facilities = dict(await pick_lists.facilities(con))
    calls_total, calls_at, calls = await call_history.for_persons(con, ids, calls_at)
    reports_total = await reports.count(con, reports.ReportFilter(person_ids=tuple(ids)))
    return PersonPage(found, needs, proposed, facilities, calls_total, calls_at, calls,
                      reports_total, await holds.in_force(con, keys, user_id, person.id),
                      await misfile_store.moves(con, ids), await misfile_store.struck(con, ids),
                      merged, next((m for m in merged if m.person_id == person_id), None))


async def merges(con: Conn, keys: KeyRing, person_id: uuid.UUID,
                 user_id: int) -> list[merge_history.Merged]:
    """The records merged into the person's, their A-numbers audited as viewed."""
    async with con.transaction():
        found = await merge_history.merged_into(con, keys, person_id)
        await audit.record_views(con, user_id,
                                 (("person", m.person_id, ("a_number",)) for m in found))
    return found


async def search(con: Conn, keys: KeyRing, criteria: search_store.Criteria,
                 at: paging.Window,
                 user_id: int) -> tuple[int, paging.Window, list[people.Person]]:
    """People by name, A-number, date of birth and facility: the search audited by what it
    searched by (never the values typed), each person shown by the fields shown."""
    async with con.transaction():
        total, at, found = await search_store.find(con, keys, criteria, at)
        await audit.record(con, user_id, "view", "people", "search", criteria.fields())
        await audit.record_views(con, user_id,
                                 (("person", person.id, SEARCH_SHOWN) for person in found))
    return total, at, found


async def search_page(con: Conn, keys: KeyRing,
                      asked: tuple[search_store.Criteria, paging.Window] | None,
                      user_id: int) -> SearchPage:
    """The search page: the facilities to search by and, when asked (criteria, page), one
    page of the people found (audited as search does)."""
    facilities = await pick_lists.facilities(con)
    if asked is None:
        return SearchPage(facilities, 0, [])
    total, at, found = await search(con, keys, *asked, user_id)
    return SearchPage(facilities, total, found, at)


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


async def get_report(con: Conn, keys: KeyRing, report_id: uuid.UUID) -> reports.Report:
    found = await reports.get(con, keys, report_id)
    if found is None:
        raise NotFound("No such report.")
    return found


async def open_report(con: Conn, keys: KeyRing, report_id: uuid.UUID,
                      user_id: int) -> reports.Report:
    async with con.transaction():
        report = await get_report(con, keys, report_id)
        await audit.record(con, user_id, "view", "report", report_id, REPORT_FIELDS)
    return report


async def person_to_edit(con: Conn, keys: KeyRing, person_id: uuid.UUID, user_id: int,
                         shown: Sequence[str] = EDIT_FIELDS) -> tuple[people.Person, str]:
    """The person's own record (not the one it was merged into) for the edit form, and its
    mark; audited as a view of the fields shown."""
    async with con.transaction():
        person = await editable(con, keys, person_id)
        changed = await people.changed_at(con, [person.id])
        await audit.record(con, user_id, "view", "person", person.id, shown)
    return person, edit_marks.person(changed[person.id])


async def edit_person(con: Conn, keys: KeyRing, person_id: uuid.UUID, edit: PersonEdit,
                      opened: str, user_id: int) -> list[str]:
    """Replace the person's details with the form's, if the record is still as the form
    was opened over (opened: its mark); a new facility is a transfer or a correction as
    the form says (held_at.change). Audit the names of what changed."""
    async with con.transaction():
        changed_at = await people.changed_at(con, [person_id], lock=True)
        person = await editable(con, keys, person_id)
        edit_marks.check(opened, edit_marks.person(changed_at[person_id]))
        held = held_at.change(await misfile_store.entries(con, person.id), person.facility_id,
                              edit.form.facility_id, edit.facility_change)
        changed = await save_held(con, keys, person, people.edited(person, edit.form), held,
                                  user_id)
        if changed:
            await audit.record(con, user_id, "update", "person", person.id, changed)
    return changed


async def save_held(con: Conn, keys: KeyRing, person: people.Person, new: people.Person,
                    held: held_at.Change, user_id: int) -> list[str]:
    """Write new over person, where they were held changing only as held says (the edit
    form's transfer or correction, or an intake moved off the wrong person): no transfer
    is made up from the new facility. Returns what changed."""
    changed = await people.save(con, keys, person, new, user_id, transfer=False)
    if held.strike is not None:
        await misfile_store.strike(con, held.strike, user_id)
    if held.note is not None:
        await people.note_facility(con, person.id, held.note, user_id)
    return changed


async def edit_page(con: Conn, keys: KeyRing, person_id: uuid.UUID, user_id: int,
                    shown: Sequence[str] = EDIT_FIELDS) -> EditPage:
    """The edit form's page: the person (audited as a view of the fields shown), its mark
    and the facilities to choose from."""
    person, opened = await person_to_edit(con, keys, person_id, user_id, shown)
    return EditPage(person, opened, await pick_lists.facilities(con))


async def save_person_form(con: Conn, keys: KeyRing, person_id: uuid.UUID, data: FormData,
                           user_id: int) -> list[str]:
    """The edit form, refused before it is read if the record cannot be edited. Refused,
    the error carries the EditPage to show the form again: Invalid names each bad field
    (the page shows the A-number, so that is audited as a view); edit_marks.Changed (the
    record changed since the form was opened) shows the record as it is now."""
    try:
        person = await editable(con, keys, person_id)
        edit = parse_person_edit(data, await pick_lists.choices(con), a_number=person.a_number,
                                 facility_now=person.facility_id)
        return await edit_person(con, keys, person_id, edit, edit_marks.posted(data), user_id)
    except Invalid as e:
        e.page = await edit_page(con, keys, person_id, user_id, shown=("a_number",))
        raise
    except edit_marks.Changed as e:
        e.page = await edit_page(con, keys, person_id, user_id)
        raise


async def editable(con: Conn, keys: KeyRing, person_id: uuid.UUID) -> people.Person:
    person = await people.get(con, keys, person_id, follow=False)
    if person is None:
        raise NotFound("No such person.")
    if person.merged_into is not None:
        raise Conflict("This record was merged into another person's record and cannot be "
                       "edited: edit the record it was merged into.")
    return person

