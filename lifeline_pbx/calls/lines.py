"""Which facility and line a dialled number (DID) is, with a copy kept for database outages."""

from __future__ import annotations

import logging

import asyncpg

from lifeline_pbx.calls.flow import Line

log = logging.getLogger(__name__)

_LINES_SQL = """
    SELECT l.id, l.did, l.facility_id, f.name AS facility_name, l.default_language
    FROM lines l JOIN facilities f ON f.id = l.facility_id
    WHERE l.enabled
"""


def _line(row: asyncpg.Record) -> Line:
    return Line(
        id=row["id"],
        did=row["did"],
        facility_id=row["facility_id"],
        facility_name=row["facility_name"],
        default_language=row["default_language"],
    )


class LineDirectory:
    """Looks DIDs up in PostgreSQL; when it cannot, answers from the last good copy."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._known: dict[str, Line] = {}

    async def refresh(self) -> None:
        async with self._pool.acquire() as con:
            rows = await con.fetch(_LINES_SQL)
        self._known = {row["did"]: _line(row) for row in rows}

    async def find(self, did: str) -> Line | None:
        try:
            async with self._pool.acquire() as con:
                row = await con.fetchrow(_LINES_SQL + " AND l.did = $1", did)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            log.warning("line lookup from copy: database error %s", exc.__class__.__name__)
            return self._known.get(did)
        if row is None:
            self._known.pop(did, None)
            return None
        line = _line(row)
        self._known[did] = line
        return line
