"""Voicemail's shelf in the vault (recordings/vault.py): the audio goes into
voicemail_audio, keyed by the voicemail's id (migrations/0005)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn
from lifeline_pbx.recordings.vault import Pending
from lifeline_pbx.voicemail import store


def audio_place(voicemail_id: uuid.UUID) -> str:
    return place("voicemail_audio", "audio", voicemail_id)


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
        """None: a message's row (its line, language, triage, length) is written when it
        ends, and a file with none may be a message still being left."""
        return 0


async def open_audio(con: Conn, keys: KeyRing, voicemail_id: uuid.UUID) -> bytes | None:
    """The WAV in clear, or None when the vault has none for it."""
    sealed = await store.sealed_audio(con, voicemail_id)
    return keys.open_bytes(sealed, audio_place(voicemail_id)) if sealed is not None else None
