"""Times as the pages show them: always with their zone's abbreviation (EST, EDT, UTC), so
nobody reads a UTC time as their own. The templates' `when` and `clock` filters.

Which zone is the page's choice (docs/decisions.md): the hotline's work (calls, messages,
intakes) on the statistics' clock, HOTLINE_ZONE; a report on its facility's clock; the
admins' records (audit log, runs, holds) in UTC, as the database holds them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from lifeline_pbx.statistics.periods import DEFAULT_ZONE, today

HOTLINE_ZONE = DEFAULT_ZONE


def when(moment: dt.datetime, zone: str | None = None) -> str:
    """"2025-03-01 22:15 EST": the moment on that zone's clock, or on its own (a time read
    from the database is in UTC)."""
    return _on_clock(moment, zone).strftime("%Y-%m-%d %H:%M %Z")


def hotline_when(moment: dt.datetime) -> str:
    """when() on the hotline's clock: the hotline's work as the call history shows it."""
    return when(moment, HOTLINE_ZONE)


def hotline_clock(moment: dt.datetime) -> str:
    """"22:15 EST": the time of day on the hotline's clock (a form's "Saved at")."""
    return _on_clock(moment, HOTLINE_ZONE).strftime("%H:%M %Z")


def clock(moment: dt.datetime, zone: str | None = None) -> str:
    """"22:15:07 EST": the time of day to the second, for a line under a heading that
    gives the date (a call's timeline). The templates' `clock` filter."""
    return _on_clock(moment, zone).strftime("%H:%M:%S %Z")


def _on_clock(moment: dt.datetime, zone: str | None) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("a time without its zone")
    return moment if zone is None else moment.astimezone(ZoneInfo(zone))


def hotline_today(now: dt.datetime | None = None) -> dt.date:
    """Today on the hotline's clock: what is due or overdue (not the server's date, often
    UTC, which turns to tomorrow in the American evening)."""
    return today(HOTLINE_ZONE, now or dt.datetime.now(dt.UTC))
