"""Voicemail's shelf in the vault (recordings/vault.py): the audio goes into
voicemail_audio, keyed by the voicemail's id (migrations/0005). A message is recorded as
`voicemail-<call id>-<random>`, a name of its own each time, which says whose call a file
left on the PBX with no voicemail row belongs to."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from lifeline_pbx import call_names
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn
from lifeline_pbx.recordings.vault import Pending
from lifeline_pbx.voicemail import store

_PREFIX = "voicemail-"


def audio_place(voicemail_id: uuid.UUID) -> str:
    return place("voicemail_audio", "audio", voicemail_id)


def recording_name(call_id: uuid.UUID) -> str:
    """A new name for a message of this call (one of its own each time it is recorded)."""
    return call_names.new_name(_PREFIX, call_id)


def call_of_recording(name: str) -> uuid.UUID | None:
    """The call a message was recorded on; None for any other recording."""
    return call_names.call_in(_PREFIX, name)


class VoicemailShelf:
    kind = "voicemail"

    def place(self, row_id: uuid.UUID) -> str:
        return audio_place(row_id)

    async def pending(self, con: Conn) -> list[Pending]:
        return await store.pending(con)

    async def still_on_pbx(self, con: Conn) -> list[Pending]:
        return await store.still_on_pbx(con)

    async def store(self, con: Conn, row_id: uuid.UUID, sealed: bytes, size: int,
                    seconds: int) -> None:
        await store.store_audio(con, row_id, sealed, size, seconds)

    async def missing(self, con: Conn, row_id: uuid.UUID) -> None:
        await store.mark_missing(con, row_id)

    async def removed(self, con: Conn, row_id: uuid.UUID) -> None:
        await store.mark_removed(con, row_id)

    async def adopt(self, con: Conn, names: Sequence[str]) -> int:
        """A message of an ended call with no voicemail naming it: the caller's message was
        being left when the app went away, and the row that is written as it ends never
        was. It becomes a voicemail with what the call's record says (line, facility,
        language, triage, why it went to voicemail), to be reviewed like any other."""
        calls = {name: call_id for name in names if (call_id := call_of_recording(name))}
        if not calls:
            return 0
        made = await con.fetch(
            """INSERT INTO voicemails (id, call_id, line_id, facility_id, language, priority,
                                       reason, recording, duration_seconds, created_at)
               SELECT gen_random_uuid(), c.id, c.line_id, c.facility_id,
                      coalesce(c.language, ''), c.priority,
                      coalesce(c.voicemail_reason, 'error'), f.name, 0, c.ended_at
                 FROM unnest($1::text[], $2::uuid[]) AS f(name, call_id)
                 JOIN calls c ON c.id = f.call_id
                WHERE c.ended_at IS NOT NULL
                  AND NOT EXISTS (SELECT FROM voicemails v WHERE v.recording = f.name)
               RETURNING id""",
            list(calls), list(calls.values()))
        return len(made)


async def open_audio(con: Conn, keys: KeyRing, voicemail_id: uuid.UUID) -> bytes | None:
    """The WAV in clear, or None when the vault has none for it."""
    sealed = await store.sealed_audio(con, voicemail_id)
    return keys.open_bytes(sealed, audio_place(voicemail_id)) if sealed is not None else None
