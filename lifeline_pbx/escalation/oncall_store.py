"""SQL for the lines' on-call lists (line_oncall, migrations/0031). The escalation reads
a line's list when an emergency starts; escalation/oncall_changes.py owns the admin's
writes and their transactions."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from lifeline_pbx.db import Conn
from lifeline_pbx.escalation.oncall import Entry

_SELECT = """SELECT c.line_id, c.position, c.ring_seconds, o.sip_username AS operator,
                    c.number, c.operator_id
             FROM line_oncall c LEFT JOIN operators o ON o.id = c.operator_id"""


def _entry(row: asyncpg.Record) -> Entry:
    return Entry(position=row["position"], ring_seconds=row["ring_seconds"],
                 operator=row["operator"], number=row["number"], operator_id=row["operator_id"])


async def entries(con: Conn, line_id: int, *, enabled_only: bool = True) -> list[Entry]:
    """The list in order; an operator disabled since is skipped when ringing."""
    rows = await con.fetch(
        f"""{_SELECT} WHERE c.line_id = $1 AND (c.operator_id IS NULL OR o.enabled OR NOT $2)
            ORDER BY c.position""", line_id, enabled_only)
    return [_entry(r) for r in rows]


async def every_list(con: Conn) -> dict[int, list[Entry]]:
    """Every line's list, in order, by line id (lines without one left out)."""
    lists: dict[int, list[Entry]] = {}
    for row in await con.fetch(f"{_SELECT} ORDER BY c.line_id, c.position"):
        lists.setdefault(row["line_id"], []).append(_entry(row))
    return lists


async def operator_ids(con: Conn) -> dict[str, int]:
    """SIP username -> operator id, for every operator (the list names them by account)."""
    rows = await con.fetch("SELECT sip_username, id FROM operators")
    return {r["sip_username"]: r["id"] for r in rows}


async def replace_entries(con: Conn, line_id: int, entries: Sequence[Entry]) -> None:
    await con.execute("DELETE FROM line_oncall WHERE line_id = $1", line_id)
    await con.executemany(
        """INSERT INTO line_oncall (line_id, position, operator_id, number, ring_seconds)
           VALUES ($1, $2, $3, $4, $5)""",
        [(line_id, e.position, e.operator_id, e.number, e.ring_seconds) for e in entries])


async def set_emergency_wait(con: Conn, line_id: int, seconds: int | None) -> None:
    await con.execute("UPDATE lines SET emergency_wait_seconds = $2 WHERE id = $1",
                      line_id, seconds)


async def emergency_wait(con: Conn, line_id: int) -> int | None:
    value: int | None = await con.fetchval(
        "SELECT emergency_wait_seconds FROM lines WHERE id = $1", line_id)
    return value
