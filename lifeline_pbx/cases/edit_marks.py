"""The mark of a record as an edit form showed it. Pure, no I/O.

An edit form posts back the mark of the record it was opened over (a hidden field). The
save compares it with the record's mark, read with the row locked in the save's own
transaction, and saves nothing if they differ: a form opened earlier never writes its
stale copy over what someone else saved meanwhile. A missing mark is a changed one.
"""

from __future__ import annotations

import datetime as dt

from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.cases.followup_rules import Current
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


def posted(data: FormData) -> str:
    return data.get(FIELD, "")


def check(opened: str, now: str) -> None:
    """Changed unless the form was opened over the record as it is now."""
    if opened != now:
        raise Changed()
