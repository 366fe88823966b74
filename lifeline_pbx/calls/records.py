"""The call record in PostgreSQL, written through a queue that survives a database outage.

Call handling never waits for the database: each write is queued and a single writer
applies queued writes in order, in batches, retrying with a growing wait while the
database is away. Nothing is dropped unless the queue overflows (then it is logged).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.db import Conn

log = logging.getLogger(__name__)
RETRY_CAP = 10.0  # seconds: a call record should reach the database soon after it is back


@dataclass(frozen=True)
class CallOpened:
    call_id: uuid.UUID
    channel_id: str
    channel_name: str
    did: str
    line_id: int | None
    facility_id: int | None
    caller_number: str
    caller_name: str
    at: datetime


@dataclass(frozen=True)
class CallAnswered:
    call_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class CallEvent:
    call_id: uuid.UUID
    at: datetime
    kind: str
    detail: dict[str, str]


@dataclass(frozen=True)
class CallClosed:
    call_id: uuid.UUID
    at: datetime
    disposition: str
    hangup_by: str
    cause: int


@dataclass(frozen=True)
class CallQueued:
    call_id: uuid.UUID
    at: datetime
    queue_id: int
    language: str
    priority: int


@dataclass(frozen=True)
class CallConnected:
    call_id: uuid.UUID
    at: datetime
    operator_id: int | None


@dataclass(frozen=True)
class CallRecorded:
    call_id: uuid.UUID
    recording: str


@dataclass(frozen=True)
class VoicemailSaved:
    voicemail_id: uuid.UUID
    call_id: uuid.UUID
    at: datetime
    line_id: int | None
    facility_id: int | None
    language: str
    priority: int
    reason: str
    recording: str
    seconds: int


@dataclass(frozen=True)
class QueueEvent:
    at: datetime
    kind: str
    queue_id: int | None
    call_id: uuid.UUID | None = None
    operator_id: int | None = None
    wait_seconds: float | None = None
    detail: str = ""


Write = (
    CallOpened | CallAnswered | CallEvent | CallClosed | CallQueued | CallConnected
    | CallRecorded | VoicemailSaved | QueueEvent
)


_SQL: dict[type, str] = {
    CallOpened: """INSERT INTO calls (id, channel_id, channel_name, did, line_id, facility_id,
                                      caller_number, caller_name, started_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING""",
    CallAnswered: "UPDATE calls SET answered_at = coalesce(answered_at, $2) WHERE id = $1",
    CallClosed: """UPDATE calls SET ended_at = $2, disposition = $3, hangup_by = $4,
                          hangup_cause = $5 WHERE id = $1 AND ended_at IS NULL""",
    CallQueued: """UPDATE calls SET queued_at = coalesce(queued_at, $2), queue_id = $3,
                          language = $4, priority = $5 WHERE id = $1""",
    CallConnected: "UPDATE calls SET connected_at = $2, operator_id = $3 WHERE id = $1",
    CallRecorded: "UPDATE calls SET recording = $2 WHERE id = $1",
    VoicemailSaved: """INSERT INTO voicemails (id, call_id, created_at, line_id, facility_id,
                           language, priority, reason, recording, duration_seconds)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                       ON CONFLICT (id) DO NOTHING""",
    QueueEvent: """INSERT INTO queue_events (at, kind, queue_id, call_id, operator_id,
                       wait_seconds, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)""",
}


async def apply(con: Conn, write: Write) -> None:
    """One write; each dataclass's fields are its statement's parameters, in order."""
    if isinstance(write, CallEvent):
        await con.execute(
            "INSERT INTO call_events (call_id, at, kind, detail) VALUES ($1, $2, $3, $4::jsonb)",
            write.call_id, write.at, write.kind, json.dumps(write.detail),
        )
    else:
        await con.execute(_SQL[type(write)], *dataclasses.astuple(write))


class RecordWriter:
    def __init__(self, pool: asyncpg.Pool, max_queued: int = 100_000, batch: int = 200) -> None:
        self._pool = pool
        self._queue: asyncio.Queue[Write] = asyncio.Queue(max_queued)
        self._batch = batch
        self._idle = asyncio.Event()
        self._idle.set()

    def put(self, write: Write) -> None:
        try:
            self._queue.put_nowait(write)
            self._idle.clear()
        except asyncio.QueueFull:
            log.error("call record queue full; write dropped kind=%s", type(write).__name__)

    async def drained(self) -> None:
        """Wait until every queued write reached the database."""
        await self._idle.wait()

    async def run(self) -> None:
        failures = 0
        pending: list[Write] = []
        while True:
            if not pending:
                if self._queue.empty():
                    self._idle.set()
                pending.append(await self._queue.get())
            while len(pending) < self._batch and not self._queue.empty():
                pending.append(self._queue.get_nowait())
            try:
                async with self._pool.acquire() as con, con.transaction():
                    for write in pending:
                        await apply(con, write)
            except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                    asyncpg.CannotConnectNowError, TimeoutError) as exc:
                failures += 1
                wait = backoff.delay(failures, cap=RETRY_CAP)
                log.warning("database unavailable (%s); %d writes held, retry in %.1fs",
                            exc.__class__.__name__, len(pending) + self._queue.qsize(), wait)
                await asyncio.sleep(wait)
                continue
            except asyncpg.PostgresError:
                log.exception("call record write refused; writing one by one")
                await self._apply_singly(pending)
            failures = 0
            pending = []

    async def _apply_singly(self, writes: list[Write]) -> None:
        for write in writes:
            try:
                async with self._pool.acquire() as con:
                    await apply(con, write)
            except asyncpg.PostgresError as exc:
                log.error("call record write dropped kind=%s error=%s",
                          type(write).__name__, exc.__class__.__name__)
