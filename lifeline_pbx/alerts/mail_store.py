"""SQL for the alert emails waiting to be sent (alert_emails, migrations/0023). outbox.py
owns the transactions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class Queued:
    id: int
    spike_alert_id: int | None
    voicemail_id: uuid.UUID | None
    attempts: int  # made before this one
    created_at: datetime


async def next_due(con: Conn) -> Queued | None:
    """The email due first, locked for this transaction; one another process holds is
    skipped (each email is sent by one process)."""
    row = await con.fetchrow(
        """SELECT id, spike_alert_id, voicemail_id, attempts, created_at FROM alert_emails
           WHERE sent_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= now()
           ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED""")
    return None if row is None else Queued(**dict(row))


async def attempt(con: Conn, email_id: int, retry_in: float) -> None:
    """Count an attempt; if it does not end in sent, the next one is due in retry_in s."""
    await con.execute(
        """UPDATE alert_emails SET attempts = attempts + 1,
               next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1""",
        email_id, retry_in)


async def sent(con: Conn, email_id: int) -> None:
    await con.execute("UPDATE alert_emails SET sent_at = now() WHERE id = $1", email_id)


async def give_up(con: Conn, email_id: int) -> None:
    await con.execute("UPDATE alert_emails SET gave_up_at = now() WHERE id = $1", email_id)
