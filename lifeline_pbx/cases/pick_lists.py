"""SQL for what the case forms offer to choose from: facilities, users to assign, what a
form may name (Choices), and the names behind the ids a record holds. Functions take a
connection; no transactions."""

from __future__ import annotations

from lifeline_pbx.cases import reports
from lifeline_pbx.cases.forms import Choices
from lifeline_pbx.db import Conn

Named = list[tuple[int, str]]


async def facilities(con: Conn) -> Named:
    rows = await con.fetch("SELECT id, name FROM facilities ORDER BY name")
    return [(r["id"], r["name"]) for r in rows]


async def users(con: Conn, *, enabled_only: bool = True) -> Named:
    """Users by their display name (to assign a follow-up to, or filter by)."""
    rows = await con.fetch(
        """SELECT id, display_name FROM users WHERE enabled OR NOT $1
           ORDER BY display_name, id""", enabled_only)
    return [(r["id"], r["display_name"]) for r in rows]


async def facility_ids(con: Conn) -> frozenset[int]:
    return frozenset(r["id"] for r in await con.fetch("SELECT id FROM facilities"))


async def enabled_user_ids(con: Conn) -> frozenset[int]:
    return frozenset(r["id"] for r in await con.fetch("SELECT id FROM users WHERE enabled"))


async def names(con: Conn) -> dict[str, dict[int, str]]:
    """Ids as a record's fields hold them (facilities, partners, users), and their names."""
    return {table: {r["id"]: r["name"] for r in await con.fetch(sql)} for table, sql in (
        ("facilities", "SELECT id, name FROM facilities"),
        ("partners", "SELECT id, name FROM partners"),
        ("users", "SELECT id, display_name AS name FROM users"))}


async def choices(con: Conn) -> Choices:
    """What a submitted form may name: enabled categories, partners, facilities, users."""
    return Choices(
        categories=frozenset(c for c, _ in await reports.categories(con)),
        partners=frozenset(p for p, _, _ in await reports.partners(con)),
        facilities=await facility_ids(con),
        users=await enabled_user_ids(con),
    )
