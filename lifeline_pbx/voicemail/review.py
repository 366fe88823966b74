"""Units of work behind the supervisors' voicemail review: the list (a review's note shown is
audited as a 'view' of the voicemail's 'review_note'), listening (a 'view' of its 'audio')
and marking reviewed (an 'update' of 'reviewed_at' and who, and why when no intake was
written: review_rules.py), each one transaction with its audit entry. Saving an intake from
a voicemail marks it reviewed too, inside that save's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from lifeline_pbx import audit
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import NotFound, page_on_refusal
from lifeline_pbx.voicemail import review_rules, store
from lifeline_pbx.voicemail.shelf import open_audio

NO_SUCH = "No such voicemail."


async def listing(con: Conn, keys: KeyRing, user_id: int,
                  show: store.Show) -> list[store.Voicemail]:
    """The review list, each note shown audited."""
    async with con.transaction():
        found = await store.listing(con, keys, show)
        await audit.record_views(con, user_id, (
            ("voicemail", vm.id, ["review_note"]) for vm in found if vm.review_note))
    return found


async def listen(con: Conn, keys: KeyRing, voicemail_id: uuid.UUID, user_id: int) -> bytes:
    """The WAV in clear, for one response."""
    async with con.transaction():
        audio = await open_audio(con, keys, voicemail_id)
        if audio is None:
            raise NotFound("No audio for this voicemail (yet)."
                           if await store.exists(con, voicemail_id) else NO_SUCH)
        await audit.record(con, user_id, "view", "voicemail", voicemail_id, ["audio"])
    return audio


async def mark_reviewed(con: Conn, voicemail_id: uuid.UUID, user_id: int) -> None:
    """Reviewed now by whoever saved an intake from it (that save is its review), audited as
    an 'update' of 'reviewed_at' and 'reviewed_by'. One already reviewed keeps its time and
    reviewer, and gets no entry. A part of the intake save's transaction."""
    async with con.transaction():
        if await store.first_review(con, voicemail_id, user_id):
            await audit.record(con, user_id, "update", "voicemail", voicemail_id,
                               ["reviewed_at", "reviewed_by"])
        elif not await store.exists(con, voicemail_id):
            raise NotFound(NO_SUCH)


async def review_by_hand(con: Conn, keys: KeyRing, voicemail_id: uuid.UUID, user_id: int,
                         form: Mapping[str, str]) -> None:
    """The "Mark reviewed" button: reviewed now by this user, with the reason the form gives
    when no intake was written from it (Invalid names the field: nothing saved). One
    already reviewed (a list shown earlier) keeps its time, reviewer and reason; the click
    is audited all the same. The row is locked, so two clicks take turns."""
    async with con.transaction():
        if not await store.lock(con, voicemail_id):
            raise NotFound(NO_SUCH)
        state = await store.review_state(con, voicemail_id)
        assert state is not None, "locked above"
        reviewed, has_intake = state
        if reviewed:
            await audit.record(con, user_id, "update", "voicemail", voicemail_id,
                               ["reviewed_at"])
            return
        review = review_rules.parse(form, has_intake=has_intake)
        sealed = (None if review.note is None
                  else keys.seal(review.note, store.note_place(voicemail_id)))
        await store.first_review(con, voicemail_id, user_id, review.reason, sealed)
        fields = ["reviewed_at", "reviewed_by"]
        fields += [] if review.reason is None else ["review_reason"]
        fields += [] if sealed is None else ["review_note"]
        await audit.record(con, user_id, "update", "voicemail", voicemail_id, fields)


async def review_or_page(con: Conn, keys: KeyRing, voicemail_id: uuid.UUID, user_id: int,
                         form: Mapping[str, str], show: store.Show) -> None:
    """review_by_hand; a refusal carries the list to show again (read after the rollback)."""
    async with page_on_refusal(lambda: listing(con, keys, user_id, show)):
        await review_by_hand(con, keys, voicemail_id, user_id, form)
