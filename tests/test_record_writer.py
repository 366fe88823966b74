"""The record writer against a real PostgreSQL: the `calls` row is the one call_record
derives from the events put, the timeline keeps its order, a restarted writer continues a
stored row, and writes put while the database is away arrive once it is back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from devstack.postgres import Cluster
from lifeline_pbx import db, demo
from lifeline_pbx.calls import call_record, records
from lifeline_pbx.calls.call_record import CallFact, CallRow
from tests.pg_fixtures import as_app_role, connect
from tests.waiting import wait_for

T0 = datetime(2025, 3, 1, 3, 0, tzinfo=UTC)
COLUMNS = ", ".join(field.name for field in fields(CallRow))


async def demo_ids(dsn: str) -> tuple[int, int, int, int]:
    async with connect(dsn) as con:
        line = await con.fetchrow("SELECT id, facility_id FROM lines ORDER BY id LIMIT 1")
        queue = await con.fetchval("SELECT id FROM queues ORDER BY id LIMIT 1")
        operator = await con.fetchval("SELECT id FROM operators ORDER BY id LIMIT 1")
    assert line is not None
    return line["id"], line["facility_id"], queue, operator


def a_call(ids: tuple[int, int, int, int]) -> tuple[uuid.UUID, list[CallFact]]:
    line, facility, queue, operator = ids
    call = uuid.uuid4()

    def t(seconds: float) -> datetime:
        return T0 + timedelta(seconds=seconds)

    return call, [
        records.CallOpened(call, "1700000000.1", "PJSIP/carrier-1", "15550100101", line,
                           facility, "5550100", "Caller", t(0), fresh=True),
        records.CallAnswered(call, t(0.1)),
        records.CallEvent(call, t(0.1), "prompt", {"name": "greeting"}),
        records.CallQueued(call, t(9), queue, "es", 1),
        records.CallEvent(call, t(9), "queued", {"priority": "1"}),
        records.CallConnected(call, t(20), operator),
        records.CallRecorded(call, f"call-{call}"),
        records.CallEvent(call, t(95), "caller_hangup", {"cause": "16"}),
        records.CallClosed(call, t(95), "answered", "caller", 16),
    ]


async def stored(dsn: str, call: uuid.UUID) -> tuple[CallRow | None, list[str]]:
    async with connect(dsn) as con:
        row = await con.fetchrow(f"SELECT {COLUMNS} FROM calls WHERE id = $1", call)
        kinds = await con.fetch(
            "SELECT kind FROM call_events WHERE call_id = $1 ORDER BY id", call)
    return (CallRow(**dict(row)) if row else None), [k["kind"] for k in kinds]


@pytest.fixture
async def pool(app_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await db.create_pool(app_dsn)
    yield pool
    await pool.close()


async def written(writer: records.RecordWriter, events: Sequence[records.Write]) -> None:
    task = asyncio.create_task(writer.run())
    try:
        for event in events:
            writer.put(event)
        async with asyncio.timeout(20):
            await writer.drained()
    finally:
        task.cancel()


async def test_the_row_is_what_call_record_derives(app_dsn: str, pool: asyncpg.Pool) -> None:
    call, events = a_call(await demo_ids(app_dsn))
    await written(records.RecordWriter(pool), events)
    row, kinds = await stored(app_dsn, call)
    assert row == call_record.build(events)
    assert row is not None and row.ended_at is not None and row.operator_id is not None
    assert kinds == ["prompt", "queued", "caller_hangup"]


async def test_a_new_call_is_written_without_reading_its_row(
    app_dsn: str, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call opened in the batch has no stored row: none is asked for (a round trip a
    batch under load). One taken back after a restart (not fresh) is read."""
    asked: list[uuid.UUID] = []
    real_load = records._load

    async def counted(con: db.Conn, call_ids: list[uuid.UUID], *rest: Any) -> None:
        asked.extend(call_ids)
        await real_load(con, call_ids, *rest)

    monkeypatch.setattr(records, "_load", counted)
    call, events = a_call(await demo_ids(app_dsn))
    await written(records.RecordWriter(pool), events)
    assert asked == []
    assert (await stored(app_dsn, call))[0] == call_record.build(events)
    opened = events[0]
    assert isinstance(opened, records.CallOpened)
    await written(records.RecordWriter(pool), [replace(opened, fresh=False)])
    assert asked == [call]


async def test_one_event_a_batch_gives_the_same_row(app_dsn: str, pool: asyncpg.Pool) -> None:
    call, events = a_call(await demo_ids(app_dsn))
    writer = records.RecordWriter(pool, batch=1)
    await written(writer, events)
    assert (await stored(app_dsn, call))[0] == call_record.build(events)


async def test_a_refused_write_costs_only_itself(app_dsn: str, pool: asyncpg.Pool) -> None:
    """The batch fails on a queue event of a queue that does not exist; written one by one,
    the call's row still gets every event of the failed batch."""
    call, events = a_call(await demo_ids(app_dsn))
    refused = records.QueueEvent(T0, "entered", 999_999, call)
    writer = records.RecordWriter(pool)
    await written(writer, [*events[:4], refused])  # the call still open after this batch
    await written(writer, events[4:])
    row, kinds = await stored(app_dsn, call)
    assert row == call_record.build(events)
    assert kinds == ["prompt", "queued", "caller_hangup"]
    async with connect(app_dsn) as con:
        assert await con.fetchval("SELECT count(*) FROM queue_events") == 0


async def test_a_restarted_writer_continues_the_stored_row(
    app_dsn: str, pool: asyncpg.Pool
) -> None:
    call, events = a_call(await demo_ids(app_dsn))
    await written(records.RecordWriter(pool), events[:5])  # up to the queue
    # A new process takes the call back: it opens and answers it again, then it ends.
    later = T0 + timedelta(seconds=30)
    opened = events[0]
    assert isinstance(opened, records.CallOpened)
    again = [replace(opened, at=later, fresh=False), records.CallAnswered(call, later),
             *events[5:]]
    await written(records.RecordWriter(pool), again)
    row, kinds = await stored(app_dsn, call)
    assert row == call_record.build(events)
    assert row is not None and row.answered_at == T0 + timedelta(seconds=0.1)
    assert kinds == ["prompt", "queued", "caller_hangup"]


async def test_the_row_takes_the_first_voicemail_reason_and_the_first_wait(
    app_dsn: str, pool: asyncpg.Pool
) -> None:
    """What migration 0024's triggers copied into the row, the writer writes with it."""
    ids = await demo_ids(app_dsn)
    call, events = a_call(ids)
    queue = ids[2]
    waits = [records.QueueEvent(T0, "entered", queue, call),
             records.QueueEvent(T0, "abandoned", queue, call, None, 11.5),
             records.QueueEvent(T0, "connected", queue, call, ids[3], 20.0)]
    notes = [records.CallEvent(call, T0, "voicemail", {"reason": "max_wait"}),
             records.CallEvent(call, T0, "voicemail", {"reason": "error"})]
    await written(records.RecordWriter(pool), [*events[:4], *waits, *notes, *events[4:]])
    async with connect(app_dsn) as con:
        row = await con.fetchrow(
            "SELECT voicemail_reason, wait_seconds FROM calls WHERE id = $1", call)
        logged = await con.fetchval(
            "SELECT count(*) FROM queue_events WHERE call_id = $1", call)
    assert row is not None and (row["voicemail_reason"], row["wait_seconds"]) == (
        "max_wait", 11.5)
    assert logged == 3


async def test_a_burst_of_writes_is_one_transaction(
    app_dsn: str, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes put over many turns of the loop, while the writer lingers, go in one batch."""
    batches: list[int] = []
    real_write = records.write

    async def counted(con: db.Conn, writes: list[records.Write], *rest: Any) -> None:
        batches.append(len(writes))
        await real_write(con, writes, *rest)

    monkeypatch.setattr(records, "write", counted)
    call, events = a_call(await demo_ids(app_dsn))
    writer = records.RecordWriter(pool, linger=30)
    task = asyncio.create_task(writer.run())
    try:
        for event in events:
            writer.put(event)
            await asyncio.sleep(0)  # one turn of the loop: the writer sees each alone
        async with asyncio.timeout(10):  # far less than the linger: drained hurries it
            await writer.drained()
    finally:
        task.cancel()
    assert batches == [len(events)]
    assert (await stored(app_dsn, call))[0] == call_record.build(events)


async def test_a_reader_of_the_call_does_not_wait_out_the_linger(
    app_dsn: str, pool: asyncpg.Pool
) -> None:
    """The intake's "was this your call" reads the row just after the hang-up: asking the
    writer for the call's writes commits them now, not after the linger."""
    call, events = a_call(await demo_ids(app_dsn))
    other, later = a_call(await demo_ids(app_dsn))
    writer = records.RecordWriter(pool, linger=30)
    task = asyncio.create_task(writer.run())
    try:
        for event in events:
            writer.put(event)
        assert await writer.written(call, timeout=10)
        row, _ = await stored(app_dsn, call)
        assert row is not None and row.operator_id is not None and row.ended_at is not None
        assert await writer.written(call, timeout=0)  # nothing left to wait for
        assert writer.queued == 0
        for event in later:
            writer.put(event)
        await asyncio.sleep(0)
        assert writer.queued == len(later)  # gathered, not yet committed: lingering
        assert await writer.written(other, timeout=10)
    finally:
        task.cancel()


async def test_writes_held_through_an_outage_arrive_in_order(
    own_cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    await demo.install(own_cluster.dsn())
    dsn = await as_app_role(own_cluster.dsn())
    call, events = a_call(await demo_ids(dsn))
    pool = await db.create_pool(dsn)
    writer = records.RecordWriter(pool, batch=3)
    task = asyncio.create_task(writer.run())
    try:
        own_cluster.halt()
        for event in events:
            writer.put(event)
        await wait_for(lambda: "database unavailable" in caplog.text, timeout=30,
                       what="the writer finding the database away")
        # A reader waiting on the call gives up at its deadline and reads what is there.
        assert not await writer.written(call, timeout=0.2)
        own_cluster.resume()
        async with asyncio.timeout(60):
            await writer.drained()
    finally:
        task.cancel()
        await pool.close()
    row, kinds = await stored(dsn, call)
    assert row == call_record.build(events)
    assert kinds == ["prompt", "queued", "caller_hangup"]
