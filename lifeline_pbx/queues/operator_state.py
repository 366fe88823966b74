"""Operators' queue state and the queues' policies, in PostgreSQL.

What an operator is doing (logged in, paused and why, wrap-up, missed offers) is kept in
the database rather than in one process, so a restart (or a second node) keeps it. It is
written behind the distributor's back (state_saves.py decides what to write next).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.db import DATABASE_AWAY
from lifeline_pbx.linger import Linger
from lifeline_pbx.queues import routing, state_saves

log = logging.getLogger(__name__)
BATCH = 200  # operators' states written in one statement
# States come two or three a call (ringing, talking, wrap-up): waiting this long after the
# first lets a burst's go in one write rather than one each (issue 11). Someone waiting for
# the states to be written (`drained`) ends the wait.
LINGER = 0.1
RETRY_CAP = 10.0  # seconds: states should reach the database soon after it is back

_OPERATORS_SQL = """
    SELECT o.id, o.sip_username, o.display_name, o.languages, o.accept_by_key,
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
    names: dict[str, str]  # SIP username -> display name
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
    """Reads the operators; writes their states in the background, so that the distributor
    never waits for the database (a write can take seconds while it is away): `save` keeps
    the state at once, `run` writes what is kept in batches and keeps it while it cannot."""

    def __init__(self, pool: asyncpg.Pool, batch: int = BATCH, linger: float = LINGER) -> None:
        self.pool = pool
        self._batch = batch
        self._linger = Linger(linger)
        self._pending: dict[int, state_saves.Pending] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._writing = asyncio.Lock()  # a load never reads under a batch being committed

    async def load(self) -> Loaded:
        """As stored, with the states not written yet laid over: the distributor's picture
        is ahead of the database until they are."""
        async with self._writing, self.pool.acquire() as con:
            rows = await con.fetch(_OPERATORS_SQL)
            queues = await con.fetch("SELECT * FROM queues")
        # Taken with no wait before the picture is rebuilt from it; nothing was committed
        # since the read (the lock), so each state is the database's or a newer one.
        pending = self._pending
        return Loaded(
            operators=[state_saves.with_pending(_operator(r), pending.get(r["id"]))
                       for r in rows],
            ids={r["sip_username"]: r["id"] for r in rows},
            names={r["sip_username"]: r["display_name"] for r in rows},
            accept_by_key={r["sip_username"] for r in rows if r["accept_by_key"]},
            policies={q["id"]: _policy(q) for q in queues},
        )

    def save(self, operator_id: int, op: routing.Operator,
             pause_reason: str | None = None) -> None:
        """Kept now, written by `run` soon; pause_reason None keeps the stored reason."""
        self._pending = state_saves.added(
            self._pending, state_saves.Pending(operator_id, op, pause_reason))
        self._idle.clear()
        self._wake.set()

    @property
    def unsaved(self) -> int:
        """Operators whose latest state is not in the database yet."""
        return len(self._pending)

    async def drained(self) -> None:
        """Wait until every state kept so far is written (without lingering)."""
        await self._linger.until(self._idle)

    async def run(self) -> None:
        failures = 0
        while True:
            if not self._pending:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                await self._linger.wait()
                continue
            batch = state_saves.next_batch(self._pending, self._batch)
            try:
                async with self._writing:
                    await self._write(batch)
            except DATABASE_AWAY as exc:
                failures += 1
                wait = backoff.delay(failures, cap=RETRY_CAP)
                log.warning("operator states not saved error=%s held=%d retry in %.1fs",
                            exc.__class__.__name__, len(self._pending), wait)
                await asyncio.sleep(wait)
                continue
            failures = 0
            self._pending = state_saves.written(self._pending, batch)

    async def _write(self, batch: list[state_saves.Pending]) -> None:
        rows = [(p.operator_id, p.state.logged_in, p.state.paused, p.pause_reason,
                 p.state.wrapup_until, p.state.idle_since, p.state.missed_in_row)
                for p in batch]
        try:
            async with self.pool.acquire() as con:
                await con.executemany(_SAVE_SQL, rows)  # all or none, in one round trip
        except asyncpg.PostgresError as exc:
            if isinstance(exc, DATABASE_AWAY):
                raise
            # Refused (the operator was deleted meanwhile...): the others are written one
            # by one, the refused one is dropped.
            log.warning("operator states refused as a batch error=%s; one by one",
                        exc.__class__.__name__)
            await self._write_singly(rows)

    async def _write_singly(self, rows: Sequence[tuple[object, ...]]) -> None:
        for row in rows:
            try:
                async with self.pool.acquire() as con:
                    await con.execute(_SAVE_SQL, *row)
            except asyncpg.PostgresError as exc:
                if isinstance(exc, DATABASE_AWAY):
                    raise
                log.error("operator state dropped operator_id=%s error=%s", row[0],
                          exc.__class__.__name__)
