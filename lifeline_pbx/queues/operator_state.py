"""Operators' queue state and the queues' policies, in PostgreSQL.

What an operator is doing (logged in, paused and why, wrap-up, missed offers) is kept in
the database rather than in one process, so a restart (or a second node) keeps it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.queues import routing

log = logging.getLogger(__name__)

_OPERATORS_SQL = """
    SELECT o.id, o.sip_username, o.languages, o.accept_by_key,
        coalesce(array_agg(oq.queue_id) FILTER (WHERE oq.queue_id IS NOT NULL), '{}') AS queues,
        coalesce(s.logged_in, false) AS logged_in, coalesce(s.paused, false) AS paused,
        coalesce(extract(epoch FROM s.wrapup_until), 0)::float8 AS wrapup_until,
        coalesce(extract(epoch FROM s.idle_since), 0)::float8 AS idle_since,
        coalesce(s.missed_in_row, 0) AS missed_in_row
    FROM operators o
    LEFT JOIN operator_queues oq ON oq.operator_id = o.id
    LEFT JOIN operator_status s ON s.operator_id = o.id
    WHERE o.enabled
    GROUP BY o.id, s.operator_id
"""

_SAVE_SQL = """
    INSERT INTO operator_status AS s (operator_id, logged_in, paused, pause_reason,
        wrapup_until, idle_since, missed_in_row, updated_at)
    VALUES ($1, $2, $3, coalesce($4, ''), to_timestamp($5), to_timestamp($6), $7, now())
    ON CONFLICT (operator_id) DO UPDATE SET logged_in = excluded.logged_in,
        paused = excluded.paused,
        pause_reason = CASE WHEN $4 IS NULL THEN s.pause_reason ELSE excluded.pause_reason END,
        wrapup_until = excluded.wrapup_until, idle_since = excluded.idle_since,
        missed_in_row = excluded.missed_in_row, updated_at = now()
"""


@dataclass(frozen=True)
class Loaded:
    operators: list[routing.Operator]
    ids: dict[str, int]
    accept_by_key: set[str]
    policies: dict[int, routing.Policy]


def feature_action(exten: str) -> str | None:
    """What an operator's phone asks by dialling a feature code."""
    return {"*1": "login", "*2": "pause", "*3": "resume", "*0": "logout"}.get(exten)


def _operator(row: asyncpg.Record) -> routing.Operator:
    return routing.Operator(
        id=row["sip_username"],
        languages=frozenset(row["languages"]),
        queues=frozenset(str(q) for q in row["queues"]),
        logged_in=row["logged_in"],
        paused=row["paused"],
        registered=False,
        on_call=False,
        ringing=False,
        wrapup_until=max(row["wrapup_until"], 0.0),
        idle_since=row["idle_since"],
        missed_in_row=row["missed_in_row"],
    )


def _policy(row: asyncpg.Record) -> routing.Policy:
    return routing.Policy(
        language_wait=float(row["language_wait_seconds"]),
        ring_timeout=float(row["ring_timeout_seconds"]),
        max_missed=row["max_missed"],
        wrapup=float(row["wrapup_seconds"]),
        max_wait=float(row["max_wait_seconds"]),
        announce_every=float(row["announce_every_seconds"]),
        accept_by_key=row["accept_by_key"],
    )


class Store:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def load(self) -> Loaded:
        async with self.pool.acquire() as con:
            rows = await con.fetch(_OPERATORS_SQL)
            queues = await con.fetch("SELECT * FROM queues")
        return Loaded(
            operators=[_operator(r) for r in rows],
            ids={r["sip_username"]: r["id"] for r in rows},
            accept_by_key={r["sip_username"] for r in rows if r["accept_by_key"]},
            policies={q["id"]: _policy(q) for q in queues},
        )

    async def save(
        self, operator_id: int, op: routing.Operator, pause_reason: str | None = None
    ) -> None:
        """Best effort: while the database is away the queue runs on its own picture."""
        try:
            async with self.pool.acquire() as con:
                await con.execute(
                    _SAVE_SQL, operator_id, op.logged_in, op.paused, pause_reason,
                    op.wrapup_until, op.idle_since, op.missed_in_row,
                )
        except DATABASE_ERRORS as exc:
            log.warning("operator state not saved operator_id=%d error=%s",
                        operator_id, exc.__class__.__name__)
