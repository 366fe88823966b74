"""SQL for the audit viewer: entries filtered and paged (newest first), the rows of an
export, and what to filter by. Entries hold ids and field names, never values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.audit.query import AuditFilter
from lifeline_pbx.audit.ties import ctes
from lifeline_pbx.db import Conditions, Conn
from lifeline_pbx.web.paging import Window, capped_count, clamped


@dataclass(frozen=True)
class Row:
    seq: int | None  # None: not linked into the chain (yet)
    at: dt.datetime
    user_id: int | None  # None: the `lifeline` command or the app itself
    user: str
    action: str
    entity: str
    entity_id: str
    fields: tuple[str, ...]


def where(f: AuditFilter) -> tuple[str, list[object]]:
    found = Conditions()
    if f.user_id is not None:
        found.add("a.user_id = $?", f.user_id)
    if f.person_id is not None:
        found.add(f"""(a.entity, a.entity_id) IN (
                         WITH {ctes('SELECT $?::uuid')}
                         SELECT entity, entity_id FROM tied_records)""", f.person_id)
    if f.action is not None:
        found.add("a.action = $?", f.action)
    if f.entity is not None:
        found.add("a.entity = $?", f.entity)
    if f.since is not None:
        found.add("a.at >= $?::date", f.since)
    if f.until is not None:
        found.add("a.at < $?::date + 1", f.until)
    return found.where()


_SELECT = """SELECT a.chain_seq AS seq, a.at, a.user_id, coalesce(u.display_name, '') AS user,
                    a.action, a.entity, a.entity_id, a.fields
               FROM audit_log a LEFT JOIN users u ON u.id = a.user_id"""
_ORDER = "ORDER BY a.chain_seq DESC NULLS FIRST, a.id DESC"


def _row(r: asyncpg.Record) -> Row:
    return Row(r["seq"], r["at"], r["user_id"], r["user"], r["action"], r["entity"],
               r["entity_id"], tuple(r["fields"]))


async def count(con: Conn, f: AuditFilter, *, exact: bool = False) -> int:
    clause, args = where(f)
    select = f"SELECT 1 FROM audit_log a WHERE {clause}"
    total: int = await con.fetchval(
        f"SELECT count(*) FROM ({select}) AS counted" if exact else capped_count(select), *args)
    return total


async def entries(con: Conn, f: AuditFilter, limit: int, offset: int = 0) -> list[Row]:
    clause, args = where(f)
    n = len(args)
    rows = await con.fetch(f"{_SELECT} WHERE {clause} {_ORDER} LIMIT ${n + 1} OFFSET ${n + 2}",
                           *args, limit, offset)
    return [_row(r) for r in rows]


async def page(con: Conn, f: AuditFilter, at: Window) -> tuple[int, Window, list[Row]]:
    """How many entries match, the page shown (past the end: the last) and its entries."""
    total = await count(con, f)
    at = clamped(at, total)
    return total, at, await entries(con, f, at.per_page, at.offset)


async def users(con: Conn) -> list[tuple[int, str]]:
    rows = await con.fetch("SELECT id, display_name FROM users ORDER BY display_name, id")
    return [(r["id"], r["display_name"]) for r in rows]


async def entities(con: Conn) -> list[str]:
    """The kinds of record the log names, read by skipping along its (entity, ...) index."""
    rows = await con.fetch(
        """WITH RECURSIVE e (entity) AS (
               (SELECT entity FROM audit_log ORDER BY entity LIMIT 1)
               UNION ALL
               SELECT (SELECT a.entity FROM audit_log a WHERE a.entity > e.entity
                        ORDER BY a.entity LIMIT 1)
                 FROM e WHERE e.entity IS NOT NULL)
           SELECT entity FROM e WHERE entity IS NOT NULL""")
    return [r["entity"] for r in rows]
