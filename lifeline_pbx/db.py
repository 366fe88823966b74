"""The database pool and the connection type that SQL functions take."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeAlias, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

T = TypeVar("T")

# SQL functions accept a plain connection or one borrowed from the pool.
Conn: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


# What a database that is down, restarting or refusing a statement raises: loops that run
# in the background catch these, log them and try again later.
DATABASE_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
# Of those, the ones that say the database is away (down, shutting down, starting, out of
# reach) rather than that it refused a statement: a writer keeps what it holds and tries
# again later. Refused statements are not retried as they are.
DATABASE_AWAY = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                 asyncpg.exceptions.OperatorInterventionError)


class Conditions:
    """A WHERE clause made of the filters that were given: each condition names its one
    argument `$?`, numbered as it is added, so the planner sees plain conditions."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[object] = []

    def add(self, sql: str, value: object) -> None:
        self.args.append(value)
        self.clauses.append(sql.replace("$?", f"${len(self.args)}"))

    def where(self) -> tuple[str, list[object]]:
        return " AND ".join(self.clauses) or "true", self.args


async def create_pool(dsn: str) -> asyncpg.Pool[asyncpg.Record]:
    """Short timeouts: a call must not wait long on a database that is away."""
    return await asyncpg.create_pool(dsn, min_size=1, max_size=10, timeout=5, command_timeout=10,
                                     reset=_session_kept)


async def _session_kept(con: asyncpg.Connection[asyncpg.Record]) -> None:
    """A connection back in the pool is not sent asyncpg's reset query (advisory unlock,
    CLOSE ALL, UNLISTEN, RESET ALL): a round trip on every release, five a call. The pool
    still rolls back a transaction left open. Nothing else outlives a transaction here:
    the app's advisory locks and settings are the transaction's own (`_xact_lock`, `SET
    LOCAL`), its cursors live in transactions, and LISTEN has a connection of its own."""


def run_on_pool(dsn: str, work: Callable[[asyncpg.Pool[asyncpg.Record]], Awaitable[T]]) -> T:
    """Run a command's work (units of work take a pool) on a small pool of its own."""
    async def main() -> T:
        async with asyncpg.create_pool(dsn, min_size=1, max_size=2) as pool:
            return await work(pool)

    return asyncio.run(main())


async def reachable(pool: asyncpg.Pool[asyncpg.Record]) -> bool:
    """Whether the database answers a trivial query now."""
    try:
        async with pool.acquire() as con:
            await con.fetchval("SELECT 1")
    except Exception:  # any failure means the database is not usable
        return False
    return True
