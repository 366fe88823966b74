"""Opening hours as tables: a line's hours and a moment in, open or closed out.

New York 2024: clocks jump 02:00 EST -> 03:00 EDT on Sun 10 March (07:00 UTC) and fall
back 02:00 EDT -> 01:00 EST on Sun 3 November (06:00 UTC). 3 June 2024 is a Monday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from lifeline_pbx.calls.hours import (
    CLOSED_PROMPT,
    TODAY,
    TOMORROW,
    Hours,
    Span,
    closed_prompt,
    is_open,
    next_opening,
    spoken_opening,
)

NY = ZoneInfo("America/New_York")


def ny(day: str, clock: str, fold: int = 0) -> datetime:
    """A New York wall-clock moment: ny("2024-06-03", "09:00")."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=NY, fold=fold)


def utc(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)


def span(text: str) -> Span:
    """ "fri 20:00-02:00" -> Span(4, 20:00, 02:00); an end of 24:00 is midnight."""
    day, clock = text.split()
    start, end = clock.split("-")
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(day)
    return Span(weekday, time.fromisoformat(start),
                time(0) if end == "24:00" else time.fromisoformat(end))


def hours(*spans: str, holidays: tuple[str, ...] = (), zone: str = "America/New_York") -> Hours:
    return Hours(
        zone,
        tuple(span(s) for s in spans),
        frozenset(date.fromisoformat(d) for d in holidays),
    )


WEEK = hours(
    "mon 09:00-17:00", "tue 09:00-17:00", "wed 09:00-17:00", "thu 09:00-17:00",
    "fri 09:00-17:00", "fri 20:00-02:00",
)
FRI_HOLIDAY = hours("fri 09:00-17:00", "fri 20:00-02:00", holidays=("2024-06-07",))
SAT_HOLIDAY = hours("fri 20:00-02:00", "sat 09:00-17:00", holidays=("2024-06-08",))
ALL_DAY_SUNDAY = hours("sun 00:00-24:00")
SPRING_GAP = hours("sun 02:30-04:00")
SPRING_ACROSS = hours("sun 01:00-03:00", "sun 09:00-17:00")
SPRING_INSIDE_GAP = hours("sun 02:10-02:50")
FALL_REPEATED = hours("sun 01:00-02:00")
FALL_OVERNIGHT = hours("sat 22:00-01:30", "sun 09:00-10:00")
ALWAYS = Hours("America/New_York", (), frozenset({date(2024, 6, 3)}), always_open=True)
NEVER = Hours("America/New_York", (), frozenset())

IS_OPEN = {
    "before opening": (WEEK, ny("2024-06-03", "08:59"), False),
    "at opening": (WEEK, ny("2024-06-03", "09:00"), True),
    "last minute": (WEEK, ny("2024-06-03", "16:59:59"), True),
    "at closing": (WEEK, ny("2024-06-03", "17:00"), False),
    "UTC now, summer: 13:00 UTC is 09:00 EDT": (WEEK, utc("2024-06-03", "13:00"), True),
    "UTC now, winter: 13:00 UTC is 08:00 EST": (WEEK, utc("2024-01-08", "13:00"), False),
    "now in another zone": (
        WEEK, datetime(2024, 6, 3, 15, 30, tzinfo=ZoneInfo("Europe/Berlin")), True,
    ),
    "fixed-offset now": (WEEK, datetime(2024, 6, 3, 9, 30, tzinfo=timezone(-timedelta(hours=4))),
                         True),
    "weekend": (WEEK, ny("2024-06-09", "12:00"), False),
    "overnight: friday evening": (WEEK, ny("2024-06-07", "23:00"), True),
    "overnight: saturday 01:00": (WEEK, ny("2024-06-08", "01:00"), True),
    "overnight: ends saturday 02:00": (WEEK, ny("2024-06-08", "02:00"), False),
    "overnight: between spans": (WEEK, ny("2024-06-07", "19:59"), False),
    "holiday closes its day": (FRI_HOLIDAY, ny("2024-06-07", "10:00"), False),
    "holiday closes a span starting on it": (FRI_HOLIDAY, ny("2024-06-07", "21:00"), False),
    "...including its part after midnight": (FRI_HOLIDAY, ny("2024-06-08", "01:00"), False),
    "the day after a holiday is normal": (FRI_HOLIDAY, ny("2024-06-14", "10:00"), True),
    "overnight span runs into a holiday": (SAT_HOLIDAY, ny("2024-06-08", "01:00"), True),
    "the holiday's own span is closed": (SAT_HOLIDAY, ny("2024-06-08", "10:00"), False),
    "24 h span: start": (ALL_DAY_SUNDAY, ny("2024-06-09", "00:00"), True),
    "24 h span: last second": (ALL_DAY_SUNDAY, ny("2024-06-09", "23:59:59"), True),
    "24 h span: next day": (ALL_DAY_SUNDAY, ny("2024-06-10", "00:00"), False),
    "24 h span on fall-back day lasts 25 h": (ALL_DAY_SUNDAY, utc("2024-11-04", "04:59"), True),
    "24 h span on fall-back day then closes": (ALL_DAY_SUNDAY, utc("2024-11-04", "05:00"), False),
    "spring: before the jump, start in gap": (SPRING_GAP, utc("2024-03-10", "06:59:59"), False),
    "spring: opens when clocks jump": (SPRING_GAP, utc("2024-03-10", "07:00"), True),
    "spring: closes at 04:00 EDT": (SPRING_GAP, utc("2024-03-10", "08:00"), False),
    "spring: 01:00 EST open": (SPRING_ACROSS, utc("2024-03-10", "06:00"), True),
    "spring: 01:59 EST open": (SPRING_ACROSS, utc("2024-03-10", "06:59"), True),
    "spring: 03:00 EDT closed": (SPRING_ACROSS, utc("2024-03-10", "07:00"), False),
    "spring: 09:00 EDT is 13:00 UTC": (SPRING_ACROSS, utc("2024-03-10", "13:00"), True),
    "spring: 12:59 UTC is 08:59 EDT": (SPRING_ACROSS, utc("2024-03-10", "12:59"), False),
    "spring: span inside the gap never opens": (
        SPRING_INSIDE_GAP, utc("2024-03-10", "07:00"), False,
    ),
    "fall: 00:59 EDT closed": (FALL_REPEATED, utc("2024-11-03", "04:59"), False),
    "fall: first 01:00 (EDT) open": (FALL_REPEATED, utc("2024-11-03", "05:00"), True),
    "fall: second 01:30 (EST) open": (FALL_REPEATED, utc("2024-11-03", "06:30"), True),
    "fall: 02:00 EST closed": (FALL_REPEATED, utc("2024-11-03", "07:00"), False),
    "fall: overnight open until first 01:30": (FALL_OVERNIGHT, utc("2024-11-03", "05:29"), True),
    "fall: closed at first 01:30": (FALL_OVERNIGHT, utc("2024-11-03", "05:30"), False),
    "fall: does not reopen in second 01:xx": (FALL_OVERNIGHT, utc("2024-11-03", "06:15"), False),
    "always open, but not on a holiday": (ALWAYS, ny("2024-06-03", "03:00"), False),
    "always open, the day after a holiday": (ALWAYS, ny("2024-06-04", "00:00"), True),
    "always open, the holiday's last second": (ALWAYS, ny("2024-06-03", "23:59:59"), False),
    "no spans: never open": (NEVER, ny("2024-06-03", "12:00"), False),
}


@pytest.mark.parametrize("line_hours,now,expected", IS_OPEN.values(), ids=IS_OPEN.keys())
def test_is_open(line_hours: Hours, now: datetime, expected: bool) -> None:
    assert is_open(line_hours, now) is expected


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "utc"])
def test_unknown_timezone_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        Hours(name, (), frozenset())


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(WEEK, datetime(2024, 6, 3, 9, 0))


@pytest.mark.parametrize(
    "weekday,start,end",
    [(7, time(9), time(17)), (-1, time(9), time(17)), (0, time(9, tzinfo=UTC), time(17))],
)
def test_span_refuses_bad_values(weekday: int, start: time, end: time) -> None:
    with pytest.raises(ValueError):
        Span(weekday, start, end)


CLOSURE = Hours("America/Los_Angeles", (), frozenset({date(2024, 12, 25)}), always_open=True,
                reasons=((date(2024, 12, 25), "technical-difficulty"),))
CLOSED_PROMPTS = {
    "the holiday's own prompt, by the line's local date": (
        CLOSURE, datetime(2024, 12, 25, 12, 0, tzinfo=ZoneInfo("America/Los_Angeles")),
        "technical-difficulty"),
    "already the 25th in New York, still the 24th in Los Angeles": (
        CLOSURE, datetime(2024, 12, 25, 1, 0, tzinfo=NY), CLOSED_PROMPT),
    "a day without a holiday": (CLOSURE, utc("2024-12-27", "20:00"), CLOSED_PROMPT),
    "a holiday without a prompt of its own": (
        hours(holidays=("2024-12-25",)), ny("2024-12-25", "10:00"), CLOSED_PROMPT),
}


@pytest.mark.parametrize(("line_hours", "now", "expected"), CLOSED_PROMPTS.values(),
                         ids=CLOSED_PROMPTS.keys())
def test_closed_prompt(line_hours: Hours, now: datetime, expected: str) -> None:
    assert closed_prompt(line_hours, now) == expected


LONG_CLOSURE = hours("mon 09:00-17:00", holidays=("2024-06-03", "2024-06-10", "2024-06-17"))
NEXT_OPENING = {
    # (hours, now) -> the next opening (UTC), and what the caller is told (day, hhmm)
    "open now: nothing to tell": (WEEK, ny("2024-06-03", "10:00"), None, None),
    "before opening: today": (
        WEEK, ny("2024-06-03", "07:10"), ny("2024-06-03", "09:00"), (TODAY, 900)),
    "after closing: tomorrow": (
        WEEK, ny("2024-06-03", "18:00"), ny("2024-06-04", "09:00"), (TOMORROW, 900)),
    "friday evening gap: the overnight span tonight": (
        WEEK, ny("2024-06-07", "18:00"), ny("2024-06-07", "20:00"), (TODAY, 2000)),
    "after the overnight span: monday, by its weekday": (
        WEEK, ny("2024-06-08", "03:00"), ny("2024-06-10", "09:00"), (0, 900)),
    "a holiday friday: the next is a week ahead, not said": (
        FRI_HOLIDAY, ny("2024-06-07", "10:00"), ny("2024-06-14", "09:00"), None),
    "always open, on the holiday: midnight after it": (
        ALWAYS, ny("2024-06-03", "15:00"), ny("2024-06-04", "00:00"), (TOMORROW, 0)),
    "no spans: never": (NEVER, ny("2024-06-03", "12:00"), None, None),
    "closed every monday for weeks: said only within a week": (
        LONG_CLOSURE, ny("2024-06-03", "10:00"), ny("2024-06-24", "09:00"), None),
    "an odd minute is said as the next quarter hour": (
        hours("mon 09:05-17:00"), ny("2024-06-03", "08:00"), ny("2024-06-03", "09:05"),
        (TODAY, 915)),
    "a quarter to midnight rounds into tomorrow": (
        hours("mon 23:50-23:55"), ny("2024-06-03", "08:00"), ny("2024-06-03", "23:50"),
        (TOMORROW, 0)),
    "spring forward: a start in the missing hour opens when the clocks jump": (
        SPRING_GAP, ny("2024-03-10", "01:00"), utc("2024-03-10", "07:00"), (TODAY, 300)),
}


@pytest.mark.parametrize(("line_hours", "now", "opening", "spoken"), NEXT_OPENING.values(),
                         ids=NEXT_OPENING.keys())
def test_next_opening(line_hours: Hours, now: datetime, opening: datetime | None,
                      spoken: tuple[int, int] | None) -> None:
    assert next_opening(line_hours, now) == opening
    assert spoken_opening(line_hours, now) == spoken
