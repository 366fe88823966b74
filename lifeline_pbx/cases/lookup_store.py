"""SQL for the A-numbers looked up during a call (call_lookups, as keyed hashes)."""

from __future__ import annotations

import uuid

from lifeline_pbx.db import Conn


async def lock(con: Conn, call_id: uuid.UUID, user_id: int) -> None:
    """Lookups for one call by one user take turns, until the transaction ends."""
    await con.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 2))",
                      f"lookup:{call_id}:{user_id}")


async def seen(con: Conn, call_id: uuid.UUID, user_id: int) -> list[tuple[bytes, bool]]:
    """The A-numbers looked up for the call, and the person its saved intake is about (a
    person found is compared by their record's key, which key rotation keeps current)."""
    rows = await con.fetch(
        """SELECT coalesce(p.a_number_key, l.a_number_key) AS a_number_key,
                  l.person_id IS NOT NULL AS found
           FROM call_lookups l LEFT JOIN persons p ON p.id = l.person_id
           WHERE l.call_id = $1 AND l.user_id = $2
           UNION ALL
           SELECT p.a_number_key, true FROM intakes i JOIN persons p ON p.id = i.person_id
           WHERE i.call_id = $1 AND i.user_id = $2""",
        call_id, user_id)
    return [(bytes(r["a_number_key"]), r["found"]) for r in rows]


async def remember(con: Conn, call_id: uuid.UUID, user_id: int, key: bytes,
                   person_id: uuid.UUID | None) -> None:
    await con.execute(
        """INSERT INTO call_lookups (call_id, user_id, a_number_key, person_id)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (call_id, user_id, a_number_key)
           DO UPDATE SET person_id = EXCLUDED.person_id, looked_up_at = now()""",
        call_id, user_id, key, person_id)
