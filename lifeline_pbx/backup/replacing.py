"""`lifeline restore --clean`: what it would replace, and whether it may go ahead.

--clean drops the data of a database that is not empty. It is refused while the app is
connected to that database (its calls and intakes would be lost as they are written), and
it needs a confirmation: the database's name typed at a terminal, or --yes from a script.
Before either, the sysadmin sees what is in the database now against what the backup holds:
the main tables, and every other table whose rows differ (a facility added since the backup
is lost by it too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from lifeline_pbx import db_roles
from lifeline_pbx.backup.dump import row_counts
from lifeline_pbx.backup.manifest import Manifest, quote_ident
from lifeline_pbx.backup.restore import relations
from lifeline_pbx.db import Conn

MAIN_TABLES = ("calls", "voicemails", "call_recordings", "persons", "intakes", "reports",
               "follow_ups", "users", "audit_log")
# Rows made after the backup, told by these times.
MADE_AT = {"calls": "started_at", "intakes": "created_at"}


@dataclass(frozen=True)
class Newer:
    table: str
    rows: int  # made after the backup
    newest: datetime | None


@dataclass(frozen=True)
class Target:
    database: str
    relations: int  # tables, views and sequences: 0 when the database is empty
    app_connections: int  # lifeline_app's, to this database
    row_counts: Mapping[str, int]  # of every table the database has
    newer: tuple[Newer, ...]


Verdict = Literal["restore", "ask", "refuse"]


def decide(t: Target, *, yes: bool, interactive: bool) -> tuple[Verdict, str]:
    """Whether --clean may replace t's data, and if not, why."""
    if not t.relations:
        return "restore", ""  # nothing to replace
    if t.app_connections:
        return "refuse", (f"the app is connected to the database {t.database} "
                          f"({t.app_connections} connection{'s' * (t.app_connections > 1)} "
                          f"as {db_roles.APP_ROLE}): stop lifeline serve first; nothing "
                          "was restored")
    if yes:
        return "restore", ""
    if interactive:
        return "ask", ""
    return "refuse", (f"restore --clean replaces the data of {t.database}: run it at a "
                      "terminal to confirm, or add --yes; nothing was restored")


def confirmed(typed: str, database: str) -> bool:
    return typed.strip() == database


def summary(t: Target, m: Manifest) -> list[str]:
    """What --clean would replace: the database's main tables now against the backup, then
    every other table whose rows differ."""
    others = sorted(table for table in {*t.row_counts, *m.row_counts} - set(MAIN_TABLES)
                    if t.row_counts.get(table) != m.row_counts.get(table))
    shown = [table for table in [*MAIN_TABLES, *others]
             if table in t.row_counts or table in m.row_counts]
    wide = max([16, *map(len, shown)])
    lines = [f"restore --clean replaces the data of the database {t.database} with the "
             f"backup of {m.created_at:%Y-%m-%d %H:%M %Z}:",
             f"  {'':{wide}} {'now':>10} {'in the backup':>14}"]
    for table in shown:
        now, then = t.row_counts.get(table), m.row_counts.get(table)
        lines.append(f"  {table:{wide}} {_count(now):>10} {_count(then):>14}")
    for n in t.newer:
        newest = f", the newest at {n.newest:%Y-%m-%d %H:%M %Z}" if n.rows and n.newest else ""
        lines.append(f"  {n.table} made since the backup, lost by the restore: "
                     f"{n.rows:,}{newest}")
    lines.append("to keep a copy of what is there now: lifeline backup NEW_DIR first")
    return lines


def _count(rows: int | None) -> str:
    return "-" if rows is None else f"{rows:,}"


async def target(admin_dsn: str, since: datetime) -> Target:
    """The facts of admin_dsn's database; since: the backup's time."""
    con = await asyncpg.connect(admin_dsn)
    try:
        return await _gather(con, since)
    finally:
        await con.close()


async def _gather(con: Conn, since: datetime) -> Target:
    counts = await row_counts(con)
    newer = []
    for table, column in MADE_AT.items():
        if table in counts:
            row = await con.fetchrow(
                f"SELECT count(*) FILTER (WHERE {column} > $1) AS rows, max({column}) AS newest"
                f" FROM public.{quote_ident(table)}", since)
            assert row is not None
            newer.append(Newer(table, int(row["rows"]), row["newest"]))
    return Target(
        database=str(await con.fetchval("SELECT current_database()")),
        relations=await relations(con),
        app_connections=int(await con.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE usename = $1 AND datname = current_database()", db_roles.APP_ROLE)),
        row_counts=counts, newer=tuple(newer))
