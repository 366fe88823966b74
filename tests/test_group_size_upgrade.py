"""Migration 0045 over reports from before it: they keep saying nothing about how many
people (NULL), and the database takes a number only on a report about a group, 2 to
10,000, whatever writes it."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from lifeline_pbx.db import Conn
from tests.pg_fixtures import Upgrade, connect, staff


async def report(con: Conn, facility: int, user: int, affected: str) -> uuid.UUID:
    rid = uuid.uuid4()
    await con.execute(
        """INSERT INTO reports (id, facility_id, category, severity, affected, narrative,
                                created_by)
           VALUES ($1, $2, 'medical_neglect', 'high', $3, '\\x00', $4)""",
        rid, facility, affected, user)
    return rid


async def test_0045_leaves_old_reports_without_a_number_and_guards_new_ones(
    empty_dsn: str, tmp_path: Path
) -> None:
    upgrade = Upgrade(empty_dsn, "0045", tmp_path / "m")
    await upgrade.before()
    async with connect(empty_dsn) as con:
        facility = await con.fetchval("INSERT INTO facilities (name) VALUES ('F') RETURNING id")
        user = await staff(con, "operator", "operator")
        group = await report(con, facility, user, "group")
        person = await report(con, facility, user, "person")
    assert await upgrade.apply() == ["0045_group_report_size.sql"]
    async with connect(empty_dsn) as con:
        assert [r["people"] for r in await con.fetch("SELECT people FROM reports")] == [
            None, None]
        await con.execute("UPDATE reports SET people = 3 WHERE id = $1", group)
        await con.execute("UPDATE reports SET people = 10000 WHERE id = $1", group)
        for sql, rid in (("UPDATE reports SET people = 3 WHERE id = $1", person),
                         ("UPDATE reports SET people = 1 WHERE id = $1", group),
                         ("UPDATE reports SET people = 10001 WHERE id = $1", group),
                         ("UPDATE reports SET affected = 'person' WHERE id = $1", group)):
            with pytest.raises(asyncpg.CheckViolationError):
                await con.execute(sql, rid)
        assert await con.fetchval("SELECT people FROM reports WHERE id = $1", group) == 10000
