"""The SQL for drafts: an operator's unsaved form, one per (user, call), sealed.

Every query filters by user_id: a user only ever reads, writes or deletes their own
drafts, whatever id or call id a request names.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class Draft:
    id: uuid.UUID
    call_id: uuid.UUID | None
    body: dict[str, Any]
    updated_at: dt.datetime


def _draft(row: asyncpg.Record, keys: KeyRing) -> Draft:
    body = keys.open_json(row["body"], place("drafts", "body", row["id"]))
    return Draft(row["id"], row["call_id"], body if isinstance(body, dict) else {},
                 row["updated_at"])


async def save(con: Conn, keys: KeyRing, user_id: int, call_id: uuid.UUID | None,
               body: dict[str, Any]) -> uuid.UUID:
    """Insert or replace the user's draft for that call. Each save gets a new row id
    (the sealed body is bound to it), so an overwrite never opens under an old id."""
    draft_id = uuid.uuid4()
    sealed = keys.seal_json(body, place("drafts", "body", draft_id))
    await con.execute(
        """INSERT INTO drafts (id, user_id, call_id, body) VALUES ($1, $2, $3, $4)
           ON CONFLICT (user_id, call_id)
           DO UPDATE SET id = EXCLUDED.id, body = EXCLUDED.body, updated_at = now()""",
        draft_id, user_id, call_id, sealed,
    )
    return draft_id


async def get(con: Conn, keys: KeyRing, user_id: int, call_id: uuid.UUID | None) -> Draft | None:
    row = await con.fetchrow(
        """SELECT id, call_id, body, updated_at FROM drafts
           WHERE user_id = $1 AND call_id IS NOT DISTINCT FROM $2""",
        user_id, call_id,
    )
    return None if row is None else _draft(row, keys)


async def claim(con: Conn, keys: KeyRing, user_id: int, call_id: uuid.UUID | None,
                body: dict[str, Any]) -> Draft:
    """The user's draft for that call; one with body is made first if there is none (two
    tabs opening at once both get the same one)."""
    draft_id = uuid.uuid4()
    await con.execute(
        """INSERT INTO drafts (id, user_id, call_id, body) VALUES ($1, $2, $3, $4)
           ON CONFLICT (user_id, call_id) DO NOTHING""",
        draft_id, user_id, call_id, keys.seal_json(body, place("drafts", "body", draft_id)),
    )
    draft = await get(con, keys, user_id, call_id)
    assert draft is not None
    return draft


async def delete(con: Conn, user_id: int, call_id: uuid.UUID | None) -> None:
    await con.execute(
        "DELETE FROM drafts WHERE user_id = $1 AND call_id IS NOT DISTINCT FROM $2",
        user_id, call_id,
    )
