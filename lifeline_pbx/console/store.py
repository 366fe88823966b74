"""What the console's screen pop and state read from PostgreSQL that the distributor's
picture lacks: a line's name, an adopted call's times, a stored pause reason."""

from __future__ import annotations

import uuid

from lifeline_pbx.db import Conn


async def line_name(con: Conn, line_id: int) -> str:
    return str(await con.fetchval("SELECT name FROM lines WHERE id = $1", line_id) or "")


async def call_times(con: Conn, call_id: uuid.UUID) -> tuple[float, float, float] | None:
    """When the call was connected (epoch seconds), how long it waited and when the PBX
    answered it (0 if not recorded); None if unknown."""
    row = await con.fetchrow(
        """SELECT extract(epoch FROM connected_at)::float8 AS connected,
               extract(epoch FROM connected_at - queued_at)::float8 AS waited,
               extract(epoch FROM answered_at)::float8 AS answered
           FROM calls WHERE id = $1""", call_id)
    if row is None or row["connected"] is None:
        return None
    return row["connected"], row["waited"] or 0.0, row["answered"] or 0.0


async def pause_reason(con: Conn, username: str) -> str:
    reason = await con.fetchval(
        """SELECT s.pause_reason FROM operator_status s
           JOIN operators o ON o.id = s.operator_id WHERE o.sip_username = $1""",
        username)
    return str(reason or "")
