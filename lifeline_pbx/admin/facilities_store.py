"""SQL for facilities. Never deleted: calls, people and reports refer to them; a facility
no longer in use is disabled, and its lines stop answering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.admin.facility_rules import FacilityFields
from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class Facility:
    id: int
    fields: FacilityFields
    enabled: bool
    lines: int  # lines on it, enabled or not

    @property
    def name(self) -> str:
        return self.fields.name


_SELECT = """
    SELECT f.id, f.name, f.city, f.state, f.address, f.contractor, f.timezone, f.notes,
           f.enabled, (SELECT count(*) FROM lines l WHERE l.facility_id = f.id) AS lines
      FROM facilities f"""
_COLUMNS = ("name", "city", "state", "address", "contractor", "timezone", "notes")


def _facility(row: asyncpg.Record) -> Facility:
    return Facility(row["id"], FacilityFields(*(row[c] for c in _COLUMNS)), row["enabled"],
                    row["lines"])


async def all_facilities(con: Conn) -> list[Facility]:
    return [_facility(r) for r in await con.fetch(f"{_SELECT} ORDER BY lower(f.name), f.id")]


async def by_id(con: Conn, facility_id: int, *, lock: bool = False) -> Facility | None:
    row = await con.fetchrow(f"{_SELECT} WHERE f.id = $1{' FOR UPDATE' if lock else ''}",
                             facility_id)
    return None if row is None else _facility(row)


async def named(con: Conn, names: Sequence[str]) -> dict[str, str]:
    """Existing names among `names`, matched in any letter case: lowered -> as stored."""
    rows = await con.fetch("SELECT name FROM facilities WHERE lower(name) = ANY($1::text[])",
                           [n.lower() for n in names])
    return {r["name"].lower(): r["name"] for r in rows}


async def add(con: Conn, fields: FacilityFields) -> int | None:
    """The new facility's id; None if one of that name exists (in any letter case)."""
    if await named(con, [fields.name]):
        return None
    try:
        facility_id: int = await con.fetchval(
            """INSERT INTO facilities (name, city, state, address, contractor, timezone, notes)
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
            *(getattr(fields, c) for c in _COLUMNS))
    except asyncpg.UniqueViolationError:
        return None
    return facility_id


async def add_many(con: Conn, rows: Sequence[FacilityFields]) -> list[int]:
    """The new facilities' ids, in the order given."""
    columns = [[getattr(fields, c) for fields in rows] for c in _COLUMNS]
    found = await con.fetch(
        """INSERT INTO facilities (name, city, state, address, contractor, timezone, notes)
           SELECT a, b, c, d, e, f, g
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::text[]) WITH ORDINALITY AS t(a, b, c, d, e, f, g, n)
            ORDER BY n RETURNING id""", *columns)
    return [r["id"] for r in found]


async def update(con: Conn, facility_id: int, fields: FacilityFields) -> bool:
    """False if another facility has that name."""
    clash = await con.fetchval(
        "SELECT 1 FROM facilities WHERE lower(name) = lower($1) AND id <> $2",
        fields.name, facility_id)
    if clash:
        return False
    try:
        await con.execute(
            """UPDATE facilities SET name = $2, city = $3, state = $4, address = $5,
                   contractor = $6, timezone = $7, notes = $8 WHERE id = $1""",
            facility_id, *(getattr(fields, c) for c in _COLUMNS))
    except asyncpg.UniqueViolationError:
        return False
    return True


async def set_enabled(con: Conn, facility_id: int, enabled: bool) -> None:
    await con.execute("UPDATE facilities SET enabled = $2 WHERE id = $1", facility_id, enabled)


async def enabled_ids(con: Conn) -> frozenset[int]:
    return frozenset(r["id"] for r in await con.fetch(
        "SELECT id FROM facilities WHERE enabled"))
