"""One intake per voicemail. A voicemail's intake is the one saved for its call (the
earliest, where duplicates were saved before this rule: they are shown, never removed).

A save that would write a new intake from a voicemail first locks the voicemail's row
(claim, in the save's transaction): two saves at once take turns, and the second finds the
first's intake and is refused with a link to it. The save that writes it is the
voicemail's review (voicemail/review.py). The form opened for a voicemail that has an
intake goes to that intake instead (elsewhere), except for the intake's author, whose form
reopens it, as it does a call's.
"""

from __future__ import annotations

import uuid

from lifeline_pbx.cases.intake_page import page_of
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, NotFound
from lifeline_pbx.voicemail import store as voicemails
from lifeline_pbx.voicemail.store import VoicemailIntake
from lifeline_pbx.web.times import when

HAS_INTAKE = ("This voicemail already has an intake, saved by {by} at {at}. "
              "Nothing was saved from this form, and what you typed is still here: open that "
              "intake and add what is missing there.")


def elsewhere(intake: VoicemailIntake | None, user_id: int) -> str | None:
    """Where the intake form for a voicemail goes instead of opening: the voicemail's
    intake, unless it has none yet or this user saved it."""
    if intake is None or intake.user_id == user_id:
        return None
    return page_of(intake)


async def claim(con: Conn, voicemail_id: uuid.UUID) -> None:
    """Before a new intake from the voicemail is written, in the same transaction: lock the
    voicemail, and refuse if it already has an intake."""
    if not await voicemails.lock(con, voicemail_id):
        raise NotFound("No such voicemail.")
    found = await voicemails.first_intake(con, voicemail_id)
    if found is not None:
        raise Conflict(HAS_INTAKE.format(by=found.saved_by, at=when(found.saved_at)),
                       link=page_of(found))
