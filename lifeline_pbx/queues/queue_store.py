"""The SQL for queues' settings and who serves them (operator_queues).

Functions take a connection; transactions and audit entries belong to the units of work
(admin/queue_changes.py, admin/operator_changes.py). Every write wakes the call engine
through the tables' triggers (migrations/0020_queue_admin.sql).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.db import Conn
from lifeline_pbx.queues.queue_rules import FIELDS, QueueSettings

_COLUMNS = ", ".join(FIELDS)


@dataclass(frozen=True)
class Queue:
    id: int
    settings: QueueSettings
    operator_ids: tuple[int, ...]
    lines: tuple[str, ...]  # the DIDs of the lines that send their callers here


@dataclass(frozen=True)
class Usage:
    """What keeps a queue from being deleted."""

    lines: tuple[str, ...]
    open_calls: int  # waiting or talking now
    history: int  # calls and queue-log entries that name it (foreign keys keep them)


_SELECT = f"""
    SELECT q.id, {", ".join(f"q.{c}" for c in FIELDS)},
        coalesce((SELECT array_agg(oq.operator_id ORDER BY oq.operator_id)
                  FROM operator_queues oq WHERE oq.queue_id = q.id), '{{}}') AS operator_ids,
        coalesce((SELECT array_agg(l.did ORDER BY l.did) FROM lines l
                  WHERE l.queue_id = q.id), '{{}}') AS lines
    FROM queues q
"""


def _queue(row: asyncpg.Record) -> Queue:
    return Queue(row["id"], QueueSettings(**{name: row[name] for name in FIELDS}),
                 tuple(row["operator_ids"]), tuple(row["lines"]))


async def all_queues(con: Conn) -> list[Queue]:
    return [_queue(r) for r in await con.fetch(_SELECT + " ORDER BY lower(q.name), q.id")]


async def by_id(con: Conn, queue_id: int, *, lock: bool = False) -> Queue | None:
    row = await con.fetchrow(_SELECT + " WHERE q.id = $1" + (" FOR UPDATE OF q" if lock else ""),
                             queue_id)
    return None if row is None else _queue(row)


async def by_name(con: Conn, name: str) -> Queue | None:
    row = await con.fetchrow(_SELECT + " WHERE lower(q.name) = lower($1)", name)
    return None if row is None else _queue(row)


async def name_taken(con: Conn, name: str, other_than: int | None = None) -> bool:
    """Names are compared without case: 'Hotline' and 'hotline' would confuse an admin."""
    return bool(await con.fetchval(
        "SELECT 1 FROM queues WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2",
        name, other_than))


async def add(con: Conn, settings: QueueSettings) -> int:
    values = [getattr(settings, name) for name in FIELDS]
    places = ", ".join(f"${i}" for i in range(1, len(FIELDS) + 1))
    queue_id: int = await con.fetchval(
        f"INSERT INTO queues ({_COLUMNS}) VALUES ({places}) RETURNING id", *values)
    return queue_id


async def update(con: Conn, queue_id: int, settings: QueueSettings) -> None:
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(FIELDS, 2))
    await con.execute(f"UPDATE queues SET {sets} WHERE id = $1", queue_id,
                      *(getattr(settings, name) for name in FIELDS))


async def delete(con: Conn, queue_id: int) -> None:
    await con.execute("DELETE FROM queues WHERE id = $1", queue_id)


async def usage(con: Conn, queue_id: int) -> Usage:
    row = await con.fetchrow(
        """SELECT coalesce((SELECT array_agg(did ORDER BY did) FROM lines
                            WHERE queue_id = $1), '{}') AS lines,
                  (SELECT count(*) FROM calls WHERE queue_id = $1 AND ended_at IS NULL)
                      AS open_calls,
                  (SELECT count(*) FROM calls WHERE queue_id = $1) +
                  (SELECT count(*) FROM queue_events WHERE queue_id = $1) AS history""",
        queue_id)
    assert row is not None
    return Usage(tuple(row["lines"]), row["open_calls"], row["history"])


async def existing_ids(con: Conn, table: str, ids: Sequence[int]) -> set[int]:
    """Which of these queue or operator ids exist (table: 'queues' or 'operators')."""
    if table not in ("queues", "operators"):
        raise ValueError(table)
    rows = await con.fetch(f"SELECT id FROM {table} WHERE id = ANY($1::bigint[])", list(ids))
    return {r["id"] for r in rows}


async def set_operators(con: Conn, queue_id: int, operator_ids: Sequence[int]) -> None:
    """The queue is served by exactly these operators."""
    await con.execute(
        "DELETE FROM operator_queues WHERE queue_id = $1 AND NOT operator_id = ANY($2::bigint[])",
        queue_id, list(operator_ids))
    await con.execute(
        """INSERT INTO operator_queues (operator_id, queue_id)
           SELECT unnest($2::bigint[]), $1 ON CONFLICT DO NOTHING""",
        queue_id, list(operator_ids))


async def set_queues(con: Conn, operator_id: int, queue_ids: Sequence[int]) -> None:
    """The operator serves exactly these queues."""
    await con.execute(
        "DELETE FROM operator_queues WHERE operator_id = $1 AND NOT queue_id = ANY($2::bigint[])",
        operator_id, list(queue_ids))
    await con.execute(
        """INSERT INTO operator_queues (operator_id, queue_id)
           SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING""",
        operator_id, list(queue_ids))


async def names(con: Conn) -> list[tuple[int, str]]:
    """(id, name) of every queue, for the operators' forms."""
    rows = await con.fetch("SELECT id, name FROM queues ORDER BY lower(name), id")
    return [(r["id"], r["name"]) for r in rows]
