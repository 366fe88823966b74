"""The SQL for revisions of intakes, reports and follow-ups (migrations/0014).

The record's own row holds its latest version; every version is kept here, sealed whole
(place record_revisions.content.<revision id>). The first correction of a record writes
its original first (revision 1, by its author, when it was saved), then the correction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lifeline_pbx.cases import correction_words
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn

Entity = Literal["intake", "report", "follow_up"]
# Who wrote a record first, and when, as its own table says.
_ORIGIN: dict[Entity, str] = {
    "intake": "SELECT user_id, coalesce(updated_at, created_at) FROM intakes WHERE id = $1",
    "report": "SELECT created_by, created_at FROM reports WHERE id = $1",
    "follow_up": "SELECT created_by, created_at FROM follow_ups WHERE id = $1",
}


_TABLES: dict[Entity, str] = {"intake": "intakes", "report": "reports",
                              "follow_up": "follow_ups"}


async def exists(con: Conn, entity: Entity, entity_id: uuid.UUID) -> bool:
    """The record itself (not its revisions) exists."""
    sql = f"SELECT 1 FROM {_TABLES[entity]} WHERE id = $1"
    return await con.fetchval(sql, entity_id) is not None


@dataclass(frozen=True)
class Revision:
    id: uuid.UUID
    number: int
    author: str
    created_at: dt.datetime
    fields: tuple[str, ...]  # what it changed; () for the original
    facility_from: str = ""  # the facility's names, when it changed the facility
    facility_to: str = ""
    people_from: int | None = None  # a group report's number of people, when it changed it
    people_to: int | None = None

    @property
    def said(self) -> str:
        """What it changed, in words ("Facility: Example Valley → Demo County, Category,
        People concerned: 3 → 4")."""
        return correction_words.changed(self.fields, self.facility_from, self.facility_to,
                                        (self.people_from, self.people_to))


@dataclass(frozen=True)
class Opened:
    revision: Revision
    content: dict[str, Any]


async def lock(con: Conn, entity: Entity, entity_id: uuid.UUID) -> None:
    """Corrections of one record take turns until the transaction ends."""
    await con.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 1))",
                      f"revision:{entity}:{entity_id}")


async def latest(con: Conn, entity: Entity, entity_id: uuid.UUID) -> int:
    """The number of the record's latest revision; 0 if it was never corrected."""
    number: int = await con.fetchval(
        """SELECT coalesce(max(number), 0) FROM record_revisions
           WHERE entity = $1 AND entity_id = $2""", entity, entity_id)
    return number


async def _insert(con: Conn, keys: KeyRing, entity: Entity, entity_id: uuid.UUID,
                  number: int, author_id: int | None, at: dt.datetime | None,
                  fields: Sequence[str], content: dict[str, Any],
                  moved: tuple[int | None, int | None] = (None, None),
                  people: tuple[int | None, int | None] = (None, None)) -> None:
    rid = uuid.uuid4()
    await con.execute(
        """INSERT INTO record_revisions (id, entity, entity_id, number, author_id, created_at,
                                         fields, content, facility_from, facility_to,
                                         people_from, people_to)
           VALUES ($1, $2, $3, $4, $5, coalesce($6, now()), $7, $8, $9, $10, $11, $12)""",
        rid, entity, entity_id, number, author_id, at, sorted(set(fields)),
        keys.seal_json(content, place("record_revisions", "content", rid)), *moved, *people)


async def record(con: Conn, keys: KeyRing, entity: Entity, entity_id: uuid.UUID, *,
                 before: dict[str, Any], after: dict[str, Any], fields: Sequence[str],
                 user_id: int, reason: str = "") -> int:
    """Keep a correction of the record (its content before and after, and why, sealed with
    it); returns the new revision's number. Call after `lock`, in the transaction that
    writes the record."""
    number = await latest(con, entity, entity_id)
    if number == 0:
        origin = await con.fetchrow(_ORIGIN[entity], entity_id)
        author, at = (origin[0], origin[1]) if origin else (None, None)
        await _insert(con, keys, entity, entity_id, 1, author, at, (), before)
        number = 1
    content = {**after, correction_words.REASON: reason} if reason else after
    await _insert(con, keys, entity, entity_id, number + 1, user_id, None, fields, content,
                  correction_words.facility_moved(fields, before, after),
                  correction_words.people_changed(fields, before, after))
    return number + 1


_SELECT = """SELECT r.id, r.number, coalesce(u.display_name, '') AS author, r.created_at,
                    r.fields, r.content, coalesce(ff.name, '') AS facility_from,
                    coalesce(ft.name, '') AS facility_to, r.people_from, r.people_to
             FROM record_revisions r LEFT JOIN users u ON u.id = r.author_id
                  LEFT JOIN facilities ff ON ff.id = r.facility_from
                  LEFT JOIN facilities ft ON ft.id = r.facility_to"""


def _revision(row: Any) -> Revision:
    return Revision(row["id"], row["number"], row["author"], row["created_at"],
                    tuple(row["fields"]), row["facility_from"], row["facility_to"],
                    row["people_from"], row["people_to"])


async def listing(con: Conn, entity: Entity, entity_id: uuid.UUID) -> list[Revision]:
    """Every revision, oldest first (who, when, which fields; nothing sealed opened)."""
    rows = await con.fetch(f"{_SELECT} WHERE r.entity = $1 AND r.entity_id = $2 "
                           "ORDER BY r.number", entity, entity_id)
    return [_revision(r) for r in rows]


async def get(con: Conn, keys: KeyRing, entity: Entity, entity_id: uuid.UUID,
              number: int) -> Opened | None:
    row = await con.fetchrow(f"{_SELECT} WHERE r.entity = $1 AND r.entity_id = $2 "
                             "AND r.number = $3", entity, entity_id, number)
    if row is None:
        return None
    content = keys.open_json(row["content"], place("record_revisions", "content", row["id"]))
    return Opened(_revision(row), content)
