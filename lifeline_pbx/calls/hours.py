"""Opening hours of a line, decided without I/O or clocks: the time is always passed in.

Spans are local wall-clock times in the line's timezone. A span whose end is not after its
start runs past midnight into the next day ("fri 20:00-02:00" covers Saturday 01:00); an
end equal to the start means 24 hours. Each span is turned into one interval of real time
[first moment the local clock shows `start`, first moment it shows `end`), so that:

- on the spring-forward day a start in the missing hour opens when the clocks jump
  ("sun 02:30-04:00" in New York opens at 03:00 EDT), and a span entirely inside the
  missing hour does not happen that day;
- on the fall-back day a span is one continuous interval: "sun 01:00-02:00" stays open
  through both 01:xx hours, and a span ending in the repeated hour closes at its first
  occurrence and does not open again in the second.

Holidays (closure days) are local dates. A holiday closes the spans that START on that
date, including their part after midnight; an overnight span that started the day before
runs to its end. `always_open` means open at every moment except on holidays: an admin who
closes a line for a day means it, whatever its usual hours (the whole local day is closed).
Each holiday may name the prompt a caller hears instead of the usual closed message.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """Open from `start` to `end` (local wall-clock times) on `weekday` (0=Monday..6)."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.weekday not in range(7):
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday!r}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("span times are local wall-clock times: give them no tzinfo")


@dataclass(frozen=True)
class Hours:
    timezone: str  # IANA name, e.g. "America/New_York"
    spans: tuple[Span, ...] = ()
    holidays: frozenset[date] = frozenset()
    always_open: bool = False
    reasons: tuple[tuple[date, str], ...] = ()  # (holiday, prompt spoken that day)

    def __post_init__(self) -> None:
        _zone(self.timezone)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(
            f"unknown timezone {name!r}: use an IANA name such as 'America/New_York'"
        ) from exc


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got naive {now.isoformat()}")
    return now.astimezone(UTC)


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _first_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first moment (UTC) at which the local clock shows `wall` or later."""
    guess = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall(guess, zone) == wall:
        return guess  # exists; fold=0 is the first of two occurrences on fall-back
    # In a spring-forward gap: fold=1 lands before the jump, fold=0 after it.
    # Bisect on whole seconds (tz transitions fall on whole seconds).
    lo = math.floor(wall.replace(tzinfo=zone, fold=1).timestamp())
    hi = math.ceil(guess.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _wall(datetime.fromtimestamp(mid, UTC), zone) >= wall:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def _interval(span: Span, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    end_day = day if span.end > span.start else day + _DAY
    start = datetime.combine(day, span.start.replace(fold=0))
    end = datetime.combine(end_day, span.end.replace(fold=0))
    return _first_instant(start, zone), _first_instant(end, zone)


def _intervals(hours: Hours, first: date, last: date) -> Iterator[tuple[datetime, datetime]]:
    """Non-empty [start, end) intervals (UTC) of spans starting on local dates first..last."""
    zone = _zone(hours.timezone)
    day = first
    while day <= last:
        if day not in hours.holidays:
            for span in hours.spans:
                if span.weekday == day.weekday():
                    start, end = _interval(span, day, zone)
                    if start < end:
                        yield start, end
        day += _DAY


def is_open(hours: Hours, now: datetime) -> bool:
    """Whether the line is open at `now` (timezone-aware, any zone).

    See the module docstring for overnight spans, DST days and holidays.
    """
    now_utc = _require_aware(now)
    today = _wall(now_utc, _zone(hours.timezone)).date()
    if hours.always_open:
        return today not in hours.holidays
    # A span lasts at most until the next day: only spans from yesterday and today matter.
    return any(start <= now_utc < end for start, end in _intervals(hours, today - _DAY, today))


CLOSED_PROMPT = "voicemail-closed"


def closed_prompt(hours: Hours, now: datetime) -> str:
    """What a caller hears when the line is closed at `now`: the prompt of today's holiday
    (local date) when it names one, else the usual closed message."""
    today = _wall(_require_aware(now), _zone(hours.timezone)).date()
    return dict(hours.reasons).get(today, CLOSED_PROMPT)


# How far ahead to look for the next opening: a closure may last a year (admin/line_rules).
_LOOKAHEAD_DAYS = 400


def next_opening(hours: Hours, now: datetime) -> datetime | None:
    """The first moment after `now` (UTC) at which the line opens; None when it is open now
    or never opens within a year (no spans, or closed every day ahead)."""
    now_utc = _require_aware(now)
    if is_open(hours, now_utc):
        return None
    zone = _zone(hours.timezone)
    today = _wall(now_utc, zone).date()
    for offset in range(_LOOKAHEAD_DAYS):
        day = today + offset * _DAY
        if hours.always_open:
            if day not in hours.holidays:
                return max(now_utc, _first_instant(datetime.combine(day, time()), zone))
            continue
        starts = [start for start, _ in _intervals(hours, day, day) if start > now_utc]
        if starts:
            return min(starts)
    return None


TODAY, TOMORROW = 7, 8  # the day words beside the weekdays 0 (Monday) to 6
QUARTER = 15


def spoken_opening(hours: Hours, now: datetime) -> tuple[int, int] | None:
    """What a caller is told of the next opening: (day, time) as the prompts name them.

    day: TODAY, TOMORROW, or the weekday (0=Monday); time: local hhmm (930 for 09:30),
    rounded up to the quarter hour so that the line is open at the time said. None when
    the line is open, never opens, or opens a week or more ahead (a weekday would mislead).
    """
    opening = next_opening(hours, now)
    if opening is None:
        return None
    zone = _zone(hours.timezone)
    local = _wall(opening, zone)
    late = (local.minute % QUARTER, local.second, local.microsecond) != (0, 0, 0)
    if late:
        local = local.replace(second=0, microsecond=0) + timedelta(
            minutes=QUARTER - local.minute % QUARTER)
    days = (local.date() - _wall(_require_aware(now), zone).date()).days
    if days >= 7:
        return None
    day = TODAY if days == 0 else TOMORROW if days == 1 else local.weekday()
    return day, local.hour * 100 + local.minute
