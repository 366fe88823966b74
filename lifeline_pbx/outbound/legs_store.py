"""SQL for outbound legs (outbound_legs, migrations/0031). outbound/legs.py owns the
transactions; the number arrives here sealed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from lifeline_pbx.db import Conn

# One lock for every process placing legs: the count the limits read and the leg that
# counts next are one step (two operators at once cannot both take the last leg).
LOCK = 0x0B0031


@dataclass(frozen=True)
class NewLeg:
    id: uuid.UUID
    call_id: uuid.UUID | None
    purpose: str
    requested_by: int | None
    target_operator: int | None
    number: bytes | None
    through_trunk: bool
    refusal: str | None
    follow_up_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Leg:
    id: uuid.UUID
    call_id: uuid.UUID | None
    purpose: str
    requested_by: int | None
    through_trunk: bool
    refusal: str | None
    created_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    outcome: str | None


async def lock(con: Conn) -> None:
    await con.execute("SELECT pg_advisory_xact_lock($1)", LOCK)


async def recent(con: Conn, operator_id: int | None) -> tuple[int, int]:
    """Legs placed through the trunk in the last hour: (by everyone, by this operator)."""
    row = await con.fetchrow(
        """SELECT count(*) AS every, count(*) FILTER (WHERE requested_by = $1) AS theirs
           FROM outbound_legs WHERE through_trunk AND refusal IS NULL
           AND created_at > now() - interval '1 hour'""", operator_id)
    assert row is not None
    return int(row["every"]), int(row["theirs"])


async def add(con: Conn, leg: NewLeg) -> None:
    await con.execute(
        """INSERT INTO outbound_legs (id, call_id, purpose, requested_by, target_operator,
               number, through_trunk, refusal, outcome, follow_up_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8::text IS NULL THEN NULL
                   ELSE 'refused' END, $9)""",
        leg.id, leg.call_id, leg.purpose, leg.requested_by, leg.target_operator, leg.number,
        leg.through_trunk, leg.refusal, leg.follow_up_id)


async def answered(con: Conn, leg_id: uuid.UUID) -> None:
    await con.execute("UPDATE outbound_legs SET answered_at = now() WHERE id = $1 "
                      "AND answered_at IS NULL", leg_id)


async def ended(con: Conn, leg_id: uuid.UUID, outcome: str) -> None:
    """The leg is over: its outcome, and its talk time when it was answered."""
    await con.execute(
        """UPDATE outbound_legs SET ended_at = now(), outcome = $2,
               duration_seconds = CASE WHEN answered_at IS NULL THEN 0
                   ELSE ceil(extract(epoch FROM now() - answered_at))::integer END
           WHERE id = $1 AND ended_at IS NULL""", leg_id, outcome)


async def of_call(con: Conn, call_id: uuid.UUID) -> list[Leg]:
    rows = await con.fetch(
        """SELECT id, call_id, purpose, requested_by, through_trunk, refusal, created_at,
               answered_at, ended_at, duration_seconds, outcome
           FROM outbound_legs WHERE call_id = $1 ORDER BY created_at""", call_id)
    return [Leg(**dict(r)) for r in rows]
