"""Opening hours as tables: a line's hours and a moment in, open or closed (or when) out.

New York 2024: clocks jump 02:00 EST -> 03:00 EDT on Sun 10 March (07:00 UTC) and fall
back 02:00 EDT -> 01:00 EST on Sun 3 November (06:00 UTC). 3 June 2024 is a Monday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from lifeline_pbx.calls.hours import Hours, Span, is_open, next_opening, parse_span

NY = ZoneInfo("America/New_York")


def ny(day: str, clock: str, fold: int = 0) -> datetime:
    """A New York wall-clock moment: ny("2024-06-03", "09:00")."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=NY, fold=fold)


def utc(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)


def hours(*spans: str, holidays: tuple[str, ...] = (), zone: str = "America/New_York") -> Hours:
    return Hours(
        zone,
        tuple(parse_span(s) for s in spans),
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
    "always open, even on a holiday": (ALWAYS, ny("2024-06-03", "03:00"), True),
    "no spans: never open": (NEVER, ny("2024-06-03", "12:00"), False),
}


@pytest.mark.parametrize("line_hours,now,expected", IS_OPEN.values(), ids=IS_OPEN.keys())
def test_is_open(line_hours: Hours, now: datetime, expected: bool) -> None:
    assert is_open(line_hours, now) is expected


NEXT_OPENING = {
    "early morning: opens at 09:00": (WEEK, ny("2024-06-03", "07:00"), ny("2024-06-03", "09:00")),
    "open now: now": (WEEK, ny("2024-06-03", "10:00"), ny("2024-06-03", "10:00")),
    "after closing: the overnight span": (
        WEEK, ny("2024-06-07", "17:30"), ny("2024-06-07", "20:00"),
    ),
    "weekend: monday": (WEEK, ny("2024-06-08", "03:00"), ny("2024-06-10", "09:00")),
    "at closing: the next day": (WEEK, ny("2024-06-03", "17:00"), ny("2024-06-04", "09:00")),
    "holiday skipped": (FRI_HOLIDAY, ny("2024-06-06", "12:00"), ny("2024-06-14", "09:00")),
    "always open: now": (ALWAYS, utc("2024-06-03", "07:00"), utc("2024-06-03", "07:00")),
    "no spans: none": (NEVER, utc("2024-06-03", "07:00"), None),
    "spring: opens when clocks jump": (
        SPRING_GAP, ny("2024-03-10", "00:00"), ny("2024-03-10", "03:00"),
    ),
    "spring: gap-only span is skipped to next week": (
        SPRING_INSIDE_GAP, ny("2024-03-10", "00:00"), ny("2024-03-17", "02:10"),
    ),
    "fall: no reopening in the repeated hour": (
        FALL_OVERNIGHT, utc("2024-11-03", "05:45"), ny("2024-11-03", "09:00"),
    ),
    "fall: 09:00 EST is 14:00 UTC": (
        FALL_OVERNIGHT, utc("2024-11-03", "05:45"), utc("2024-11-03", "14:00"),
    ),
    "exactly 14 days ahead counts": (
        hours("mon 09:00-10:00", holidays=("2024-06-03", "2024-06-10")),
        ny("2024-06-03", "09:00"),
        ny("2024-06-17", "09:00"),
    ),
    "beyond 14 days: none": (
        hours("mon 09:00-10:00", holidays=("2024-06-10", "2024-06-17")),
        ny("2024-06-03", "10:30"),
        None,
    ),
}


@pytest.mark.parametrize(
    "line_hours,now,expected", NEXT_OPENING.values(), ids=NEXT_OPENING.keys()
)
def test_next_opening(line_hours: Hours, now: datetime, expected: datetime | None) -> None:
    found = next_opening(line_hours, now)
    assert found == expected
    if found is not None:
        assert found.tzinfo == ZoneInfo(line_hours.timezone)
        assert is_open(line_hours, found)
        if found != now:
            # Arithmetic in UTC: aware datetimes in one ZoneInfo add in wall-clock time.
            assert not is_open(line_hours, found.astimezone(UTC) - timedelta(seconds=1))


def test_next_opening_lands_in_the_line_zone_on_the_jump() -> None:
    found = next_opening(SPRING_GAP, ny("2024-03-10", "00:00"))
    assert found is not None
    assert (found.hour, found.minute, found.utcoffset()) == (3, 0, timedelta(hours=-4))


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "utc"])
def test_unknown_timezone_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        Hours(name, (), frozenset())


@pytest.mark.parametrize("fn", [is_open, next_opening])
def test_naive_now_is_refused(fn: object) -> None:
    assert callable(fn)
    with pytest.raises(ValueError, match="timezone-aware"):
        fn(WEEK, datetime(2024, 6, 3, 9, 0))


PARSE_OK = {
    "plain": ("mon 09:00-17:00", Span(0, time(9), time(17))),
    "upper case": ("FRI 20:00-02:00", Span(4, time(20), time(2))),
    "mixed case, spaces": ("  Sun   9:05 - 17:30 ", Span(6, time(9, 5), time(17, 30))),
    "24:00 end is midnight": ("wed 18:00-24:00", Span(2, time(18), time(0))),
    "whole day": ("sat 00:00-24:00", Span(5, time(0), time(0))),
    "equal ends: 24 h": ("thu 08:00-08:00", Span(3, time(8), time(8))),
}


@pytest.mark.parametrize("text,expected", PARSE_OK.values(), ids=PARSE_OK.keys())
def test_parse_span(text: str, expected: Span) -> None:
    assert parse_span(text) == expected


PARSE_BAD = {
    "empty": ("", "not like 'mon 09:00-17:00'"),
    "weekday only": ("mon", "not like"),
    "no end": ("mon 09:00", "not like"),
    "hours without minutes": ("mon 9-17", "not like"),
    "full weekday name": ("monday 09:00-17:00", "unknown weekday 'monday'"),
    "unknown weekday": ("xyz 09:00-17:00", "unknown weekday 'xyz'"),
    "not a number": ("mon 0a:00-17:00", "not like"),
    "hour 25": ("mon 25:00-26:00", "time '25:00' is not in 00:00 to 23:59"),
    "minute 60": ("mon 09:60-10:00", "time '09:60'"),
    "24:00 as start": ("mon 24:00-10:00", "time '24:00' is not in 00:00 to 23:59"),
    "24:30 as end": ("mon 09:00-24:30", "time '24:30' is not in 00:00 to 24:00"),
    "non-ASCII digits": ("mon \uff10\uff19:00-17:00", "not like"),
    "two spans": ("mon 09:00-12:00 13:00-17:00", "not like"),
}


@pytest.mark.parametrize("text,message", PARSE_BAD.values(), ids=PARSE_BAD.keys())
def test_parse_span_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")) as caught:
        parse_span(text)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize(
    "weekday,start,end",
    [(7, time(9), time(17)), (-1, time(9), time(17)), (0, time(9, tzinfo=UTC), time(17))],
)
def test_span_refuses_bad_values(weekday: int, start: time, end: time) -> None:
    with pytest.raises(ValueError):
        Span(weekday, start, end)
