"""SQL for lines as admins set them: the line, its language menu, opening hours and closure
days (the engine reads the same tables in calls/lines.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

import asyncpg

from lifeline_pbx.admin.line_rules import Closure, LineSettings, key_clash
from lifeline_pbx.calls.hours import Span
from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class Line:
    id: int
    settings: LineSettings
    enabled: bool
    facility_name: str
    timezone: str  # the facility's: where the hours are read
    queue_name: str | None

    @property
    def key_clash(self) -> str | None:
        """A line saved before line_rules.key_clash was a rule may still break it."""
        return key_clash(self.settings.menu, self.settings.triage_digit)


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    prompt: str


_SELECT = """
    SELECT l.*, f.name AS facility_name, f.timezone, q.name AS queue_name,
        coalesce((SELECT array_agg(ARRAY[ll.language, ll.digit] ORDER BY ll.position)
                  FROM line_languages ll WHERE ll.line_id = l.id), '{}') AS menu,
        coalesce((SELECT array_agg(ARRAY[h.weekday::text, h.opens::text, h.closes::text]
                                   ORDER BY h.weekday, h.opens)
                  FROM line_hours h WHERE h.line_id = l.id), '{}') AS spans
      FROM lines l JOIN facilities f ON f.id = l.facility_id
      LEFT JOIN queues q ON q.id = l.queue_id"""


def _line(row: asyncpg.Record) -> Line:
    settings = LineSettings(
        did=row["did"], facility_id=row["facility_id"], name=row["name"],
        default_language=row["default_language"], queue_id=row["queue_id"],
        menu=tuple((lang, digit) for lang, digit in row["menu"]),
        always_open=row["always_open"],
        hours=tuple(Span(int(d), time.fromisoformat(o), time.fromisoformat(c))
                    for d, o, c in row["spans"]),
        triage_digit=row["triage_digit"], menu_timeout=row["menu_timeout_seconds"],
        record_calls=row["record_calls"], transfer_allowed=row["transfer_allowed"],
        three_way_allowed=row["three_way_allowed"], call_limit=row["call_limit_seconds"],
        limit_warning=row["limit_warning_seconds"],
        voicemail_max=row["voicemail_max_seconds"], max_wait=row["max_wait_seconds"])
    return Line(row["id"], settings, row["enabled"], row["facility_name"], row["timezone"],
                row["queue_name"])


async def all_lines(con: Conn) -> list[Line]:
    return [_line(r) for r in await con.fetch(f"{_SELECT} ORDER BY f.name, l.did")]


async def by_id(con: Conn, line_id: int, *, lock: bool = False) -> Line | None:
    row = await con.fetchrow(f"{_SELECT} WHERE l.id = $1{' FOR UPDATE OF l' if lock else ''}",
                             line_id)
    return None if row is None else _line(row)


async def by_did(con: Conn, did: str) -> Line | None:
    row = await con.fetchrow(f"{_SELECT} WHERE l.did = $1", did)
    return None if row is None else _line(row)


_VALUES = """did = $2, facility_id = $3, name = $4, default_language = $5, queue_id = $6,
    always_open = $7, triage_digit = $8, menu_timeout_seconds = $9, record_calls = $10,
    transfer_allowed = $11, three_way_allowed = $12, call_limit_seconds = $13,
    limit_warning_seconds = $14, voicemail_max_seconds = $15, max_wait_seconds = $16"""


def _args(s: LineSettings) -> tuple[object, ...]:
    return (s.did, s.facility_id, s.name, s.default_language, s.queue_id, s.always_open,
            s.triage_digit, s.menu_timeout, s.record_calls, s.transfer_allowed,
            s.three_way_allowed, s.call_limit, s.limit_warning, s.voicemail_max, s.max_wait)


async def did_taken(con: Conn, did: str, other_than: int | None = None) -> bool:
    return bool(await con.fetchval(
        "SELECT 1 FROM lines WHERE did = $1 AND id IS DISTINCT FROM $2", did, other_than))


async def insert(con: Conn, s: LineSettings) -> int | None:
    """The new line's id (its menu and hours written too); None if the DID is taken."""
    try:
        line_id: int = await con.fetchval(
            """INSERT INTO lines (did, facility_id, name, default_language, queue_id,
                   always_open, triage_digit, menu_timeout_seconds, record_calls,
                   transfer_allowed, three_way_allowed, call_limit_seconds,
                   limit_warning_seconds, voicemail_max_seconds, max_wait_seconds)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
               RETURNING id""", *_args(s))
    except asyncpg.UniqueViolationError:
        return None
    await _write_menu_and_hours(con, line_id, s)
    return line_id


async def update(con: Conn, line_id: int, s: LineSettings, *, menu: bool, hours: bool) -> bool:
    """False if the DID is another line's. The menu and hours are rewritten when asked."""
    try:
        await con.execute(f"UPDATE lines SET {_VALUES} WHERE id = $1", line_id, *_args(s))
    except asyncpg.UniqueViolationError:
        return False
    if menu:
        await con.execute("DELETE FROM line_languages WHERE line_id = $1", line_id)
    if hours:
        await con.execute("DELETE FROM line_hours WHERE line_id = $1", line_id)
    await _write_menu_and_hours(con, line_id, s, menu=menu, hours=hours)
    return True


async def _write_menu_and_hours(con: Conn, line_id: int, s: LineSettings, *,
                                menu: bool = True, hours: bool = True) -> None:
    if menu:
        await con.executemany(
            """INSERT INTO line_languages (line_id, position, language, digit)
               VALUES ($1, $2, $3, $4)""",
            [(line_id, i, lang, digit) for i, (lang, digit) in enumerate(s.menu, 1)])
    if hours:
        await con.executemany(
            "INSERT INTO line_hours (line_id, weekday, opens, closes) VALUES ($1, $2, $3, $4)",
            [(line_id, span.weekday, span.start, span.end) for span in s.hours])


async def set_enabled(con: Conn, line_id: int, enabled: bool) -> None:
    await con.execute("UPDATE lines SET enabled = $2 WHERE id = $1", line_id, enabled)


async def calls_in_progress(con: Conn, line_id: int) -> int:
    count: int = await con.fetchval(
        "SELECT count(*) FROM calls WHERE line_id = $1 AND ended_at IS NULL", line_id)
    return count


async def calls_on_record(con: Conn, line_id: int) -> int:
    """Calls and voicemails that name the line (they keep it from being deleted)."""
    count: int = await con.fetchval(
        """SELECT (SELECT count(*) FROM calls WHERE line_id = $1)
                + (SELECT count(*) FROM voicemails WHERE line_id = $1)""", line_id)
    return count


async def delete(con: Conn, line_id: int) -> None:
    await con.execute("DELETE FROM lines WHERE id = $1", line_id)


async def holidays(con: Conn, line_id: int) -> list[Holiday]:
    rows = await con.fetch(
        "SELECT day, name, prompt FROM line_holidays WHERE line_id = $1 ORDER BY day", line_id)
    return [Holiday(r["day"], r["name"], r["prompt"]) for r in rows]


async def add_closure(con: Conn, line_id: int, closure: Closure) -> int:
    """Each day of the closure (none already closed: line_rules.closure_problems); how
    many."""
    days: Sequence[date] = closure.days
    await con.executemany(
        "INSERT INTO line_holidays (line_id, day, name, prompt) VALUES ($1, $2, $3, $4)",
        [(line_id, day, closure.name, closure.prompt) for day in days])
    return len(days)


async def remove_holiday(con: Conn, line_id: int, day: date) -> bool:
    done = await con.fetchval(
        "DELETE FROM line_holidays WHERE line_id = $1 AND day = $2 RETURNING true", line_id, day)
    return bool(done)


async def queues(con: Conn) -> list[tuple[int, str]]:
    return [(r["id"], r["name"]) for r in await con.fetch(
        "SELECT id, name FROM queues ORDER BY name")]
