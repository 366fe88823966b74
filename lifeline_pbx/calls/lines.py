"""Which facility and line a dialled number (DID) is, with its IVR, policy and opening hours.

A copy of every line is kept, refreshed when the configuration changes (config_watch.py).
While that copy is current, calls are routed from it; otherwise each call reads its line
from PostgreSQL, and the copy answers when the database does not. A line of a disabled
facility is out of service like a disabled line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import date
from datetime import time as clock

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.calls.hours import Hours, Span
from lifeline_pbx.calls.model import Line
from lifeline_pbx.db import DATABASE_ERRORS

log = logging.getLogger(__name__)
# The tables a line's settings come from: a change to any of them reloads the copy.
LINE_TABLES = frozenset({"facilities", "lines", "line_languages", "line_hours", "line_holidays"})
LOOKUP_SECONDS = 1.0
AWAY_FIRST = 1.0  # seconds the copy answers alone after a failed lookup, doubling
AWAY_CAP = 5.0  # a line changed by an admin is seen this soon after the database is back
LineInfo = tuple[Line, Hours]

_LINES_SQL = """
    SELECT l.*, f.name AS facility_name, f.timezone,
        coalesce((SELECT array_agg(ll.digit || ':' || ll.language ORDER BY ll.position)
                  FROM line_languages ll WHERE ll.line_id = l.id), '{}') AS menu,
        coalesce((SELECT array_agg(ARRAY[h.weekday::text, h.opens::text, h.closes::text])
                  FROM line_hours h WHERE h.line_id = l.id), '{}') AS spans,
        coalesce((SELECT array_agg(ARRAY[d.day::text, d.prompt]) FROM line_holidays d
                  WHERE d.line_id = l.id), '{}') AS holidays
    FROM lines l JOIN facilities f ON f.id = l.facility_id
    WHERE l.enabled AND f.enabled
"""


def line_info(row: asyncpg.Record) -> LineInfo:
    line = Line(
        id=row["id"],
        did=row["did"],
        facility_id=row["facility_id"],
        facility_name=row["facility_name"],
        default_language=row["default_language"],
        languages=tuple(tuple(item.split(":", 1)) for item in row["menu"]),
        triage_digit=row["triage_digit"],
        menu_timeout=float(row["menu_timeout_seconds"]),
        record_calls=row["record_calls"],
        queue_id=row["queue_id"],
        call_limit=row["call_limit_seconds"],
        limit_warning=row["limit_warning_seconds"],
        voicemail_max=row["voicemail_max_seconds"],
        max_wait=row["max_wait_seconds"],
        emergency_wait=row["emergency_wait_seconds"],
        transfer_allowed=row["transfer_allowed"],
        three_way_allowed=row["three_way_allowed"],
    )
    spans = tuple(
        Span(int(day), clock.fromisoformat(opens), clock.fromisoformat(closes))
        for day, opens, closes in row["spans"]
    )
    reasons = tuple((date.fromisoformat(day), prompt) for day, prompt in row["holidays"])
    opening = Hours(
        timezone=row["timezone"],
        spans=spans,
        holidays=frozenset(day for day, _ in reasons),
        always_open=row["always_open"],
        reasons=reasons,
    )
    return line, opening


class LineDirectory:
    """Answers from the copy while `current` says it holds what the tables hold; else
    looks DIDs up in PostgreSQL, and when it cannot, answers from the last good copy.

    A caller hears nothing until their line is known, so a lookup gets LOOKUP_SECONDS at
    most; after a failure the copy answers alone for a while (growing with each failure in
    a row), so calls do not each wait on a database that is away."""

    def __init__(self, pool: asyncpg.Pool, current: Callable[[], bool] = lambda: False) -> None:
        self._pool = pool
        self._current = current
        self._known: dict[str, LineInfo] = {}
        self._failures = 0
        self._away_until = 0.0  # monotonic time: the copy answers alone until then
        self._pending: set[asyncio.Future[asyncpg.Record | None]] = set()  # lookups given up on

    async def refresh(self) -> None:
        async with self._pool.acquire() as con:
            rows = await con.fetch(_LINES_SQL)
        known = {}
        for row in rows:
            if (found := _checked(row)) is not None:
                known[row["did"]] = found
        self._known = known

    @property
    def known(self) -> dict[str, LineInfo]:
        """The copy calls are routed from while the database is away, by DID."""
        return self._known

    async def _fetch(self, did: str) -> asyncpg.Record | None:
        async with self._pool.acquire() as con:
            row: asyncpg.Record | None = await con.fetchrow(_LINES_SQL + " AND l.did = $1", did)
            return row

    @property
    def failures(self) -> int:
        """Database errors in a row (the copy answers alone for a while after each)."""
        return self._failures

    async def find(self, did: str) -> LineInfo | None:
        if self._current() or time.monotonic() < self._away_until:
            return self._known.get(did)
        # The caller waits LOOKUP_SECONDS at most, the lookup itself may take longer: on a
        # hung server, cancelling a query and giving its connection back both wait for the
        # server (11 s measured), so the lookup is shielded and left to end on its own.
        lookup = asyncio.ensure_future(self._fetch(did))
        self._pending.add(lookup)
        lookup.add_done_callback(_settled(self._pending))
        try:
            async with asyncio.timeout(LOOKUP_SECONDS):
                row = await asyncio.shield(lookup)
        except DATABASE_ERRORS as exc:
            self._failures += 1
            wait = backoff.delay(self._failures, first=AWAY_FIRST, cap=AWAY_CAP)
            self._away_until = time.monotonic() + wait
            log.warning("line lookup from copy for %.1fs: database error %s", wait,
                        exc.__class__.__name__)
            return self._known.get(did)
        self._failures = 0
        if row is None:
            self._known.pop(did, None)
            return None
        found = _checked(row)
        if found is not None:
            self._known[did] = found
        return found


def _settled(pending: set[asyncio.Future[asyncpg.Record | None]]) -> Callable[
        [asyncio.Future[asyncpg.Record | None]], None]:
    def done(lookup: asyncio.Future[asyncpg.Record | None]) -> None:
        pending.discard(lookup)
        if not lookup.cancelled():
            lookup.exception()  # seen: a late failure was already answered from the copy
    return done


def _checked(row: asyncpg.Record) -> LineInfo | None:
    """A line whose settings cannot be used (e.g. an unknown time zone) is left out, loudly."""
    try:
        return line_info(row)
    except ValueError as exc:
        log.error("line %s has unusable settings: %s", row["id"], exc)
        return None
