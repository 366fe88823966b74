"""Units of work behind the supervisors' voicemail review: listening (audited as a 'view' of
the voicemail's 'audio') and marking reviewed (an 'update' of 'reviewed_at'), each one
transaction with its audit entry; and the review that saving an intake from a voicemail
makes, inside that save's transaction."""

from __future__ import annotations

import uuid

from lifeline_pbx import audit
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import NotFound
from lifeline_pbx.voicemail import store
from lifeline_pbx.voicemail.shelf import open_audio


async def listen(con: Conn, keys: KeyRing, voicemail_id: uuid.UUID, user_id: int) -> bytes:
    """The WAV in clear, for one response."""
    async with con.transaction():
        audio = await open_audio(con, keys, voicemail_id)
        if audio is None:
            raise NotFound("No audio for this voicemail (yet)."
                           if await store.exists(con, voicemail_id) else "No such voicemail.")
        await audit.record(con, user_id, "view", "voicemail", voicemail_id, ["audio"])
    return audio


async def mark_reviewed(con: Conn, voicemail_id: uuid.UUID, user_id: int) -> None:
    async with con.transaction():
        if not await store.mark_reviewed(con, voicemail_id):
            raise NotFound("No such voicemail.")
        await audit.record(con, user_id, "update", "voicemail", voicemail_id, ["reviewed_at"])


async def reviewed_by_intake(con: Conn, voicemail_id: uuid.UUID, user_id: int) -> None:
    """An intake saved from the voicemail is its review, by whoever saved it: marked and
    audited as the button does, in the caller's transaction. One already reviewed keeps
    its time, and nothing is written."""
    if await store.first_review(con, voicemail_id):
        await audit.record(con, user_id, "update", "voicemail", voicemail_id, ["reviewed_at"])
