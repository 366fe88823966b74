"""Who may correct a saved intake (with its reports and follow-up), and until when: pure.

The author corrects their own during the call and its wrap-up (until WRAP_UP after the call
ended, or after the intake was first saved when it has no call); a supervisor corrects any
record at any time. Every correction is a revision (revisions.py), never an overwrite, typed
over the revision its form showed (base_of).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.errors import Invalid

WRAP_UP = dt.timedelta(minutes=30)  # as long as a one-click outcome can be undone
NOT_YOURS = "Only the operator who wrote this record, or a supervisor, can correct it."
TOO_LATE = ("The wrap-up time for correcting this intake yourself is over (30 minutes after "
            "the call): nothing was saved. Ask a supervisor to correct it.")


@dataclass(frozen=True)
class Written:
    """When and by whom an intake was written."""

    author_id: int
    saved_at: dt.datetime  # first saved
    call_ended_at: dt.datetime | None = None  # None: no call, or the call goes on


def wrap_up_ends(written: Written) -> dt.datetime:
    return max(written.saved_at, written.call_ended_at or written.saved_at) + WRAP_UP


def refusal(written: Written, *, user_id: int, supervisor: bool, now: dt.datetime) -> str:
    """Why this user may not correct the record now; "" when they may."""
    if supervisor:
        return ""
    if written.author_id != user_id:
        return NOT_YOURS
    if now >= wrap_up_ends(written):
        return TOO_LATE
    return ""


def base_of(data: FormData) -> int:
    """The revision a correction was typed over (the form's hidden field)."""
    value = data.get("revision", "0")
    if not isinstance(value, str) or not value.isdigit() or len(value) > 6:
        raise Invalid("The form's revision is not valid: reload it.")
    return int(value)
