"""The database pool and the connection type that SQL functions take."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# SQL functions accept a plain connection or one borrowed from the pool.
Conn: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


# What a database that is down, restarting or refusing a statement raises: loops that run
# in the background catch these, log them and try again later.
DATABASE_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


async def create_pool(dsn: str) -> asyncpg.Pool[asyncpg.Record]:
    """Short timeouts: a call must not wait long on a database that is away."""
    return await asyncpg.create_pool(dsn, min_size=1, max_size=10, timeout=5, command_timeout=10)
