"""SQL for partners a caller may consent to share a report with. Never deleted: consents
reference them; a partner no longer worked with is disabled."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class Partner:
    id: int
    name: str
    kind: str
    enabled: bool


_SELECT = "SELECT id, name, kind, enabled FROM partners"


async def all_partners(con: Conn) -> list[Partner]:
    return [Partner(**dict(r)) for r in await con.fetch(f"{_SELECT} ORDER BY lower(name), id")]


async def by_id(con: Conn, partner_id: int) -> Partner | None:
    row = await con.fetchrow(f"{_SELECT} WHERE id = $1", partner_id)
    return None if row is None else Partner(**dict(row))


async def add(con: Conn, name: str, kind: str) -> int | None:
    """The new partner's id; None if a partner of that name (in any letter case) exists."""
    if await con.fetchval("SELECT 1 FROM partners WHERE lower(name) = lower($1)", name):
        return None
    try:
        partner_id: int = await con.fetchval(
            "INSERT INTO partners (name, kind) VALUES ($1, $2) RETURNING id", name, kind)
    except asyncpg.UniqueViolationError:
        return None
    return partner_id


async def set_enabled(con: Conn, partner_id: int, enabled: bool) -> bool:
    done = await con.fetchval(
        "UPDATE partners SET enabled = $2 WHERE id = $1 RETURNING true", partner_id, enabled)
    return bool(done)
