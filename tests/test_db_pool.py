"""The app's pool (lifeline_pbx/db.py): a released connection costs no reset round trip, and
one released with its transaction still open is rolled back, not handed on in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeAlias

import asyncpg
import pytest

from lifeline_pbx import db
from tests.waiting import wait_for

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record]"


@pytest.fixture
async def pool(app_dsn: str) -> AsyncIterator[Pool]:
    pool = await db.create_pool(app_dsn)
    yield pool
    await pool.close()


@pytest.fixture
async def watcher(app_dsn: str) -> AsyncIterator[Connection]:
    """A connection of its own, to read the pool's backends in pg_stat_activity."""
    con = await asyncpg.connect(app_dsn)
    yield con
    await con.close()


async def backend(watcher: Connection, pid: int) -> asyncpg.Record:
    row = await watcher.fetchrow(
        "SELECT state, query FROM pg_stat_activity WHERE pid = $1", pid)
    assert row is not None
    return row


async def test_a_released_connection_is_sent_no_reset_query(
    pool: Pool, watcher: Connection
) -> None:
    async with pool.acquire() as con:
        pid = con.get_server_pid()
        await con.fetchval("SELECT 'the last statement' AS marker")
    row = await backend(watcher, pid)
    assert (row["state"], row["query"]) == ("idle", "SELECT 'the last statement' AS marker")


async def test_a_transaction_left_open_is_rolled_back_at_release(
    pool: Pool, watcher: Connection
) -> None:
    async with pool.acquire() as con:
        pid = con.get_server_pid()
        await con.execute("BEGIN")
        await con.execute("CREATE TEMP TABLE left_open (x int)")
        assert (await backend(watcher, pid))["state"] == "idle in transaction"

    async def rolled_back() -> bool:
        return bool((await backend(watcher, pid))["state"] == "idle")

    await wait_for(rolled_back, timeout=5, what="the open transaction rolled back")
    for _ in range(10):  # whichever connection the pool hands out
        async with pool.acquire() as con:
            assert not con.is_in_transaction()
            assert await con.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
