"""Units of work for the admins' audit viewer: a page of entries with what to filter by,
the CSV export, and whether the hash chain verifies. Looking at the log is itself audited
(which filters were used), and so is each export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.audit import chain, store
from lifeline_pbx.audit.query import ACTIONS, AuditFilter
from lifeline_pbx.cases.export import inert
from lifeline_pbx.errors import Invalid
from lifeline_pbx.web.paging import Window

Pool = asyncpg.Pool
ENTITY = "audit_log"
EXPORT_MAX = 100_000
COLUMNS = ("chain_seq", "at", "user_id", "user", "action", "entity", "entity_id", "fields")


@dataclass(frozen=True)
class AuditPage:
    total: int
    at: Window  # the page shown (past the end: the last)
    rows: list[store.Row]
    users: list[tuple[int, str]]
    entities: list[str]
    actions: tuple[str, ...] = ACTIONS


async def page(pool: Pool, filters: AuditFilter, at: Window, user_id: int) -> AuditPage:
    async with pool.acquire() as con:
        total, at, rows = await store.page(con, filters, at)
        await audit.record(con, user_id, "view", ENTITY, "list", filters.used())
        return AuditPage(total, at, rows, await store.users(con), await store.entities(con))


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


async def export_csv(pool: Pool, filters: AuditFilter, user_id: int) -> str:
    """Every entry the filters match, or Invalid past EXPORT_MAX; audited as an export of
    those columns, with the filters used."""
    async with pool.acquire() as con, con.transaction(isolation="repeatable_read"):
        total = await store.count(con, filters, exact=True)
        if total > EXPORT_MAX:
            raise Invalid(f"{total} entries match; narrow the filters to at most {EXPORT_MAX}.")
        rows = await store.entries(con, filters, EXPORT_MAX)
        await audit.record(con, user_id, "export", ENTITY, "csv",
                           [*COLUMNS, *(f"filter:{name}" for name in filters.used())])
    return to_csv(rows)


async def chain_verdict(pool: Pool) -> chain.Verdict:
    async with pool.acquire() as con:
        return await chain.verify(con)
