"""The SQL for drafts: an operator's unsaved form, one per (user, call), sealed.

Every query that opens or changes a draft filters by user_id: a user only ever reads,
writes or deletes their own drafts, whatever id or call id a request names. The
exceptions: on_call and stranded tell supervisors who has a draft on a call and when they
last saved it, never what it says; a supervisor who opens one to finish it reads it with
get, by its author's id (cases/draft_takeover.py, audited).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
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


@dataclass(frozen=True)
class OnCall:
    """A draft on a call, as the lists name it: when the call came in, at which facility,
    and the voicemail it left (its form is opened from the voicemail)."""

    call_id: uuid.UUID
    call_at: dt.datetime
    facility: str
    voicemail_id: uuid.UUID | None
    updated_at: dt.datetime
    a_number: str  # as typed
    goes_on: dt.datetime | None  # when retention removes it, if not saved before


@dataclass(frozen=True)
class Sign:
    """That someone has an unsaved draft on a call: who and when, not what."""

    author_id: int
    author: str
    updated_at: dt.datetime
    goes_on: dt.datetime | None


def goes_on(updated_at: dt.datetime, keep_days: int | None) -> dt.datetime | None:
    """When retention removes a draft last saved then (retention/store.py remove_drafts:
    any draft not saved again for keep_days; a legal hold on its call keeps it longer)."""
    return None if keep_days is None else updated_at + dt.timedelta(days=keep_days)


# What the form holds before anything is typed: what it is bound to, its keys, and the
# choices it opens with (the call's language and facility, the operator as the follow-up's
# assignee, a report's severity and who is affected). None of these alone is a draft.
PRESET = frozenset({"intake_id", "call_id", "voicemail_id", "facility_id", "triage",
                    "csrf_token", "report_id", "language", "person_facility",
                    "followup_assignee", "report_severity", "report_affected"})
_BLOCK = re.compile(r"_[0-9]+$")  # report block n's fields end in _n


def typed_names(body: dict[str, Any]) -> list[str]:
    """The fields with anything typed or ticked in them (what a view of the draft names)."""
    return sorted(name for name, value in body.items()
                  if value and _BLOCK.sub("", name) not in PRESET)


def typed(body: dict[str, Any]) -> bool:
    """Anything typed or ticked in it: an empty form, or one with only what it opens with,
    is not a draft."""
    return bool(typed_names(body))


def _draft(row: asyncpg.Record, keys: KeyRing) -> Draft:
    body = keys.open_json(row["body"], place("drafts", "body", row["id"]))
    return Draft(row["id"], row["call_id"], body if isinstance(body, dict) else {},
                 row["updated_at"])


async def save(con: Conn, keys: KeyRing, user_id: int, call_id: uuid.UUID | None,
               body: dict[str, Any], base: uuid.UUID | None = None,
               revision: uuid.UUID | None = None) -> bool:
    """Insert or replace the user's draft for that call. Each save gets a new row id
    (the sealed body is bound to it), so an overwrite never opens under an old id.

    The row id is the draft's revision. With `base` (the revision the page last had), the
    draft is replaced only if it is still that one, or already `revision` (the page's
    own save sent again after an answer was lost): False if another tab's save came in
    between. `revision` is the page's name for this save (a fresh one if none)."""
    draft_id = revision or uuid.uuid4()
    sealed = keys.seal_json(body, place("drafts", "body", draft_id))
    try:
        saved = await con.fetchval(
            """INSERT INTO drafts (id, user_id, call_id, body) VALUES ($1, $2, $3, $4)
               ON CONFLICT (user_id, call_id)
               DO UPDATE SET id = EXCLUDED.id, body = EXCLUDED.body, updated_at = now()
               WHERE $5::uuid IS NULL OR drafts.id IN ($5, EXCLUDED.id)
               RETURNING id""",
            draft_id, user_id, call_id, sealed, base,
        )
    except asyncpg.UniqueViolationError:  # a revision that names another draft's row
        return False
    return saved is not None


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


async def delete(con: Conn, user_id: int, call_id: uuid.UUID | None) -> uuid.UUID | None:
    """The draft's id, if there was one."""
    found: uuid.UUID | None = await con.fetchval(
        """DELETE FROM drafts WHERE user_id = $1 AND call_id IS NOT DISTINCT FROM $2
           RETURNING id""",
        user_id, call_id,
    )
    return found


async def mine_on_calls(con: Conn, keys: KeyRing, user_id: int,
                        keep_days: int | None) -> list[OnCall]:
    """The user's drafts on calls with anything typed in them, the most recent first."""
    rows = await con.fetch(
        """SELECT d.id, d.call_id, d.body, d.updated_at, c.started_at,
                  coalesce(f.name, '') AS facility,
                  (SELECT v.id FROM voicemails v WHERE v.call_id = d.call_id
                   ORDER BY v.created_at LIMIT 1) AS voicemail_id
           FROM drafts d JOIN calls c ON c.id = d.call_id
                LEFT JOIN facilities f ON f.id = c.facility_id
           WHERE d.user_id = $1 ORDER BY d.updated_at DESC""",
        user_id,
    )
    return [OnCall(row["call_id"], row["started_at"], row["facility"], row["voicemail_id"],
                   row["updated_at"], str(body.get("a_number", "")),
                   goes_on(row["updated_at"], keep_days))
            for row, body in _typed(rows, keys)]


async def typed_on(con: Conn, keys: KeyRing, call_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of the calls have a draft with anything typed in it, by anyone. The bodies are
    opened only to tell a typed draft from an empty form's."""
    rows = await con.fetch(
        "SELECT id, call_id, body, updated_at FROM drafts WHERE call_id = ANY($1::uuid[])",
        call_ids)
    return {row["call_id"] for row, _ in _typed(rows, keys)}


async def on_call(con: Conn, keys: KeyRing, call_id: uuid.UUID,
                  keep_days: int | None) -> list[Sign]:
    """Who has a draft with anything typed in it on the call, and when they last saved it.
    The bodies are opened only to tell a typed draft from an empty form's key."""
    rows = await con.fetch(
        """SELECT d.id, d.call_id, d.body, d.updated_at, d.user_id, u.display_name
           FROM drafts d JOIN users u ON u.id = d.user_id
           WHERE d.call_id = $1 ORDER BY d.updated_at DESC""",
        call_id,
    )
    return [Sign(row["user_id"], row["display_name"], row["updated_at"],
                 goes_on(row["updated_at"], keep_days))
            for row, _ in _typed(rows, keys)]


@dataclass(frozen=True)
class Stranded:
    """An unsaved intake on an answered call that has none saved: whose, and when."""

    call_id: uuid.UUID
    call_at: dt.datetime
    sign: Sign


async def stranded(con: Conn, keys: KeyRing, missing_intake: str,
                   keep_days: int | None) -> list[Stranded]:
    """The drafts with anything typed on the calls `missing_intake` (a condition on calls c)
    selects, the soonest retention removes first."""
    rows = await con.fetch(
        f"""SELECT d.id, d.call_id, d.body, d.updated_at, d.user_id, u.display_name,
                   c.started_at
            FROM drafts d JOIN users u ON u.id = d.user_id JOIN calls c ON c.id = d.call_id
            WHERE {missing_intake} ORDER BY d.updated_at, d.id""")
    return [Stranded(row["call_id"], row["started_at"],
                     Sign(row["user_id"], row["display_name"], row["updated_at"],
                          goes_on(row["updated_at"], keep_days)))
            for row, _ in _typed(rows, keys)]


def _typed(rows: list[asyncpg.Record], keys: KeyRing
           ) -> Iterator[tuple[asyncpg.Record, dict[str, Any]]]:
    """The rows whose draft has anything typed in it, each with its opened body."""
    for row in rows:
        body = _draft(row, keys).body
        if typed(body):
            yield row, body
