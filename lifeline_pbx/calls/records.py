"""The call record in PostgreSQL, written through a queue that survives a database outage.

Call handling never waits for the database: each write is queued and a single writer
applies queued writes in order, in batches, retrying with a growing wait while the
database is away. Nothing is dropped unless the queue overflows (then it is logged).
The `calls` row is not written piece by piece: call_record.py derives it from the call's
events (and the queue log's), and each batch writes the rows it changed once.

A batch waits LINGER after its first write for the rest of the burst (each transaction
costs the app and PostgreSQL more than its few writes): whoever must read a call's record
at once asks `written(call_id)`, which ends the wait and returns once that call's writes
so far are committed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import operator
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, get_args, get_type_hints

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.calls import call_record

# The call's events are defined with the rules that build its row (call_record.py); the
# engine names them records.CallOpened and so on.
from lifeline_pbx.calls.call_record import CallAnswered as CallAnswered
from lifeline_pbx.calls.call_record import CallClosed as CallClosed
from lifeline_pbx.calls.call_record import CallConnected as CallConnected
from lifeline_pbx.calls.call_record import CallEvent as CallEvent
from lifeline_pbx.calls.call_record import CallFact, CallRow, RowEvent
from lifeline_pbx.calls.call_record import CallOpened as CallOpened
from lifeline_pbx.calls.call_record import CallQueued as CallQueued
from lifeline_pbx.calls.call_record import CallRecorded as CallRecorded
from lifeline_pbx.calls.call_record import QueueEvent as QueueEvent
from lifeline_pbx.db import DATABASE_AWAY, Conn
from lifeline_pbx.linger import Linger

log = logging.getLogger(__name__)
RETRY_CAP = 10.0  # seconds: a call record should reach the database soon after it is back
# A call's writes come a few at a time (answer, prompts, queue, offer, connect); at 20
# calls/s, committing each as it came cost 6.6 transactions per call (issue 11).
LINGER = 0.05
WRITTEN_WAIT = 2.0  # seconds a reader waits for a call's writes before it reads anyway


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


Write = CallFact | VoicemailSaved | QueueEvent

_PG_TYPES: dict[object, str] = {uuid.UUID: "uuid", str: "text", int: "int8", float: "float8",
                                datetime: "timestamptz"}
_COLUMNS = [item.name for item in dataclasses.fields(CallRow)]
_ROWS = f"SELECT {', '.join(_COLUMNS)} FROM calls WHERE id = ANY($1::uuid[])"


def _unnest(params: list[str]) -> str:
    return f"unnest({', '.join(params)})"


def _array_params(kind: type, first: int, json_fields: frozenset[str] = frozenset()) -> list[str]:
    """`$n::type[]` for each field of a dataclass: its rows go in as one array a column."""
    hints = get_type_hints(kind)
    params = []
    for n, item in enumerate(dataclasses.fields(kind), start=first):
        if item.name in json_fields:
            pg = "jsonb"
        else:
            python = next(t for t in get_args(hints[item.name]) or (hints[item.name],)
                          if t is not type(None))
            pg = _PG_TYPES[python]
        params.append(f"${n}::{pg}[]")
    return params


def _statement() -> str:
    """A whole batch as one statement: the changed calls rows, then the timelines (and
    from them the recordings the vault is to fetch, recordings/vault.py), voicemails and
    queue events, each table's rows as arrays. One statement is one round
    trip and its own transaction (a transaction of one statement per table was five round
    trips, and a statement a row cost PostgreSQL more than the rows); the foreign keys to
    calls are checked at its end, after the rows are in. A message already saved under its
    recording's name is not saved again (a caller taken back after a restart, between the
    save and the hang-up, is saved anew by the new process). Rows go in in list order
    (`ORDINALITY`): a call's timeline is read in the order of its ids."""
    calls = _array_params(CallRow, 1)
    timeline = _array_params(CallEvent, len(calls) + 1, frozenset({"detail"}))
    voicemail = _array_params(VoicemailSaved, len(calls) + len(timeline) + 1)
    queue = _array_params(QueueEvent, len(calls) + len(timeline) + len(voicemail) + 1)
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in _COLUMNS[1:])
    return f"""
        WITH call_rows AS (
            INSERT INTO calls ({', '.join(_COLUMNS)}) SELECT * FROM {_unnest(calls)}
            ON CONFLICT (id) DO UPDATE SET {updates}
        ), timeline AS (
            INSERT INTO call_events (call_id, at, kind, detail)
            SELECT call_id, at, kind, detail
              FROM {_unnest(timeline)} WITH ORDINALITY AS t(call_id, at, kind, detail, n)
             ORDER BY n
        ), recordings AS (
            INSERT INTO call_recordings (name, call_id, started_at)
            SELECT detail->>'name', call_id, at
              FROM {_unnest(timeline)} AS r(call_id, at, kind, detail)
             WHERE kind = 'recorded' ON CONFLICT (name) DO NOTHING
        ), voicemail AS (
            INSERT INTO voicemails (id, call_id, created_at, line_id, facility_id, language,
                                    priority, reason, recording, duration_seconds)
            SELECT * FROM {_unnest(voicemail)}
                       AS v(id, call_id, created_at, line_id, facility_id, language,
                            priority, reason, recording, duration_seconds)
             WHERE NOT EXISTS (SELECT FROM voicemails o WHERE o.recording = v.recording)
                ON CONFLICT (id) DO NOTHING
        )
        INSERT INTO queue_events (at, kind, queue_id, call_id, operator_id, wait_seconds,
                                  detail)
        SELECT at, kind, queue_id, call_id, operator_id, wait_seconds, detail
          FROM {_unnest(queue)} WITH ORDINALITY
               AS q(at, kind, queue_id, call_id, operator_id, wait_seconds, detail, n)
         ORDER BY n"""


_BATCH = _statement()


class RecordWriter:
    def __init__(self, pool: asyncpg.Pool, max_queued: int = 100_000, batch: int = 200,
                 linger: float = LINGER) -> None:
        self._pool = pool
        self._queue: asyncio.Queue[Write] = asyncio.Queue(max_queued)
        self._batch = batch
        self._linger = Linger(linger)
        self._idle = asyncio.Event()
        self._idle.set()
        self._open: dict[uuid.UUID, CallRow] = {}  # open calls' rows, as last derived
        self._pending: list[Write] = []  # the batch being written
        # Writes are numbered as they are queued; they are written in that order, so
        # `_done` (how many are written or dropped) tells whether a given one is.
        self._put = 0
        self._done = 0
        self._last: dict[uuid.UUID, int] = {}  # call -> number of its last write not done
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    def put(self, write: Write) -> None:
        try:
            self._queue.put_nowait(write)
        except asyncio.QueueFull:
            log.error("call record queue full; write dropped kind=%s", type(write).__name__)
            return
        self._idle.clear()
        self._put += 1
        if write.call_id is not None:
            self._last[write.call_id] = self._put

    @property
    def queued(self) -> int:
        """Writes not yet in the database: queued, or in the batch being written."""
        return self._queue.qsize() + len(self._pending)

    async def drained(self) -> None:
        """Wait until every queued write reached the database (without lingering)."""
        await self._linger.until(self._idle)

    async def written(self, call_id: uuid.UUID, timeout: float = WRITTEN_WAIT) -> bool:
        """Wait until this call's writes queued so far are committed; False if that took
        longer than `timeout` (the database away, say): then the reader reads what is there."""
        number = self._last.get(call_id)
        if number is None or number <= self._done:
            return True
        waiter = asyncio.get_running_loop().create_future()
        entry = (number, waiter)
        self._waiters.append(entry)
        self._linger.hurry()
        try:
            async with asyncio.timeout(timeout):
                await waiter
            return True
        except TimeoutError:
            return False
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    async def run(self) -> None:
        failures = 0
        pending = self._pending
        while True:
            if not pending:
                if self._queue.empty():
                    self._idle.set()
                pending.append(await self._queue.get())
                await self._gather()
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

    async def _gather(self) -> None:
        """Let the rest of a burst join the batch: at most `linger`, and not at all when
        someone waits for a write or the batch is full already."""
        await self._linger.wait(skip=bool(self._waiters)
                                or self._queue.qsize() >= self._batch - 1)

    def _finished(self, pending: list[Write], count: int) -> None:
        """The first `count` writes of the batch are committed (or dropped as refused): they
        leave it, and whoever waited on them is woken."""
        self._done += count
        for item in pending[:count]:
            if item.call_id is not None and self._last.get(item.call_id, 0) <= self._done:
                self._last.pop(item.call_id, None)
        del pending[:count]
        for number, waiter in self._waiters:
            if number <= self._done and not waiter.done():
                waiter.set_result(None)

    async def _apply(self, pending: list[Write]) -> None:
        """The batch in one transaction; refused, one by one (each leaves `pending` once
        written or dropped). The database going away in either raises: the rest is kept."""
        try:
            async with self._pool.acquire() as con:
                await write(con, pending, self._open)
        except asyncpg.PostgresError as exc:
            if isinstance(exc, DATABASE_AWAY):
                raise
            log.exception("call record write refused; writing one by one")
            while pending:
                await self._apply_one(pending[0])
                self._finished(pending, 1)
        else:
            self._finished(pending, len(pending))

    async def _apply_one(self, item: Write) -> None:
        try:
            async with self._pool.acquire() as con:
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
    facts: dict[uuid.UUID, list[RowEvent]] = {}
    for item in writes:
        if not isinstance(item, VoicemailSaved) and (call_id := call_record.row_of(item)):
            facts.setdefault(call_id, []).append(item)
    await _load(con, [call_id for call_id, events in facts.items()
                      if call_id not in open_rows and not _fresh(events[0])], open_rows)
    rows: list[CallRow] = []
    for call_id, events in facts.items():
        row = call_record.build(events, open_rows.pop(call_id, None))
        if row is None:
            log.error("call events without an opened call; row not written call=%s", call_id)
            continue
        rows.append(row)
        if row.ended_at is None:
            open_rows[call_id] = row
    # The rows are kept before the statement commits. If it does not, the retry (or the
    # write-one-by-one) derives the same rows again, since the same events twice change
    # nothing, and writes them again: every row a batch touches is written.
    timeline = [(w.call_id, w.at, w.kind, json.dumps(w.detail))
                for w in writes if isinstance(w, CallEvent)]
    voicemails = [_values(w) for w in writes if isinstance(w, VoicemailSaved)]
    queue = [_values(w) for w in writes if isinstance(w, QueueEvent)]
    await con.execute(_BATCH, *_columns([_values(row) for row in rows], CallRow),
                      *_columns(timeline, CallEvent), *_columns(voicemails, VoicemailSaved),
                      *_columns(queue, QueueEvent))


def _columns(rows: Sequence[tuple[object, ...]], kind: type) -> list[list[object]]:
    """The rows of `kind` as one list a field (an empty one each when there are none)."""
    if not rows:
        return [[] for _ in dataclasses.fields(kind)]
    return [list(column) for column in zip(*rows, strict=True)]


_GETTERS: dict[type, Callable[[Any], tuple[object, ...]]] = {}


def _values(item: Any) -> tuple[object, ...]:
    """A dataclass's fields in order, as they are (dataclasses.astuple copies each value
    deeply: about 1 ms of CPU per call under load)."""
    kind = type(item)
    getter = _GETTERS.get(kind)
    if getter is None:
        getter = _GETTERS[kind] = operator.attrgetter(*(f.name for f in dataclasses.fields(kind)))
    return getter(item)


def _fresh(first: RowEvent) -> bool:
    """A new call opened in this batch: its row is built from nothing, not read first."""
    return isinstance(first, CallOpened) and first.fresh


async def _load(con: Conn, call_ids: list[uuid.UUID],
                open_rows: dict[uuid.UUID, CallRow]) -> None:
    """Rows this writer has not derived (written before a restart, or closed)."""
    if call_ids:
        for record in await con.fetch(_ROWS, call_ids):
            open_rows[record["id"]] = CallRow(**dict(record))
