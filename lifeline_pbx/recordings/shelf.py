"""Recorded calls in the database (migrations/0039): the vault's shelf for them, and what
the call's page and listening read. A row is made by the call-record writer with the
call's `recorded` event; the vault fills in the sealed audio and the times."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn
from lifeline_pbx.queues.bridges import call_of_bridge
from lifeline_pbx.recordings.vault import Pending

BATCH = 20  # a pass's rows: each is a file of megabytes fetched and sealed


def audio_place(recording_id: uuid.UUID) -> str:
    return place("call_recordings", "audio", recording_id)


class CallRecordingShelf:
    kind = "call recording"

    def place(self, row_id: uuid.UUID) -> str:
        return audio_place(row_id)

    async def pending(self, con: Conn) -> list[Pending]:
        return await _pending(con, "stored_at IS NULL")

    async def still_on_pbx(self, con: Conn) -> list[Pending]:
        return await _pending(con, "stored_at IS NOT NULL")

    async def store(self, con: Conn, row_id: uuid.UUID, sealed: bytes, size: int,
                    seconds: int) -> None:
        await con.execute(
            """UPDATE call_recordings SET audio = $2, bytes = $3, seconds = $4,
                      stored_at = now()
               WHERE id = $1 AND stored_at IS NULL""", row_id, sealed, size, seconds)

    async def missing(self, con: Conn, row_id: uuid.UUID) -> None:
        await con.execute(
            """UPDATE call_recordings SET bytes = 0, stored_at = now(), removed_at = now()
               WHERE id = $1 AND stored_at IS NULL""", row_id)

    async def removed(self, con: Conn, row_id: uuid.UUID) -> None:
        await con.execute(
            "UPDATE call_recordings SET removed_at = now() WHERE id = $1 AND removed_at IS NULL",
            row_id)

    async def adopt(self, con: Conn, names: Sequence[str]) -> int:
        """A call bridge's recording (named after the bridge) of a call on record, with no
        row; its start unknown, it is dated by the call's connection."""
        calls = {name: call_id for name in names if (call_id := call_of_bridge(name))}
        if not calls:
            return 0
        made = await con.fetch(
            """INSERT INTO call_recordings (name, call_id, started_at)
               SELECT f.name, c.id, coalesce(c.connected_at, c.started_at)
                 FROM unnest($1::text[], $2::uuid[]) AS f(name, call_id)
                 JOIN calls c ON c.id = f.call_id
                WHERE NOT EXISTS (SELECT FROM call_recordings r WHERE r.name = f.name)
                   ON CONFLICT (name) DO NOTHING RETURNING id""",
            list(calls), list(calls.values()))
        return len(made)


async def _pending(con: Conn, which: str) -> list[Pending]:
    """Ended calls' recordings first: a call still talking is still being recorded (the
    vault skips it), and a batch of those must not hold finished ones back."""
    rows = await con.fetch(
        f"""SELECT r.id, r.name, r.started_at FROM call_recordings r
              JOIN calls c ON c.id = r.call_id
            WHERE r.removed_at IS NULL AND r.{which}
            ORDER BY c.ended_at IS NULL, r.started_at LIMIT {BATCH}""")
    return [Pending(r["id"], r["name"], r["started_at"]) for r in rows]


@dataclass(frozen=True)
class Recording:
    """What a call's page says of one of its recordings (no audio)."""

    id: uuid.UUID
    started_at: datetime
    seconds: int | None
    state: str  # "on the PBX", "sealed", "missing" or "expired"

    @property
    def playable(self) -> bool:
        return self.state == "sealed"


def state(stored: bool, size: int | None, expired: bool) -> str:
    if expired:
        return "expired"
    if not stored:
        return "on the PBX"
    return "sealed" if size else "missing"


async def of_call(con: Conn, call_id: uuid.UUID) -> list[Recording]:
    rows = await con.fetch(
        """SELECT id, started_at, seconds, stored_at IS NOT NULL AS stored, bytes,
                  expired_at IS NOT NULL AS expired
           FROM call_recordings WHERE call_id = $1 ORDER BY started_at, name""", call_id)
    return [Recording(r["id"], r["started_at"], r["seconds"],
                      state(r["stored"], r["bytes"], r["expired"])) for r in rows]


async def open_audio(con: Conn, keys: KeyRing, call_id: uuid.UUID,
                     recording_id: uuid.UUID) -> bytes | None:
    """The WAV in clear, or None when this call has no sealed audio under that id."""
    sealed = await con.fetchval(
        "SELECT audio FROM call_recordings WHERE id = $1 AND call_id = $2 AND audio IS NOT NULL",
        recording_id, call_id)
    return keys.open_bytes(bytes(sealed), audio_place(recording_id)) if sealed else None
