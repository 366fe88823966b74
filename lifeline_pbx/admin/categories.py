"""SQL for the report taxonomy (report_categories). Categories are never deleted: reports
reference them; a category no longer in use is disabled and leaves the intake form."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    position: int
    enabled: bool


_SELECT = "SELECT code, label, position, enabled FROM report_categories"


async def all_categories(con: Conn) -> list[Category]:
    return [Category(**dict(r)) for r in await con.fetch(f"{_SELECT} ORDER BY position, code")]


async def by_code(con: Conn, code: str) -> Category | None:
    row = await con.fetchrow(f"{_SELECT} WHERE code = $1", code)
    return None if row is None else Category(**dict(row))


async def add(con: Conn, code: str, label: str) -> bool:
    """Add at the end of the list; False if the code is taken."""
    try:
        await con.execute(
            """INSERT INTO report_categories (code, label, position)
               VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM report_categories))""",
            code, label,
        )
    except asyncpg.UniqueViolationError:
        return False
    return True


async def set_label(con: Conn, code: str, label: str) -> bool:
    done = await con.fetchval(
        "UPDATE report_categories SET label = $2 WHERE code = $1 RETURNING true", code, label)
    return bool(done)


async def set_enabled(con: Conn, code: str, enabled: bool) -> bool:
    done = await con.fetchval(
        "UPDATE report_categories SET enabled = $2 WHERE code = $1 RETURNING true", code, enabled)
    return bool(done)
