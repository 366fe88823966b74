"""Units of work for the admins' audit viewer: a page of entries with what to filter by,
the CSV export, and whether the hash chain verifies. Looking at the log is itself audited
(which filters were used), and so is each export. A person given by A-number is looked up
as the console's lookup does (person_work.find_person: audited, found or not)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.audit import chain, query, store
from lifeline_pbx.audit.query import ACTIONS, AuditFilter
from lifeline_pbx.cases import anumber, person_work
from lifeline_pbx.cases.export import inert
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Invalid, page_on_refusal
from lifeline_pbx.web import paging
from lifeline_pbx.web.paging import Window

Pool = asyncpg.Pool
ENTITY = "audit_log"
EXPORT_MAX = 100_000
COLUMNS = ("chain_seq", "at", "user_id", "user", "action", "entity", "entity_id", "fields")


@dataclass(frozen=True)
class Choices:
    """What the filters offer to choose from."""

    users: list[tuple[int, str]]
    entities: list[str]
    actions: tuple[str, ...] = ACTIONS


@dataclass(frozen=True)
class AuditPage:
    filters: AuditFilter  # a person given by A-number: with their id too
    total: int
    at: Window  # the page shown (past the end: the last)
    rows: list[store.Row]
    choices: Choices


async def _choices(con: Conn) -> Choices:
    return Choices(await store.users(con), await store.entities(con))


async def _person_of(con: Conn, keys: KeyRing, filters: AuditFilter,
                     user_id: int) -> AuditFilter:
    """The filters with the id of the person whose A-number was given (the record it was
    merged into, if it was); Invalid, naming the field, when nobody has it."""
    if filters.a_number is None:
        return filters
    person = await person_work.find_person(con, keys, filters.a_number, user_id)
    if person is None:
        raise Invalid(f"No person with A-number {anumber.display(filters.a_number)}.",
                      "person")
    return replace(filters, person_id=person.id)


async def page(pool: Pool, keys: KeyRing, asked: Mapping[str, str],
               user_id: int) -> AuditPage:
    """The page of entries the address asks for (its filters and page). Refused (a bad
    filter, an A-number nobody has), the Invalid carries the Choices."""
    async with pool.acquire() as con:
        async with page_on_refusal(lambda: _choices(con)):
            filters = query.parse(asked)
            at = paging.window(asked)
            filters = await _person_of(con, keys, filters, user_id)
        total, at, rows = await store.page(con, filters, at)
        await audit.record(con, user_id, "view", ENTITY, "list", filters.used())
        return AuditPage(filters, total, at, rows, await _choices(con))


def to_csv(rows: Iterable[store.Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        cells = ["" if r.seq is None else str(r.seq), r.at.isoformat(timespec="microseconds"),
                 "" if r.user_id is None else str(r.user_id), r.user, r.action, r.entity,
                 r.entity_id, " ".join(r.fields)]
        writer.writerow([inert(cell) for cell in cells])
    return out.getvalue()


async def export_csv(pool: Pool, keys: KeyRing, filters: AuditFilter, user_id: int) -> str:
    """Every entry the filters match, or Invalid past EXPORT_MAX; audited as an export of
    those columns, with the filters used."""
    async with pool.acquire() as con:
        filters = await _person_of(con, keys, filters, user_id)
        async with con.transaction(isolation="repeatable_read"):
            total = await store.count(con, filters, exact=True)
            if total > EXPORT_MAX:
                raise Invalid(f"{total} entries match; narrow the filters to at most "
                              f"{EXPORT_MAX}.")
            rows = await store.entries(con, filters, EXPORT_MAX)
            await audit.record(con, user_id, "export", ENTITY, "csv",
                               [*COLUMNS, *(f"filter:{name}" for name in filters.used())])
    return to_csv(rows)


async def chain_verdict(pool: Pool) -> chain.Verdict:
    async with pool.acquire() as con:
        return await chain.verify(con)
