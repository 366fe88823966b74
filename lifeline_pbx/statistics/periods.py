"""The statistics form: a period (day, week, month or range) in a time zone, a service-level
threshold and optional filters, read from the address or refused naming the field, and the
values the form shows again. No I/O.

Dates typed in Range from/to mean that range whatever the Period select says (the query
says which day, week or month it replaced, for the page to tell): the user who typed them
is never shown another period without a sign.

Days are the time zone's calendar days: a day is midnight to midnight there (23 or 25 hours
when the clocks change), a week starts on Monday, a month on the 1st. Times are compared
in UTC in the database: the period's ends are instants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from lifeline_pbx.errors import Invalid

KINDS = ("day", "week", "month", "range")
KIND_WORDS = {"day": "Day", "week": "Week", "month": "Month", "range": "Dates between"}
DEFAULT_ZONE = "America/New_York"
DEFAULT_THRESHOLD = 30  # seconds: the service level counts calls answered within it
MAX_THRESHOLD = 3600
MAX_RANGE_DAYS = 3700  # ten years and a little
# Zones offered first in the form (any IANA name is accepted).
COMMON_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "UTC")
FILTERS = ("facility", "line", "queue")
FIELDS = ("period", "date", "since", "until", "tz", "threshold", *FILTERS)


@dataclass(frozen=True)
class Period:
    kind: str  # one of KINDS
    first: dt.date  # the first day, in the zone
    last: dt.date  # the last day, included
    zone: str

    @property
    def start(self) -> dt.datetime:
        return midnight(self.first, self.zone)

    @property
    def end(self) -> dt.datetime:
        """The instant after the period (the next day's midnight)."""
        return midnight(self.last + dt.timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def bucket(self) -> str:
        """The trend's step: hours for a day, days up to two months, weeks up to a
        year and a half, then months."""
        if self.days == 1:
            return "hour"
        if self.days <= 62:
            return "day"
        return "week" if self.days <= 550 else "month"

    @property
    def title(self) -> str:
        """How the page names it: "Day 2024-03-12", "Dates between 2024-01-01 and ..."."""
        word, first, last = KIND_WORDS[self.kind], self.first.isoformat(), self.last.isoformat()
        if self.first == self.last:  # a range of one day is that day
            return f"{KIND_WORDS['day']} {first}"
        return f"{word} {first} {'and' if self.kind == 'range' else 'to'} {last}"


@dataclass(frozen=True)
class Query:
    period: Period
    threshold: int = DEFAULT_THRESHOLD
    facility_id: int | None = None
    line_id: int | None = None
    queue_id: int | None = None
    replaced: str | None = None  # the day, week or month asked for instead of the range


def midnight(day: dt.date, zone: str) -> dt.datetime:
    """The day's first instant in the zone, in UTC (a day that starts at 01:00 in a
    zone that skips midnight starts then)."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=_zone(zone))
    return local.astimezone(dt.UTC)


def today(zone: str, now: dt.datetime) -> dt.date:
    return now.astimezone(_zone(zone)).date()


def period_of(kind: str, day: dt.date, zone: str) -> Period:
    """The day, the Monday-to-Sunday week or the calendar month that holds `day`."""
    if kind == "day":
        return Period(kind, day, day, zone)
    if kind == "week":
        first = day - dt.timedelta(days=day.weekday())
        return Period(kind, first, first + dt.timedelta(days=6), zone)
    if kind == "month":
        first = day.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - dt.timedelta(days=1), zone)
    raise ValueError(f"not a fixed period: {kind!r}")


def parse(query: Mapping[str, str], now: dt.datetime) -> Query:
    """The form's fields; every bad one is named in one Invalid (a 422)."""
    errors: dict[str, str] = {}
    zone = query.get("tz", "").strip() or DEFAULT_ZONE
    if not known_zone(zone):
        errors["tz"] = "Choose a time zone from the list (an IANA name such as America/Chicago)."
        zone = DEFAULT_ZONE
    asked = query.get("period", "").strip()
    if asked and asked not in KINDS:
        errors["period"] = "Choose a period from the list."
    ranged = asked == "range" or any(query.get(end, "").strip() for end in ("since", "until"))
    if ranged:
        period = _range(query, zone, errors)
    else:
        day = _date(query, "date", errors) or today(zone, now)
        period = period_of(asked or "month", day, zone) if asked in ("", *KINDS) else None
    threshold = _whole(query, "threshold", errors, DEFAULT_THRESHOLD)
    if threshold is not None and not 1 <= threshold <= MAX_THRESHOLD:
        errors["threshold"] = f"Give a number of seconds from 1 to {MAX_THRESHOLD}."
    ids = {name: _whole(query, name, errors, None) for name in FILTERS}
    if errors or period is None or threshold is None:
        raise Invalid({name: f"{name}: {problem}" for name, problem in errors.items()})
    replaced = asked if ranged and asked in ("day", "week", "month") else None
    return Query(period, threshold, ids["facility"], ids["line"], ids["queue"], replaced)


def _range(query: Mapping[str, str], zone: str, errors: dict[str, str]) -> Period | None:
    first = _date(query, "since", errors)
    last = _date(query, "until", errors)
    if "since" not in errors and first is None:
        errors["since"] = "Give the first day of the range."
    if "until" not in errors and last is None:
        errors["until"] = "Give the last day of the range."
    if first is None or last is None:
        return None
    if last < first:
        errors["until"] = "The last day comes before the first."
        return None
    if (last - first).days >= MAX_RANGE_DAYS:
        errors["until"] = f"A range covers at most {MAX_RANGE_DAYS} days."
        return None
    return Period("range", first, last, zone)


def shown(query: Query) -> dict[str, str]:
    """The form's values for a query read: the period it gave, in the fields it uses."""
    period, ranged = query.period, query.period.kind == "range"
    ids = (query.facility_id, query.line_id, query.queue_id)
    return {"period": period.kind, "date": "" if ranged else period.first.isoformat(),
            "since": period.first.isoformat() if ranged else "",
            "until": period.last.isoformat() if ranged else "",
            "tz": period.zone, "threshold": str(query.threshold),
            **{name: "" if id_ is None else str(id_) for name, id_ in zip(FILTERS, ids,
                                                                          strict=True)}}


def typed(query: Mapping[str, str]) -> dict[str, str]:
    """The form's values as typed (a refused form shows them again), the period's default
    chosen if none was."""
    values = {name: query.get(name, "").strip() for name in FIELDS}
    return {**values, "period": values["period"] or "month"}


def _date(query: Mapping[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = "Give a date as YYYY-MM-DD."
        return None
    if not 1970 <= day.year <= 2200:
        errors[name] = "Give a date between 1970 and 2200."
        return None
    return day


def _whole(query: Mapping[str, str], name: str, errors: dict[str, str],
           default: int | None) -> int | None:
    value = query.get(name, "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        errors[name] = f"Choose a {name} from the list." if name in FILTERS else \
            "Give a whole number."
        return None
    return int(value)


def known_zone(name: str) -> bool:
    return len(name) <= 64 and name in _zones()


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def steps(period: Period) -> list[dt.datetime]:
    """The trend's steps in the period, as the zone's wall-clock times at which they
    start (what date_trunc gives on local times): every step, with calls or not."""
    first = dt.datetime.combine(period.first, dt.time())
    last = dt.datetime.combine(period.last, dt.time())
    if period.bucket == "hour":
        return [first + dt.timedelta(hours=h) for h in range(24)]
    if period.bucket == "day":
        return [first + dt.timedelta(days=d) for d in range(period.days)]
    if period.bucket == "week":
        at = first - dt.timedelta(days=first.weekday())
        found = []
        while at <= last:
            found.append(at)
            at += dt.timedelta(days=7)
        return found
    at, found = first.replace(day=1), []
    while at <= last:
        found.append(at)
        at = (at + dt.timedelta(days=32)).replace(day=1)
    return found


def step_label(at: dt.datetime, bucket: str) -> str:
    if bucket == "hour":
        return at.strftime("%H:00")
    return at.strftime("%Y-%m") if bucket == "month" else at.date().isoformat()
