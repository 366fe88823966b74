"""Times as the pages show them: always with their zone's abbreviation (EST, EDT, UTC), so
nobody reads a UTC time as their own. The templates' `when`, `day`, `month` and `clock`
filters, the only way a page shows a time (tests/test_times_shown.py).

One clock (docs/decisions.md): the hotline's, HOTLINE_ZONE (the statistics' zone), unless
the page names another: a report's Recorded on its facility's clock; the admins' records
(audit log, retention runs, alerts) in UTC, as the database and the server's logs give
them, said in their column heads."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from lifeline_pbx.statistics.periods import DEFAULT_ZONE, today

HOTLINE_ZONE = DEFAULT_ZONE


def when(moment: dt.datetime, zone: str = HOTLINE_ZONE) -> str:
    """"2025-03-01 22:15 EST": the moment on that zone's clock, the hotline's unless
    another is named."""
    return _on_clock(moment, zone).strftime("%Y-%m-%d %H:%M %Z")


def day(moment: dt.datetime, zone: str = HOTLINE_ZONE) -> str:
    """"2025-03-01": the day of the moment on that zone's clock, the hotline's unless another
    is named (a draft's last day before retention, a line "noted" on). The `day` filter."""
    return _on_clock(moment, zone).strftime("%Y-%m-%d")


def month(moment: dt.datetime, zone: str = HOTLINE_ZONE) -> str:
    """"March 2025": the month of the moment on that zone's clock (a printout's date, given
    no closer so that it does not point to a day). The `month` filter."""
    return _on_clock(moment, zone).strftime("%B %Y")


def hotline_clock(moment: dt.datetime) -> str:
    """"22:15 EST": the time of day on the hotline's clock (a form's "Saved at")."""
    return _on_clock(moment, HOTLINE_ZONE).strftime("%H:%M %Z")


def clock(moment: dt.datetime, zone: str = HOTLINE_ZONE) -> str:
    """"22:15:07 EST": the time of day to the second, for a line under a heading that
    gives the date (a call's timeline). The templates' `clock` filter."""
    return _on_clock(moment, zone).strftime("%H:%M:%S %Z")


def _on_clock(moment: dt.datetime, zone: str) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("a time without its zone")
    return moment.astimezone(ZoneInfo(zone))


def hotline_today(now: dt.datetime | None = None) -> dt.date:
    """Today on the hotline's clock: what is due or overdue (not the server's date, often
    UTC, which turns to tomorrow in the American evening)."""
    return today(HOTLINE_ZONE, now or dt.datetime.now(dt.UTC))
