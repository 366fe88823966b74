"""A test's own statements on its database, over connections kept for the test.

A probe polled every 50 ms (tests/waiting.py) that opened a connection each time started a
PostgreSQL backend each time, about 15 ms of CPU between the server and the client: tens
of thousands of them a run, a fifth of the suite's CPU.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg


@dataclass
class Statements:
    """Connections to dsn, opened when first needed (at most a few at once), closed by
    close(); one that the server dropped (a restart) is replaced, not used."""

    dsn: str
    _pool: asyncpg.Pool | None = field(default=None, repr=False)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=4)
        try:
            async with self._pool.acquire() as con:
                return list(await con.fetch(query, *args))
        except asyncpg.ConnectionDoesNotExistError:
            async with self._pool.acquire() as con:  # the pool opens a new one
                return list(await con.fetch(query, *args))

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None

    @contextlib.asynccontextmanager
    async def opened(self) -> AsyncIterator[Statements]:
        """These statements for a block, closed after it."""
        try:
            yield self
        finally:
            await self.close()
