"""The call record in PostgreSQL, written through a queue that survives a database outage.

Call handling never waits for the database: each write is queued and a single writer
applies queued writes in order, in batches, retrying with a growing wait while the
database is away. Nothing is dropped unless the queue overflows (then it is logged).
The `calls` row is not written piece by piece: call_record.py derives it from the call's
events, and each batch writes the rows it changed once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import operator
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.calls import call_record

# The call's events are defined with the rules that build its row (call_record.py); the
# engine names them records.CallOpened and so on.
from lifeline_pbx.calls.call_record import CallAnswered as CallAnswered
from lifeline_pbx.calls.call_record import CallClosed as CallClosed
from lifeline_pbx.calls.call_record import CallConnected as CallConnected
from lifeline_pbx.calls.call_record import CallEvent as CallEvent
from lifeline_pbx.calls.call_record import CallFact, CallRow
from lifeline_pbx.calls.call_record import CallOpened as CallOpened
from lifeline_pbx.calls.call_record import CallQueued as CallQueued
from lifeline_pbx.calls.call_record import CallRecorded as CallRecorded
from lifeline_pbx.db import DATABASE_AWAY, Conn

log = logging.getLogger(__name__)
RETRY_CAP = 10.0  # seconds: a call record should reach the database soon after it is back


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


Write = CallFact | VoicemailSaved | QueueEvent

_COLUMNS = [field.name for field in dataclasses.fields(CallRow)]
_ROW_UPSERT = (
    f"INSERT INTO calls ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(f'${n}' for n in range(1, len(_COLUMNS) + 1))}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{column} = EXCLUDED.{column}" for column in _COLUMNS[1:])
)
_ROWS = f"SELECT {', '.join(_COLUMNS)} FROM calls WHERE id = ANY($1::uuid[])"
_TIMELINE = """INSERT INTO call_events (call_id, at, kind, detail)
               VALUES ($1, $2, $3, $4::jsonb)"""
_VOICEMAIL = """INSERT INTO voicemails (id, call_id, created_at, line_id, facility_id,
                    language, priority, reason, recording, duration_seconds)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING"""
_QUEUE_EVENT = """INSERT INTO queue_events (at, kind, queue_id, call_id, operator_id,
                      wait_seconds, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)"""


class RecordWriter:
    def __init__(self, pool: asyncpg.Pool, max_queued: int = 100_000, batch: int = 200) -> None:
        self._pool = pool
        self._queue: asyncio.Queue[Write] = asyncio.Queue(max_queued)
        self._batch = batch
        self._idle = asyncio.Event()
        self._idle.set()
        self._open: dict[uuid.UUID, CallRow] = {}  # open calls' rows, as last derived
        self._pending: list[Write] = []  # the batch being written

    def put(self, write: Write) -> None:
        try:
            self._queue.put_nowait(write)
            self._idle.clear()
        except asyncio.QueueFull:
            log.error("call record queue full; write dropped kind=%s", type(write).__name__)

    @property
    def queued(self) -> int:
        """Writes not yet in the database: queued, or in the batch being written."""
        return self._queue.qsize() + len(self._pending)

    async def drained(self) -> None:
        """Wait until every queued write reached the database."""
        await self._idle.wait()

    async def run(self) -> None:
        failures = 0
        pending = self._pending
        while True:
            if not pending:
                if self._queue.empty():
                    self._idle.set()
                pending.append(await self._queue.get())
            while len(pending) < self._batch and not self._queue.empty():
                pending.append(self._queue.get_nowait())
            try:
                await self._apply(pending)
            except DATABASE_AWAY as exc:
                failures += 1
                wait = backoff.delay(failures, cap=RETRY_CAP)
                log.warning("database unavailable (%s); %d writes held, retry in %.1fs",
                            exc.__class__.__name__, len(pending) + self._queue.qsize(), wait)
                await asyncio.sleep(wait)
                continue
            failures = 0
            pending.clear()

    async def _apply(self, pending: list[Write]) -> None:
        """The batch in one transaction; refused, one by one (each leaves `pending` once
        written or dropped). The database going away in either raises: the rest is kept."""
        try:
            async with self._pool.acquire() as con, con.transaction():
                await write(con, pending, self._open)
        except asyncpg.PostgresError as exc:
            if isinstance(exc, DATABASE_AWAY):
                raise
            log.exception("call record write refused; writing one by one")
            while pending:
                await self._apply_one(pending[0])
                del pending[0]

    async def _apply_one(self, item: Write) -> None:
        try:
            async with self._pool.acquire() as con, con.transaction():
                await write(con, [item], self._open)
        except asyncpg.PostgresError as exc:
            if isinstance(exc, DATABASE_AWAY):
                raise
            log.error("call record write dropped kind=%s error=%s",
                      type(item).__name__, exc.__class__.__name__)


async def write(con: Conn, writes: list[Write], open_rows: dict[uuid.UUID, CallRow]) -> None:
    """A batch in order: each changed call row once, then the timelines, voicemails and
    queue events (they refer to the rows). open_rows: the open calls' rows as last derived
    (kept between batches by the writer); rows not there are read from the table."""
    facts: dict[uuid.UUID, list[CallFact]] = {}
    for item in writes:
        if isinstance(item, CallFact) and call_record.changes_row(item):
            facts.setdefault(item.call_id, []).append(item)
    await _load(con, [call_id for call_id in facts if call_id not in open_rows], open_rows)
    rows: list[CallRow] = []
    for call_id, events in facts.items():
        row = call_record.build(events, open_rows.pop(call_id, None))
        if row is None:
            log.error("call events without an opened call; row not written call=%s", call_id)
            continue
        rows.append(row)
        if row.ended_at is None:
            open_rows[call_id] = row
    # The rows are kept before the transaction commits. If it does not, the retry (or
    # the write-one-by-one) derives the same rows again, since the same events twice
    # change nothing, and writes them again: every row a batch touches is written.
    if rows:
        await con.executemany(_ROW_UPSERT, [_values(row) for row in rows])
    await _insert(con, _TIMELINE, [
        (w.call_id, w.at, w.kind, json.dumps(w.detail))
        for w in writes if isinstance(w, CallEvent)])
    await _insert(con, _VOICEMAIL, [
        _values(w) for w in writes if isinstance(w, VoicemailSaved)])
    await _insert(con, _QUEUE_EVENT, [
        _values(w) for w in writes if isinstance(w, QueueEvent)])


_GETTERS: dict[type, Callable[[Any], tuple[object, ...]]] = {}


def _values(item: Any) -> tuple[object, ...]:
    """A dataclass's fields in order, as they are (dataclasses.astuple copies each value
    deeply: about 1 ms of CPU per call under load)."""
    kind = type(item)
    getter = _GETTERS.get(kind)
    if getter is None:
        getter = _GETTERS[kind] = operator.attrgetter(*(f.name for f in dataclasses.fields(kind)))
    return getter(item)


async def _load(con: Conn, call_ids: list[uuid.UUID],
                open_rows: dict[uuid.UUID, CallRow]) -> None:
    """Rows this writer has not derived (written before a restart, or closed)."""
    if call_ids:
        for record in await con.fetch(_ROWS, call_ids):
            open_rows[record["id"]] = CallRow(**dict(record))


async def _insert(con: Conn, sql: str, rows: list[tuple[object, ...]]) -> None:
    if rows:
        await con.executemany(sql, rows)
