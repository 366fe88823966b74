"""Units of work behind the supervisors' voicemail review: listening (audited as a 'view' of
the voicemail's 'audio') and marking reviewed (an 'update' of 'reviewed_at'), each one
transaction with its audit entry. Saving an intake from a voicemail marks it reviewed too,
inside that save's transaction."""

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


async def mark_reviewed(con: Conn, voicemail_id: uuid.UUID, user_id: int, *,
                        audit_if_already: bool) -> None:
    """Reviewed now, audited as an 'update' of 'reviewed_at' by whoever reviewed it: a
    supervisor with the button, or whoever saved an intake from it (that save is its
    review). One already reviewed keeps its time: the button's click on it is audited all
    the same (audit_if_already), an intake saved from it writes nothing more. Its own
    transaction, or a part of the intake save's."""
    async with con.transaction():
        first = await store.first_review(con, voicemail_id)
        if not first and not await store.exists(con, voicemail_id):
            raise NotFound("No such voicemail.")
        if first or audit_if_already:
            await audit.record(con, user_id, "update", "voicemail", voicemail_id,
                               ["reviewed_at"])
