"""Units of work on facilities, each one transaction with its audit entry (the fields
changed, never their values). `actor` is the admin's user id, None for the `lifeline`
command. The engine hears of each change through the tables' NOTIFY (migrations/0019)."""

from __future__ import annotations

from dataclasses import fields

import asyncpg

from lifeline_pbx.admin import facilities_store as store
from lifeline_pbx.admin.changes import audit_change
from lifeline_pbx.admin.facilities_store import Facility
from lifeline_pbx.admin.facility_rules import CSV_FIELD, FacilityFields, parse_csv, refusal
from lifeline_pbx.errors import Invalid, NotFound

Pool = asyncpg.Pool
ENTITY = "facility"


async def all_facilities(pool: Pool) -> list[Facility]:
    async with pool.acquire() as con:
        return await store.all_facilities(con)


async def facility(pool: Pool, facility_id: int) -> Facility:
    async with pool.acquire() as con:
        found = await store.by_id(con, facility_id)
    if found is None:
        raise NotFound("There is no such facility.")
    return found


def _taken(name: str) -> Invalid:
    return Invalid(f"A facility named '{name}' exists.", "name")


async def create(pool: Pool, actor: int | None, new: FacilityFields) -> int:
    async with pool.acquire() as con, con.transaction():
        facility_id = await store.add(con, new)
        if facility_id is None:
            raise _taken(new.name)
        await audit_change(con, actor, "create", ENTITY, facility_id,
                           [f.name for f in fields(FacilityFields)])
    return facility_id


async def update(pool: Pool, actor: int | None, facility_id: int, new: FacilityFields) -> None:
    async with pool.acquire() as con, con.transaction():
        old = await store.by_id(con, facility_id, lock=True)
        if old is None:
            raise NotFound("There is no such facility.")
        changed = [f.name for f in fields(FacilityFields)
                   if getattr(old.fields, f.name) != getattr(new, f.name)]
        if not changed:
            return
        if not await store.update(con, facility_id, new):
            raise _taken(new.name)
        await audit_change(con, actor, "update", ENTITY, facility_id, changed)


async def set_enabled(pool: Pool, actor: int | None, facility_id: int, enabled: bool) -> None:
    """A disabled facility's lines stop answering (a call in progress goes on)."""
    async with pool.acquire() as con, con.transaction():
        old = await store.by_id(con, facility_id, lock=True)
        if old is None:
            raise NotFound("There is no such facility.")
        if old.enabled != enabled:
            await store.set_enabled(con, facility_id, enabled)
            await audit_change(con, actor, "update", ENTITY, facility_id, ["enabled"])


async def import_csv(pool: Pool, actor: int | None, content: str) -> int:
    """Every facility of the file, or none: a bad row (or a name already used) refuses the
    whole file, each problem named by its line. How many were imported."""
    rows = parse_csv(content)
    async with pool.acquire() as con, con.transaction():
        existing = await store.named(con, [row.fields.name for row in rows])
        clashes = [f"line {row.line}: name: a facility named '{existing[row.fields.name.lower()]}'"
                   " exists." for row in rows if row.fields.name.lower() in existing]
        if clashes:
            raise Invalid(refusal(clashes), CSV_FIELD)
        for facility_id in await store.add_many(con, [row.fields for row in rows]):
            await audit_change(con, actor, "create", ENTITY, facility_id,
                               ["name", "city", "state", "contractor", "timezone"])
    return len(rows)
