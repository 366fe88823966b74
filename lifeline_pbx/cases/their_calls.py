"""SQL: a call as the user asking about it sees it, with whether it was put through to
their phone (the one query binding.py and call_lookup.py both decide on)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class Call:
    facility_id: int | None
    language: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    theirs: bool  # the call's operator is the user's SIP account
    on_call: bool  # an emergency someone on the line's on-call list took


async def get(con: Conn, call_id: uuid.UUID, user_id: int) -> Call | None:
    row = await con.fetchrow(
        """SELECT c.facility_id, coalesce(c.language, '') AS language, c.started_at,
                  c.ended_at,
                  EXISTS (SELECT 1 FROM users u
                          WHERE u.id = $2 AND u.operator_id = c.operator_id) AS theirs,
                  EXISTS (SELECT 1 FROM call_events e
                          WHERE e.call_id = c.id AND e.kind = 'oncall_connected') AS on_call
           FROM calls c WHERE c.id = $1""",
        call_id, user_id)
    return None if row is None else Call(**dict(row))
