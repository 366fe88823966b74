"""The mark of records as a form showed them: an edit form's record, or the two records
of a merge's preview. Pure, no I/O.

An edit form posts back the mark of the record it was opened over (a hidden field). The
save compares it with the record's mark, read with the row locked in the save's own
transaction, and saves nothing if they differ: a form opened earlier never writes its
stale copy over what someone else saved meanwhile. A missing mark is a changed one. A
merge's confirmation is held to its preview's mark the same way (person_merge.py, with
its own field and refusal).
"""

from __future__ import annotations

import datetime as dt

from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.cases.followup_rules import Current
from lifeline_pbx.cases.people import Moves
from lifeline_pbx.errors import Conflict

FIELD = "opened"  # the form's hidden field
CHANGED = ("Someone changed this record after you opened the form, so nothing was saved. "
           "The form now shows the record as it is; what you typed is below. Make your "
           "changes again and save.")


class Changed(Conflict):
    """The record changed after the form was opened: nothing was saved."""

    def __init__(self) -> None:
        super().__init__(CHANGED)


def person(updated_at: dt.datetime) -> str:
    """A person's record: when its row last changed (every write sets it)."""
    return updated_at.isoformat()


def follow_up(current: Current) -> str:
    """A follow-up's "Work on it" fields as stored: every writer of them (this form, an
    intake saved again) changes the mark, and it needs no column of its own."""
    return "/".join(("" if v is None else str(v))
                    for v in (current.status, current.assignee_id, current.due_on))


def merge(keep_changed: dt.datetime, other_changed: dt.datetime, moves: Moves,
          holds_placed: int) -> str:
    """Both records as a merge's preview showed them: each one's person mark and what would
    move. holds_placed counts the legal holds ever placed on either record (placing one
    writes no person's row)."""
    counts = (moves.intakes, moves.calls, moves.reports, moves.follow_ups, moves.transfers,
              moves.holds, moves.records, holds_placed)
    return "/".join((person(keep_changed), person(other_changed), *(str(n) for n in counts)))


def posted(data: FormData) -> str:
    return data.get(FIELD, "")


def check(opened: str, now: str) -> None:
    """Changed unless the form was opened over the record as it is now."""
    if opened != now:
        raise Changed()
