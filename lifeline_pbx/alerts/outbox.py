"""The background task that sends the queued alert emails.

A save never waits for an email: the alert or voicemail and its queued email are written
together, and this task sends it later. Each email is claimed with its attempt counted
before the SMTP exchange starts (so a crash mid-way retries it, and two processes never
send it at once), sent from a worker thread, then marked sent. A failure is logged with
its kind only and retried after a wait that doubles up to RETRY_CAP; an email that could
not go for MAX_AGE is given up (an alert that old is news no more), and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.alerts import mail, mail_store, store
from lifeline_pbx.alerts.mail import MailSettings, Text
from lifeline_pbx.alerts.mail_store import Queued
from lifeline_pbx.db import DATABASE_ERRORS, Conn
from lifeline_pbx.voicemail import store as voicemails

log = logging.getLogger(__name__)
EVERY = 60.0  # seconds between looks when nobody wakes the task
RETRY_FIRST = 30.0
RETRY_CAP = 3600.0
MAX_AGE = timedelta(hours=24)


def retry_in(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` attempts that failed."""
    return backoff.delay(attempts, first=RETRY_FIRST, cap=RETRY_CAP)


def stale(queued: Queued, now: datetime) -> bool:
    return now - queued.created_at > MAX_AGE


class Outbox:
    def __init__(self, pool: asyncpg.Pool, settings: MailSettings, *,
                 every: float = EVERY) -> None:
        self.pool = pool
        self.settings = settings
        self.every = every
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        while True:
            self._wake.clear()
            try:
                await self.send_due()
                failures = 0
            except DATABASE_ERRORS as exc:
                failures += 1
                log.warning("alert emails: database unavailable error=%s", type(exc).__name__)
            wait = max(self.every if not failures else 0.0, backoff.delay(failures, cap=60.0))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def send_due(self) -> int:
        """Send every email that is due; how many went."""
        went = 0
        while (claimed := await self._claim()) is not None:
            queued, text = claimed
            if text is not None and await self._send(queued, text):
                went += 1
        return went

    async def _claim(self) -> tuple[Queued, Text | None] | None:
        """The next due email with its text (None: given up), its attempt counted."""
        async with self.pool.acquire() as con, con.transaction():
            queued = await mail_store.next_due(con)
            if queued is None:
                return None
            if stale(queued, datetime.now(UTC)):
                await mail_store.give_up(con, queued.id)
                log.warning("alert email given up email_id=%d attempts=%d (too old)",
                            queued.id, queued.attempts)
                return queued, None
            text = await self._text(con, queued)
            if text is None:
                await mail_store.give_up(con, queued.id)
                return queued, None
            await mail_store.attempt(con, queued.id, retry_in(queued.attempts + 1))
        return queued, text

    async def _text(self, con: Conn, queued: Queued) -> Text | None:
        url = self.settings.public_url
        if queued.spike_alert_id is not None:
            alert = await store.alert(con, queued.spike_alert_id)
            return None if alert is None else mail.spike_text(alert, url)
        if queued.voicemail_id is not None:
            vm = await voicemails.one(con, queued.voicemail_id)
            return None if vm is None else mail.voicemail_text(vm, url)
        return None

    async def _send(self, queued: Queued, text: Text) -> bool:
        msg = mail.message(self.settings, text, datetime.now(UTC))
        try:
            await asyncio.to_thread(mail.send, self.settings, msg)
        except mail.SEND_ERRORS as exc:
            log.warning("alert email not sent email_id=%d attempt=%d error=%s retry_in=%.0fs",
                        queued.id, queued.attempts + 1, mail.error_name(exc),
                        retry_in(queued.attempts + 1))
            return False
        async with self.pool.acquire() as con:
            await mail_store.sent(con, queued.id)
        log.info("alert email sent email_id=%d kind=%s", queued.id,
                 "spike" if queued.spike_alert_id is not None else "voicemail")
        return True
