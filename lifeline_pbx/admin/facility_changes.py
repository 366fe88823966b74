"""Units of work on facilities, each one transaction with its audit entry (the fields
changed, never their values). `actor` is the admin's user id, None for the `lifeline`
command. A save parses the form here, so that a refusal carries the page to show it again
(errors.RequestError.page). The engine hears of each change through the tables' NOTIFY
(migrations/0019)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.admin import facilities_store as store
from lifeline_pbx.admin.facilities_store import Facility
from lifeline_pbx.admin.facility_rules import (
    CSV_FIELD,
    FacilityFields,
    Form,
    parse_csv,
    parse_facility,
    refusal,
)
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Invalid, NotFound, page_on_refusal

Pool = asyncpg.Pool
ENTITY = "facility"


@dataclass(frozen=True)
class FacilitiesPage:
    """What the facilities page lists (and shows again beside a refused form)."""

    facilities: list[Facility]


async def all_facilities(pool: Pool) -> list[Facility]:
    async with pool.acquire() as con:
        return await store.all_facilities(con)


async def _list_page(con: Conn) -> FacilitiesPage:
    return FacilitiesPage(await store.all_facilities(con))


async def _facility(con: Conn, facility_id: int, *, lock: bool = False) -> Facility:
    found = await store.by_id(con, facility_id, lock=lock)
    if found is None:
        raise NotFound("There is no such facility.")
    return found


async def facility(pool: Pool, facility_id: int) -> Facility:
    async with pool.acquire() as con:
        return await _facility(con, facility_id)


def _taken(name: str) -> Invalid:
    return Invalid(f"A facility named '{name}' exists.", "name")


async def create(pool: Pool, actor: int | None, form: Form) -> int:
    """Add the facility the form describes; its id. Invalid carries the list's page."""
    async with pool.acquire() as con, page_on_refusal(lambda: _list_page(con)):
        new = parse_facility(form)
        async with con.transaction():
            facility_id = await store.add(con, new)
            if facility_id is None:
                raise _taken(new.name)
            await audit.change(con, actor, "create", ENTITY, facility_id,
                               [f.name for f in fields(FacilityFields)])
    return facility_id


async def update(pool: Pool, actor: int | None, facility_id: int, form: Form) -> None:
    """Save the facility; Invalid carries the facility as saved (its page)."""
    async with pool.acquire() as con, page_on_refusal(lambda: _facility(con, facility_id)):
        new = parse_facility(form)
        async with con.transaction():
            old = await _facility(con, facility_id, lock=True)
            changed = [f.name for f in fields(FacilityFields)
                       if getattr(old.fields, f.name) != getattr(new, f.name)]
            if not changed:
                return
            if not await store.update(con, facility_id, new):
                raise _taken(new.name)
            await audit.change(con, actor, "update", ENTITY, facility_id, changed)


async def set_enabled(pool: Pool, actor: int | None, facility_id: int, enabled: bool) -> None:
    """A disabled facility's lines stop answering (a call in progress goes on)."""
    async with pool.acquire() as con, con.transaction():
        old = await _facility(con, facility_id, lock=True)
        if old.enabled != enabled:
            await store.set_enabled(con, facility_id, enabled)
            await audit.change(con, actor, "update", ENTITY, facility_id, ["enabled"])


async def import_csv(pool: Pool, actor: int | None, content: str) -> int:
    """Every facility of the file, or none: a bad row (or a name already used) refuses the
    whole file, each problem named by its line. How many were imported."""
    async with pool.acquire() as con, page_on_refusal(lambda: _list_page(con)):
        rows = parse_csv(content)
        async with con.transaction():
            existing = await store.named(con, [row.fields.name for row in rows])
            clashes = [f"line {row.line}: name: a facility named "
                       f"'{existing[row.fields.name.lower()]}' exists."
                       for row in rows if row.fields.name.lower() in existing]
            if clashes:
                raise Invalid(refusal(clashes), CSV_FIELD)
            for facility_id in await store.add_many(con, [row.fields for row in rows]):
                await audit.change(con, actor, "create", ENTITY, facility_id,
                                   ["name", "city", "state", "contractor", "timezone"])
    return len(rows)
