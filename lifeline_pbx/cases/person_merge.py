"""Merging a duplicate person record into the one kept, in two steps: a preview of the
other record and of what would move (read and audited like any view of a person), then
the merge itself, refused if either record changed since the preview (merge_rules).

A refused form carries the kept person's page (RequestError.page) to be shown again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from lifeline_pbx import audit
from lifeline_pbx.cases import (
    anumber,
    edit_marks,
    merge_history,
    merge_rules,
    people,
    person_work,
)
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound, page_on_refusal
from lifeline_pbx.web import paging

FIELD = "other_a_number"  # the A-number typed on the person's page
KEEP_SHOWN = ("a_number", "names")
OTHER_SHOWN = ("a_number", "names", "date_of_birth", "country", "languages", "facility",
               "intakes", "calls", "reports", "follow_ups", "transfers", "legal_holds")


@dataclass(frozen=True)
class Preview:
    keep: people.Person
    other: people.Person
    moves: people.Moves  # what moves from other onto keep
    mark: str  # of both records as shown (edit_marks.merge)


async def _preview(con: Conn, keep: people.Person, other: people.Person, *,
                   lock: bool = False) -> Preview:
    changed = await people.changed_at(con, [keep.id, other.id], lock=lock)
    moves = await people.moves(con, await people.merged_ids(con, other.id))
    placed = await people.holds_placed(con, [keep.id, other.id])
    return Preview(keep, other, moves, edit_marks.merge(changed[keep.id], changed[other.id],
                                                        moves, placed))


async def _keep(con: Conn, keys: KeyRing, keep_id: uuid.UUID) -> people.Person:
    keep = await people.get(con, keys, keep_id)
    if keep is None:
        raise NotFound("No such person.")
    return keep


async def preview(con: Conn, keys: KeyRing, keep_id: uuid.UUID, normalised: str,
                  user_id: int) -> Preview:
    """What merging the record of the A-number typed into keep_id's would do. The search is
    audited as every search is (even when refused), and both records as viewed."""
    found = await person_work.find_person(con, keys, normalised, user_id)
    async with con.transaction():
        keep = await _keep(con, keys, keep_id)
        refused = merge_rules.refusal(keep, normalised, found)
        if refused:
            raise Invalid(refused, FIELD)
        assert found is not None  # refusal says so otherwise
        shown = await _preview(con, keep, found)
        await audit.record_views(con, user_id, (("person", keep.id, KEEP_SHOWN),
                                                ("person", found.id, OTHER_SHOWN)))
    return shown


async def confirm(con: Conn, keys: KeyRing, keep_id: uuid.UUID, other_id: uuid.UUID,
                  mark: str, user_id: int) -> None:
    """Merge other_id's record into keep_id's if both are as the preview marked them."""
    async with con.transaction():
        keep = await _keep(con, keys, keep_id)
        other = await people.get(con, keys, other_id, follow=False)
        if other is None:  # removed since the preview
            raise Conflict(merge_rules.CHANGED)
        if keep.id == other.id or other.merged_into == keep.id:
            raise Conflict(merge_rules.ALREADY_ONE)
        now = await _preview(con, keep, other, lock=True)
        if other.merged_into is not None or now.mark != mark:
            raise Conflict(merge_rules.CHANGED)
        report_ids = await merge_history.report_ids(con, other.id)
        entry_ids = await merge_history.entry_ids(con, other.id)
        moved = await people.merge(con, keys, keep, other)
        await audit.record(con, user_id, "merge", "person", keep.id, moved)
        await audit.record(con, user_id, "merge", "person", other.id, ["merged_into"])
        for report_id in report_ids:  # the report's history says it moved
            await audit.record(con, user_id, "merge", "report", report_id, ["person_id"])
        for entry_id in entry_ids:  # "Held at" lists it as the merged record's
            await audit.record(con, user_id, "merge", merge_history.ENTRY, entry_id,
                               ["person_id"])


async def preview_form(con: Conn, keys: KeyRing, keep_id: uuid.UUID, posted: FormData,
                       user_id: int, calls_at: paging.Window) -> Preview:
    """The person page's merge form: its A-number, previewed. Refused, the error names the
    field and carries the person's page."""
    async with page_on_refusal(lambda: person_work.page(con, keys, keep_id, user_id,
                                                        calls_at)):
        await _keep(con, keys, keep_id)  # a missing record is not found, not a bad form
        try:
            normal = anumber.normalise(str(posted.get(FIELD, "")))
        except anumber.ANumberError as e:
            raise Invalid(e.message, FIELD) from None
        return await preview(con, keys, keep_id, normal, user_id)


async def confirm_form(con: Conn, keys: KeyRing, keep_id: uuid.UUID, posted: FormData,
                       user_id: int, calls_at: paging.Window) -> None:
    """The preview's "Merge these records". Refused (the records changed or were merged
    meanwhile), the error carries the person's page."""
    async with page_on_refusal(lambda: person_work.page(con, keys, keep_id, user_id,
                                                        calls_at)):
        await _keep(con, keys, keep_id)
        try:
            other_id = uuid.UUID(str(posted.get("other", "")))
        except ValueError:
            raise Invalid("Preview the merge again.", FIELD) from None
        await confirm(con, keys, keep_id, other_id, str(posted.get("mark", "")), user_id)
