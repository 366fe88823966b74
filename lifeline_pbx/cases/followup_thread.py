"""The SQL for a follow-up's thread of notes (sealed) and its history of changes (plain:
statuses, user ids and dates only)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from lifeline_pbx.cases.followup_rules import FieldChange
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class Note:
    id: uuid.UUID
    author: str
    created_at: dt.datetime
    body: str


@dataclass(frozen=True)
class Change:
    """One field changed, with its values as shown (names for assignees)."""

    changed_at: dt.datetime
    changed_by: str
    field: str
    old: str
    new: str


async def add_note(con: Conn, keys: KeyRing, note_id: uuid.UUID, follow_up_id: uuid.UUID,
                   author_id: int, body: str) -> bool:
    """False when a note has this id already (its form posted again): nothing added."""
    added = await con.fetchval(
        """INSERT INTO follow_up_notes (id, follow_up_id, author_id, body)
           VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id""",
        note_id, follow_up_id, author_id, keys.seal(body, place("follow_up_notes", "body",
                                                                 note_id)),
    )
    return added is not None


async def notes(con: Conn, keys: KeyRing, follow_up_id: uuid.UUID) -> list[Note]:
    """The whole thread, oldest first."""
    rows = await con.fetch(
        """SELECT n.id, u.display_name, n.created_at, n.body
           FROM follow_up_notes n JOIN users u ON u.id = n.author_id
           WHERE n.follow_up_id = $1 ORDER BY n.created_at, n.id""",
        follow_up_id,
    )
    return [Note(r["id"], r["display_name"], r["created_at"],
                 keys.open(r["body"], place("follow_up_notes", "body", r["id"])))
            for r in rows]


async def record(con: Conn, follow_up_id: uuid.UUID, user_id: int,
                 changes: Iterable[FieldChange]) -> None:
    await con.executemany(
        """INSERT INTO follow_up_changes (follow_up_id, changed_by, field, old_value, new_value)
           VALUES ($1, $2, $3, $4, $5)""",
        [(follow_up_id, user_id, c.field, c.old, c.new) for c in changes],
    )


def shown(field: str, value: str, name: str | None) -> str:
    """A stored value as the history shows it."""
    if not value:
        return "nobody" if field == "assignee" else "none"
    if field == "assignee":
        return name or f"user {value}"
    return value


async def history(con: Conn, follow_up_id: uuid.UUID) -> list[Change]:
    """Every change, oldest first."""
    rows = await con.fetch(
        """SELECT c.changed_at, u.display_name AS changed_by, c.field, c.old_value,
                  c.new_value, uo.display_name AS old_name, un.display_name AS new_name
           FROM follow_up_changes c JOIN users u ON u.id = c.changed_by
                LEFT JOIN users uo ON c.field = 'assignee' AND uo.id::text = c.old_value
                LEFT JOIN users un ON c.field = 'assignee' AND un.id::text = c.new_value
           WHERE c.follow_up_id = $1 ORDER BY c.changed_at, c.id""",
        follow_up_id,
    )
    return [Change(r["changed_at"], r["changed_by"], r["field"],
                   shown(r["field"], r["old_value"], r["old_name"]),
                   shown(r["field"], r["new_value"], r["new_name"])) for r in rows]
