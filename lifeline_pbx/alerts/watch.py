"""What sets the alerts going: PostgreSQL's notifications on 'lifeline_alerts'
(migrations/0023), and a clock.

A report made or moved evaluates the rules at its facility; a rule changed, a (re)LISTEN
(notifications sent while nobody listened are lost) and every EVALUATE_EVERY seconds
evaluate them everywhere. A fired alert and a new voicemail go to the supervisors' feed;
a queued email wakes the outbox. Notes that arrive together are handled together, so a
burst of reports at one facility is one evaluation. A failure is logged and the next
note, or the clock, tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.alerts import feed, store
from lifeline_pbx.alerts.evaluate import evaluate
from lifeline_pbx.alerts.feed import SupervisorFeed
from lifeline_pbx.alerts.outbox import Outbox
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.pg_listen import Listener
from lifeline_pbx.voicemail import store as voicemails

log = logging.getLogger(__name__)
CHANNEL = "lifeline_alerts"
EVALUATE_EVERY = 600.0
KINDS = ("reports", "rules", "spike", "voicemail", "email")


@dataclass(frozen=True)
class Note:
    kind: str
    ref: str = ""


def parse(payload: str) -> Note | None:
    kind, _, ref = payload.partition(":")
    return Note(kind, ref) if kind in KINDS else None


@dataclass(frozen=True)
class Work:
    """What a batch of notes asks for."""

    evaluate_all: bool
    facilities: frozenset[int]
    alerts: tuple[int, ...]
    voicemails: tuple[uuid.UUID, ...]
    email: bool


def plan(notes: list[Note]) -> Work:
    facilities = {int(n.ref) for n in notes if n.kind == "reports" and n.ref.isdigit()}
    alerts = tuple(int(n.ref) for n in notes if n.kind == "spike" and n.ref.isdigit())
    found = []
    for n in notes:
        if n.kind == "voicemail":
            with contextlib.suppress(ValueError):
                found.append(uuid.UUID(n.ref))
    return Work(any(n.kind == "rules" for n in notes), frozenset(facilities), alerts,
                tuple(found), any(n.kind == "email" for n in notes))


class AlertWatch:
    def __init__(self, pool: asyncpg.Pool, listener: Listener, live: SupervisorFeed,
                 outbox: Outbox | None, *, every: float = EVALUATE_EVERY) -> None:
        self.pool = pool
        self.feed = live
        self.outbox = outbox
        self.every = every
        self._notes: asyncio.Queue[Note] = asyncio.Queue()
        listener.on(CHANNEL, self._notified, on_listen=self._listening)

    def _notified(self, payload: str) -> None:
        note = parse(payload)
        if note is not None:
            self._notes.put_nowait(note)

    def _listening(self) -> None:
        self._notes.put_nowait(Note("rules"))
        self._notes.put_nowait(Note("email"))

    async def run(self) -> None:
        due = time.monotonic() + self.every
        while True:
            notes: list[Note] = []
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, due - time.monotonic())):
                    notes.append(await self._notes.get())
            while not self._notes.empty():
                notes.append(self._notes.get_nowait())
            if time.monotonic() >= due:
                notes.append(Note("rules"))
                due = time.monotonic() + self.every
            try:
                await self.handle(plan(notes))
            except DATABASE_ERRORS as exc:
                log.warning("alerts: database unavailable error=%s", type(exc).__name__)
            except Exception:  # the watch must outlive any one failure
                log.exception("alerts: handling failed")

    async def handle(self, work: Work) -> None:
        if work.email and self.outbox is not None:
            self.outbox.wake()
        if work.alerts or work.voicemails:
            await self._publish(work)
        if work.evaluate_all:
            await evaluate(self.pool)
        else:
            for facility_id in sorted(work.facilities):
                await evaluate(self.pool, facility_id)

    async def _publish(self, work: Work) -> None:
        async with self.pool.acquire() as con:
            for alert_id in work.alerts:
                alert = await store.alert(con, alert_id)
                if alert is not None:
                    self.feed.publish(feed.alert_message(alert))
            for voicemail_id in work.voicemails:
                vm = await voicemails.one(con, voicemail_id)
                if vm is not None:
                    self.feed.publish(feed.voicemail_message(vm))
