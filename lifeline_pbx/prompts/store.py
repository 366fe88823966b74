"""SQL for languages, recorded prompts and requests to record one by phone
(migrations/0021). Functions take a connection; transactions belong to prompts/work.py.

The lines admin checks a menu with the pure rule (prompts/coverage.py); the database's
trigger on line_languages holds every writer to the same rule, refusing with
MENU_CONSTRAINT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from lifeline_pbx.db import Conn

CHANNEL = "lifeline_config"  # NOTIFY channel of configuration changes
PAYLOAD = "prompts"  # ... when a prompt file changed
MENU_CONSTRAINT = "line_languages_prompts"  # the trigger's refusal (check_violation)
NEEDED_CONSTRAINT = "prompt_recordings_needed"


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    menu_label: str
    synthesised: bool
    position: int


@dataclass(frozen=True)
class Recording:
    language: str
    name: str
    original_format: str
    duration_ms: int
    source: str
    recorded_by: str  # the user's username, "" when unknown
    recorded_at: datetime


_LANGUAGES = "SELECT code, name, menu_label, synthesised, position FROM languages"


async def languages(con: Conn) -> list[Language]:
    return [Language(**dict(r)) for r in await con.fetch(f"{_LANGUAGES} ORDER BY position, code")]


async def language(con: Conn, code: str) -> Language | None:
    row = await con.fetchrow(f"{_LANGUAGES} WHERE code = $1", code)
    return None if row is None else Language(**dict(row))


async def add_language(con: Conn, code: str, name: str, menu_label: str) -> bool:
    """Add at the end of the list; False if the code or the name is taken."""
    try:
        await con.execute(
            """INSERT INTO languages (code, name, menu_label, position)
               VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM languages))""",
            code, name, menu_label)
    except asyncpg.UniqueViolationError:
        return False
    return True


async def name_taken(con: Conn, name: str, other_than: str = "") -> bool:
    return bool(await con.fetchval(
        "SELECT 1 FROM languages WHERE lower(name) = lower($1) AND code <> $2", name, other_than))


async def update_language(con: Conn, code: str, name: str, menu_label: str) -> bool:
    done = await con.fetchval(
        "UPDATE languages SET name = $2, menu_label = $3 WHERE code = $1 RETURNING true",
        code, name, menu_label)
    return bool(done)


# Recordings


async def recorded(con: Conn) -> dict[str, frozenset[str]]:
    """language -> the prompt names recorded in it."""
    rows = await con.fetch(
        "SELECT language, array_agg(name) AS names FROM prompt_recordings GROUP BY language")
    return {r["language"]: frozenset(r["names"]) for r in rows}


async def recording(con: Conn, language: str, name: str) -> Recording | None:
    row = await con.fetchrow(
        """SELECT p.language, p.name, p.original_format, p.duration_ms, p.source,
                  coalesce(u.username, '') AS recorded_by, p.recorded_at
           FROM prompt_recordings p LEFT JOIN users u ON u.id = p.recorded_by
           WHERE p.language = $1 AND p.name = $2""", language, name)
    return None if row is None else Recording(**dict(row))


async def audio(con: Conn, language: str, name: str) -> bytes | None:
    data: bytes | None = await con.fetchval(
        "SELECT audio FROM prompt_recordings WHERE language = $1 AND name = $2", language, name)
    return data


async def digests(con: Conn) -> dict[tuple[str, str], bytes]:
    """(language, name) -> SHA-256 of the playable audio, for every recording."""
    rows = await con.fetch("SELECT language, name, sha256(audio) AS digest FROM prompt_recordings")
    return {(r["language"], r["name"]): bytes(r["digest"]) for r in rows}


async def save_recording(con: Conn, language: str, name: str, audio: bytes, original: bytes,
                         original_format: str, duration_ms: int, source: str,
                         user_id: int | None) -> bool:
    """Insert or replace; True when it replaced an earlier recording."""
    replaced: bool = await con.fetchval(
        """INSERT INTO prompt_recordings AS p (language, name, audio, original, original_format,
                                               duration_ms, source, recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (language, name) DO UPDATE SET audio = excluded.audio,
               original = excluded.original, original_format = excluded.original_format,
               duration_ms = excluded.duration_ms, source = excluded.source,
               recorded_by = excluded.recorded_by, recorded_at = now()
           RETURNING xmax <> 0""",
        language, name, audio, original, original_format, duration_ms, source, user_id)
    return replaced


async def delete_recording(con: Conn, language: str, name: str) -> bool:
    """False when there was none. Raises asyncpg.CheckViolationError (NEEDED_CONSTRAINT)
    when a line's menu needs it."""
    done = await con.fetchval(
        "DELETE FROM prompt_recordings WHERE language = $1 AND name = $2 RETURNING true",
        language, name)
    return bool(done)


async def notify(con: Conn) -> None:
    """Tell every engine that a prompt changed (delivered when the transaction commits)."""
    await con.execute("SELECT pg_notify($1, $2)", CHANNEL, PAYLOAD)


# Lines' menus


async def lines_using(con: Conn, language: str) -> list[str]:
    """The names of the lines whose menu offers `language`."""
    rows = await con.fetch(
        """SELECT l.name FROM line_languages ll JOIN lines l ON l.id = ll.line_id
           WHERE ll.language = $1 ORDER BY l.name""", language)
    return [r["name"] for r in rows]


# Recording by phone


async def request_by_phone(con: Conn, user_id: int, operator: str, language: str, name: str,
                           minutes: int) -> bool:
    """Arm the operator account's next feature-code call; False if no such account."""
    done = await con.fetchval(
        """INSERT INTO prompt_phone_requests (operator_id, user_id, language, name, expires_at)
           SELECT id, $1, $3, $4, now() + make_interval(mins => $5)
           FROM operators WHERE sip_username = $2
           ON CONFLICT (operator_id) DO UPDATE SET user_id = excluded.user_id,
               language = excluded.language, name = excluded.name,
               expires_at = excluded.expires_at
           RETURNING true""", user_id, operator, language, name, minutes)
    return bool(done)


@dataclass(frozen=True)
class PhoneRequest:
    user_id: int
    language: str
    name: str


async def take_phone_request(con: Conn, operator: str) -> PhoneRequest | None:
    """The request armed for this phone, if not expired; taken (a second call finds none)."""
    row = await con.fetchrow(
        """DELETE FROM prompt_phone_requests r USING operators o
           WHERE o.id = r.operator_id AND o.sip_username = $1
           RETURNING r.user_id, r.language, r.name, r.expires_at > now() AS alive""", operator)
    if row is None or not row["alive"]:
        return None
    return PhoneRequest(row["user_id"], row["language"], row["name"])
