"""Operators' states written behind the distributor (queues/state_saves.py, pure, and
queues/operator_state.Store), and line lookups that do not wait on an absent database.

The pure part by tables; then the real thing: PostgreSQL stopped (nothing is lost, all is
written once it is back) and PostgreSQL hung (its processes stopped with SIGSTOP: the
fault a network that drops packets gives, where every connection waits for its timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest

from devstack.postgres import Cluster
from lifeline_pbx import demo
from lifeline_pbx.calls.lines import LOOKUP_SECONDS, LineDirectory
from lifeline_pbx.db import create_pool
from lifeline_pbx.queues import state_saves
from lifeline_pbx.queues.operator_state import LINGER, Store
from lifeline_pbx.queues.routing import Operator
from lifeline_pbx.queues.state_saves import Pending
from tests.engine import staff
from tests.pg_fixtures import as_app_role
from tests.waiting import wait_for

READY = Operator(id="ana", languages=frozenset({"en"}), queues=frozenset({"1"}),
                 logged_in=True, paused=False, registered=True, on_call=False, ringing=False,
                 wrapup_until=0.0, idle_since=100.0, missed_in_row=0)
PAUSED = replace(READY, paused=True)
TALKED = replace(READY, idle_since=200.0, wrapup_until=230.0)
MISSED = replace(READY, missed_in_row=1)


def p(operator_id: int, state: Operator = READY, reason: str | None = None) -> Pending:
    return Pending(operator_id, state, reason)


@pytest.mark.parametrize(("what", "before", "new", "after"), [
    ("the first state of an operator waits", [], p(1), [p(1)]),
    ("a newer state replaces the older", [p(1, PAUSED, "break")], p(1, READY, ""),
     [p(1, READY, "")]),
    ("a reason not written yet stays when the newer leaves it as is",
     [p(1, PAUSED, "missed calls")], p(1, MISSED, None), [p(1, MISSED, "missed calls")]),
    ("a newer reason wins", [p(1, PAUSED, "break")], p(1, PAUSED, "training"),
     [p(1, PAUSED, "training")]),
    ("others are left as they are, and an operator keeps their place in line",
     [p(2), p(1, PAUSED, "break"), p(3)], p(2, TALKED), [p(2, TALKED), p(1, PAUSED, "break"),
                                                          p(3)]),
])
def test_what_is_kept_to_write(what: str, before: list[Pending], new: Pending,
                               after: list[Pending]) -> None:
    pending = {x.operator_id: x for x in before}
    assert list(state_saves.added(pending, new).values()) == after, what


@pytest.mark.parametrize(("what", "waiting", "limit", "batch"), [
    ("nothing waits, nothing to write", [], 10, []),
    ("all of them, in id order", [p(3), p(1), p(2)], 10, [p(1), p(2), p(3)]),
    ("the longest waiting first, then in id order", [p(5), p(4), p(1), p(2)], 2,
     [p(4), p(5)]),
])
def test_what_to_write_next(what: str, waiting: list[Pending], limit: int,
                            batch: list[Pending]) -> None:
    pending = {x.operator_id: x for x in waiting}
    assert state_saves.next_batch(pending, limit) == batch, what


@pytest.mark.parametrize(("what", "now", "batch", "left"), [
    ("the batch written, nothing left", [p(1), p(2)], [p(1), p(2)], []),
    ("states not in the batch still wait", [p(1), p(2), p(3)], [p(1)], [p(2), p(3)]),
    ("a state that changed while its batch was written still waits",
     [p(1, TALKED), p(2)], [p(1), p(2)], [p(1, TALKED)]),
])
def test_what_is_left_after_a_batch(what: str, now: list[Pending], batch: list[Pending],
                                    left: list[Pending]) -> None:
    pending = {x.operator_id: x for x in now}
    assert list(state_saves.written(pending, batch).values()) == left, what


@pytest.mark.parametrize(("what", "loaded", "pending", "result"), [
    ("nothing waits: as stored", READY, None, READY),
    ("a state not written yet is laid over the stored one", READY, p(1, TALKED), TALKED),
    ("only the state: languages and queues are the database's",
     replace(READY, languages=frozenset({"es"})), p(1, PAUSED),
     replace(PAUSED, languages=frozenset({"es"}))),
])
def test_an_operator_read_again_keeps_the_state_not_written(
        what: str, loaded: Operator, pending: Pending | None, result: Operator) -> None:
    assert state_saves.with_pending(loaded, pending) == result, what


# --- against PostgreSQL ------------------------------------------------------------------
@pytest.fixture
async def app_dsn(own_cluster: Cluster) -> str:
    await demo.install(own_cluster.dsn())
    dsn = await as_app_role(own_cluster.dsn())
    await staff(dsn)  # op-a, op-b, op-c
    return dsn


async def fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    con = await asyncpg.connect(dsn)
    try:
        return list(await con.fetch(sql))
    finally:
        await con.close()


async def stored(dsn: str) -> dict[int, tuple[object, ...]]:
    rows = await fetch(dsn, """
        SELECT operator_id, logged_in, paused, pause_reason, missed_in_row,
            extract(epoch FROM idle_since)::float8 AS idle_since FROM operator_status""")
    return {r["operator_id"]: tuple(r)[1:] for r in rows}


@contextlib.asynccontextmanager
async def saving(dsn: str, linger: float = LINGER,
                 ) -> AsyncIterator[tuple[Store, LineDirectory, asyncio.Task[None]]]:
    """The app's pool, its operators' store writing in the background, its line directory."""
    pool = await create_pool(dsn)
    store = Store(pool, linger=linger)
    writer = asyncio.create_task(store.run())
    try:
        yield store, LineDirectory(pool), writer
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        await pool.close()


@contextlib.contextmanager
def hung(cluster: Cluster) -> Iterator[None]:
    """Every process of the server stopped (SIGSTOP), and continued after. Each backend
    is a process group of its own (PostgreSQL's children call setsid), so the postmaster's
    group alone would leave open connections answering: its children are stopped too."""
    assert cluster.process is not None
    pids = [cluster.process.pid, *children(cluster.process.pid)]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                found.append(int(stat.parent.name))
    return found


async def test_states_kept_while_the_database_is_stopped_are_written_once_it_is_back(
    own_cluster: Cluster, app_dsn: str,
) -> None:
    first, second = (r["id"] for r in await fetch(
        app_dsn, "SELECT id FROM operators ORDER BY id LIMIT 2"))
    async with saving(app_dsn) as (store, _, writer):
        await asyncio.to_thread(own_cluster.halt)
        store.save(first, PAUSED, "missed calls")
        store.save(second, READY, "")
        store.save(first, MISSED)  # a later state, the reason left as it is
        await wait_for(lambda: store.unsaved == 2, what="both kept")
        await asyncio.to_thread(own_cluster.resume)
        await asyncio.wait_for(store.drained(), 30)
        assert not writer.done()
        rows = await stored(app_dsn)
        assert rows[first] == (True, False, "missed calls", 1, 100.0)
        assert rows[second] == (True, False, "", 0, 100.0)


async def test_whoever_waits_for_the_states_does_not_wait_out_the_linger(
    own_cluster: Cluster, app_dsn: str,
) -> None:
    """A burst's states wait a moment for the rest of the burst; a reader that needs them
    written (a test's snapshot, the app stopping) ends that moment."""
    (operator,) = await fetch(app_dsn, "SELECT id FROM operators ORDER BY id LIMIT 1")
    async with saving(app_dsn, linger=30) as (store, _, _):
        store.save(operator["id"], PAUSED, "break")
        await asyncio.wait_for(store.drained(), 10)  # far less than the linger
        assert (await stored(app_dsn))[operator["id"]][:3] == (True, True, "break")
        store.save(operator["id"], READY, "")  # the next burst lingers again
        with pytest.raises(AssertionError, match="timed out"):
            await wait_for(lambda: store.unsaved == 0, timeout=0.5, what="written")


async def test_a_hung_database_costs_a_call_one_short_line_lookup_and_operators_nothing(
    own_cluster: Cluster, app_dsn: str,
) -> None:
    (line,) = await fetch(app_dsn, "SELECT did FROM lines WHERE enabled ORDER BY id LIMIT 1")
    (operator,) = await fetch(app_dsn, "SELECT id FROM operators ORDER BY id LIMIT 1")
    async with saving(app_dsn) as (store, lines, _):
        await lines.refresh()
        known = await lines.find(line["did"])
        assert known is not None
        with hung(own_cluster):
            started = time.monotonic()
            store.save(operator["id"], PAUSED, "break")  # returns at once, always
            looked_up = await lines.find(line["did"])
            first = time.monotonic() - started
            tried = lines.failures
            later = [await lines.find(line["did"]) for _ in range(20)]
            assert store.unsaved == 1
        assert looked_up == known and later == [known] * 20
        # The lookup gave up at its own timeout, not the pool's 5 s (a bound, not a speed).
        assert first < LOOKUP_SECONDS + 3, first
        assert (tried, lines.failures) == (1, 1)  # the copy answered: no database tried
        await asyncio.wait_for(store.drained(), 30)
        assert (await stored(app_dsn))[operator["id"]][:3] == (True, True, "break")
