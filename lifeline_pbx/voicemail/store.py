"""SQL for voicemails after the call: the sealed audio (voicemail_audio), the review list and
the intake written from each message.

Functions take a connection and return dataclasses; the vault and review.py own the
transactions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from lifeline_pbx.console.messages import triage_word
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn
from lifeline_pbx.recordings.vault import Pending

Show = Literal["unreviewed", "reviewed", "all"]
LIST_LIMIT = 300


@dataclass(frozen=True)
class VoicemailIntake:
    """The intake of a voicemail: the earliest saved for its call. `count` above 1 is a
    duplicate saved before a voicemail could have only one; nothing removes it."""

    id: uuid.UUID
    user_id: int
    outcome: str
    saved_by: str
    saved_at: datetime
    count: int


@dataclass(frozen=True)
class Voicemail:
    id: uuid.UUID
    facility_id: int | None
    facility: str
    line: str
    language: str
    priority: int
    reason: str
    duration_seconds: int
    created_at: datetime
    reviewed_at: datetime | None
    audio_bytes: int | None  # None: not in the vault yet; 0: Asterisk did not have it
    reviewed_by: str = ""  # "" when not reviewed, or reviewed before it was recorded (0044)
    review_reason: str | None = None  # review_rules.REASONS; None with an intake
    intake: VoicemailIntake | None = None  # read by the review list only
    review_note: str | None = None  # opened, by the review list only (with "other")

    @property
    def emergency(self) -> bool:
        return self.priority > 0

    @property
    def triage_word(self) -> str:
        """As the console and the call history say it."""
        return triage_word(self.priority)


@dataclass(frozen=True)
class Origin:
    """Where a voicemail came from, for the intake written from it."""

    call_id: uuid.UUID
    facility_id: int | None
    language: str
    created_at: datetime


async def origin(con: Conn, voicemail_id: uuid.UUID) -> Origin | None:
    row = await con.fetchrow(
        "SELECT call_id, facility_id, language, created_at FROM voicemails WHERE id = $1",
        voicemail_id)
    return None if row is None else Origin(**dict(row))


async def pending(con: Conn, limit: int = 20) -> list[Pending]:
    rows = await con.fetch(
        """SELECT v.id, v.recording, v.created_at FROM voicemails v
           WHERE NOT EXISTS (SELECT 1 FROM voicemail_audio a WHERE a.voicemail_id = v.id)
           ORDER BY v.created_at LIMIT $1""",
        limit,
    )
    return [Pending(r["id"], r["recording"], r["created_at"]) for r in rows]


async def still_on_pbx(con: Conn, limit: int = 20) -> list[Pending]:
    """Sealed, but the DELETE on Asterisk has not been confirmed yet."""
    rows = await con.fetch(
        """SELECT v.id, v.recording, v.created_at FROM voicemail_audio a
           JOIN voicemails v ON v.id = a.voicemail_id
           WHERE a.removed_at IS NULL ORDER BY a.stored_at LIMIT $1""",
        limit,
    )
    return [Pending(r["id"], r["recording"], r["created_at"]) for r in rows]


async def store_audio(con: Conn, voicemail_id: uuid.UUID, sealed: bytes, size: int,
                      seconds: int = 0) -> None:
    """The sealed audio; and its length where Asterisk reported none (a hang-up ended it)."""
    async with con.transaction():
        await con.execute(
            """INSERT INTO voicemail_audio (voicemail_id, audio, bytes) VALUES ($1, $2, $3)
               ON CONFLICT (voicemail_id) DO NOTHING""",
            voicemail_id, sealed, size,
        )
        await con.execute(
            """UPDATE voicemails SET duration_seconds = $2
               WHERE id = $1 AND duration_seconds = 0 AND $2 > 0""",
            voicemail_id, seconds,
        )


async def mark_missing(con: Conn, voicemail_id: uuid.UUID) -> None:
    """Asterisk has no recording for it: a row with no audio, so it is not asked again."""
    await con.execute(
        """INSERT INTO voicemail_audio (voicemail_id, audio, bytes, removed_at)
           VALUES ($1, '', 0, now()) ON CONFLICT (voicemail_id) DO NOTHING""",
        voicemail_id,
    )


async def mark_removed(con: Conn, voicemail_id: uuid.UUID) -> None:
    await con.execute(
        "UPDATE voicemail_audio SET removed_at = now() WHERE voicemail_id = $1", voicemail_id
    )


async def sealed_audio(con: Conn, voicemail_id: uuid.UUID) -> bytes | None:
    value = await con.fetchval(
        "SELECT audio FROM voicemail_audio WHERE voicemail_id = $1 AND bytes > 0", voicemail_id
    )
    return bytes(value) if value is not None else None


async def exists(con: Conn, voicemail_id: uuid.UUID) -> bool:
    return bool(await con.fetchval("SELECT 1 FROM voicemails WHERE id = $1", voicemail_id))


async def lock(con: Conn, voicemail_id: uuid.UUID) -> bool:
    """Lock the voicemail's row until the transaction ends, so that intakes from it are
    saved one at a time; whether it exists."""
    return bool(await con.fetchval(
        "SELECT 1 FROM voicemails WHERE id = $1 FOR UPDATE", voicemail_id))


async def first_review(con: Conn, voicemail_id: uuid.UUID, user_id: int,
                       reason: str | None = None, sealed_note: bytes | None = None) -> bool:
    """Mark it reviewed now by that user (with why, when no intake was written) unless it
    already is; whether it was changed."""
    changed = await con.fetchval(
        """UPDATE voicemails SET reviewed_at = now(), reviewed_by = $2, review_reason = $3,
                  review_note = $4
            WHERE id = $1 AND reviewed_at IS NULL RETURNING id""",
        voicemail_id, user_id, reason, sealed_note)
    return changed is not None


async def review_state(con: Conn, voicemail_id: uuid.UUID) -> tuple[bool, bool] | None:
    """(reviewed already, an intake was written from it); None: no such voicemail."""
    row = await con.fetchrow(
        """SELECT v.reviewed_at IS NOT NULL AS reviewed,
                  EXISTS (SELECT FROM intakes i WHERE i.call_id = v.call_id) AS has_intake
             FROM voicemails v WHERE v.id = $1""", voicemail_id)
    return None if row is None else (row["reviewed"], row["has_intake"])


_COLUMNS = """
    v.id, v.facility_id, coalesce(f.name, '') AS facility,
    coalesce(l.name, '') AS line, v.language, v.priority, v.reason,
    v.duration_seconds, v.created_at, v.reviewed_at, a.bytes AS audio_bytes,
    coalesce(ru.display_name, '') AS reviewed_by, v.review_reason
"""
_FROM = """
    FROM voicemails v
    LEFT JOIN facilities f ON f.id = v.facility_id
    LEFT JOIN lines l ON l.id = v.line_id
    LEFT JOIN voicemail_audio a ON a.voicemail_id = v.id
    LEFT JOIN users ru ON ru.id = v.reviewed_by
"""
_VOICEMAILS = f"SELECT {_COLUMNS} {_FROM}"

# A voicemail's intake is one saved for its call; the earliest, when there are several.
_FIRST_INTAKE = """
    LEFT JOIN LATERAL (
        SELECT i.id, i.user_id, i.outcome, u.display_name AS saved_by,
               i.created_at AS saved_at, count(*) OVER () AS count
        FROM intakes i JOIN users u ON u.id = i.user_id
        WHERE i.call_id = v.call_id
        ORDER BY i.created_at, i.id LIMIT 1) fi ON true
"""
_INTAKE_COLUMNS = ("id", "user_id", "outcome", "saved_by", "saved_at", "count")


async def first_intake(con: Conn, voicemail_id: uuid.UUID) -> VoicemailIntake | None:
    row = await con.fetchrow(
        f"SELECT fi.* FROM voicemails v {_FIRST_INTAKE} WHERE v.id = $1 AND fi.id IS NOT NULL",
        voicemail_id)
    return None if row is None else VoicemailIntake(**dict(row))


def note_place(voicemail_id: uuid.UUID) -> str:
    return place("voicemails", "review_note", voicemail_id)


async def listing(con: Conn, keys: KeyRing, show: Show = "all",
                  limit: int = LIST_LIMIT) -> list[Voicemail]:
    """Unreviewed first, emergencies first within each, then the newest; each with its
    intake and its review's note opened."""
    where = {"unreviewed": "v.reviewed_at IS NULL", "reviewed": "v.reviewed_at IS NOT NULL",
             "all": "true"}[show]
    intake = ", ".join(f"fi.{c} AS intake_{c}" for c in _INTAKE_COLUMNS)
    rows = await con.fetch(
        f"""SELECT {_COLUMNS}, v.review_note, {intake} {_FROM} {_FIRST_INTAKE} WHERE {where}
            ORDER BY v.reviewed_at IS NOT NULL, v.priority DESC, v.created_at DESC
            LIMIT $1""",
        limit,
    )
    return [_with_intake(keys, r) for r in rows]


def _with_intake(keys: KeyRing, record: asyncpg.Record) -> Voicemail:
    row = dict(record)
    intake = {c: row.pop(f"intake_{c}") for c in _INTAKE_COLUMNS}
    sealed = row.pop("review_note")
    note = None if sealed is None else keys.open(sealed, note_place(row["id"]))
    return Voicemail(**row, intake=VoicemailIntake(**intake) if intake["id"] else None,
                     review_note=note)


async def one(con: Conn, voicemail_id: uuid.UUID) -> Voicemail | None:
    row = await con.fetchrow(f"{_VOICEMAILS} WHERE v.id = $1", voicemail_id)
    return None if row is None else Voicemail(**dict(row))


async def newest_unreviewed(con: Conn, limit: int) -> list[Voicemail]:
    rows = await con.fetch(
        f"{_VOICEMAILS} WHERE v.reviewed_at IS NULL ORDER BY v.created_at DESC LIMIT $1", limit)
    return [Voicemail(**dict(r)) for r in rows]
