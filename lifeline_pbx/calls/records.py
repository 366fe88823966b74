"""The call record in PostgreSQL, written through a queue that survives a database outage.

Call handling never waits for the database: each write is queued and a single writer
applies queued writes in order, in batches, retrying with a growing wait while the
database is away. Nothing is dropped unless the queue overflows (then it is logged).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from lifeline_pbx.db import Conn

log = logging.getLogger(__name__)


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


Write = CallOpened | CallAnswered | CallEvent | CallClosed


async def apply(con: Conn, write: Write) -> None:
    if isinstance(write, CallOpened):
        await con.execute(
            """INSERT INTO calls (id, channel_id, channel_name, did, line_id, facility_id,
                                  caller_number, caller_name, started_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING""",
            write.call_id, write.channel_id, write.channel_name, write.did, write.line_id,
            write.facility_id, write.caller_number, write.caller_name, write.at,
        )
    elif isinstance(write, CallAnswered):
        await con.execute(
            "UPDATE calls SET answered_at = coalesce(answered_at, $2) WHERE id = $1",
            write.call_id, write.at,
        )
    elif isinstance(write, CallEvent):
        await con.execute(
            "INSERT INTO call_events (call_id, at, kind, detail) VALUES ($1, $2, $3, $4::jsonb)",
            write.call_id, write.at, write.kind, json.dumps(write.detail),
        )
    else:
        await con.execute(
            """UPDATE calls SET ended_at = $2, disposition = $3, hangup_by = $4, hangup_cause = $5
               WHERE id = $1 AND ended_at IS NULL""",
            write.call_id, write.at, write.disposition, write.hangup_by, write.cause,
        )


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
        wait = 0.0
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
                wait = min(10.0, max(0.2, wait * 2))
                log.warning("database unavailable (%s); %d writes held, retry in %.1fs",
                            exc.__class__.__name__, len(pending) + self._queue.qsize(), wait)
                await asyncio.sleep(wait)
                continue
            except asyncpg.PostgresError:
                log.exception("call record write refused; writing one by one")
                await self._apply_singly(pending)
            wait = 0.0
            pending = []

    async def _apply_singly(self, writes: list[Write]) -> None:
        for write in writes:
            try:
                async with self._pool.acquire() as con:
                    await apply(con, write)
            except asyncpg.PostgresError as exc:
                log.error("call record write dropped kind=%s error=%s",
                          type(write).__name__, exc.__class__.__name__)
