"""Months: the evidence pages count reports by calendar month, and take a period as a first
and a last month (YYYY-MM, both included). No I/O.

A report belongs to the month in which it was recorded, in its facility's time zone (a report
taken at 23:30 on 31 January in California is January's there, though it is February in
New York). The recording date is what every report has; the dates of what happened are
often missing or a span (docs/decisions.md, "Evidence counts by the month recorded").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from lifeline_pbx.errors import Invalid
from lifeline_pbx.statistics.periods import midnight

DEFAULT_MONTHS = 12  # the period shown when none is asked for: the last twelve months
MAX_MONTHS = 120


@dataclass(frozen=True)
class Months:
    first: dt.date  # the first day of the first month
    last: dt.date  # the first day of the last month (included)

    @property
    def all(self) -> list[dt.date]:
        return months_between(self.first, self.last)

    @property
    def after(self) -> dt.date:
        """The first day after the period."""
        return next_month(self.last)

    @property
    def label(self) -> str:
        if self.first == self.last:
            return month_label(self.first)
        return f"{month_label(self.first)} to {month_label(self.last)}"

    @property
    def query(self) -> str:
        """The period as the address gives it."""
        return f"from={self.first:%Y-%m}&to={self.last:%Y-%m}"

    def start(self, zone: str) -> dt.datetime:
        """The period's first instant in the zone."""
        return midnight(self.first, zone)

    def end(self, zone: str) -> dt.datetime:
        """The instant after the period in the zone."""
        return midnight(self.after, zone)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    found, month = [], first.replace(day=1)
    while month <= last:
        found.append(month)
        month = next_month(month)
    return found


def month_label(month: dt.date) -> str:
    return f"{month:%b %Y}"


def _month(value: str, name: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        if len(value) != 7:
            raise ValueError
        return dt.date.fromisoformat(value + "-01")
    except ValueError:
        raise Invalid(f"{name}: give a month as YYYY-MM.", name) from None


def parse(query: Mapping[str, str], today: dt.date) -> Months:
    """The period the address asks for (`from`, `to`), by default the twelve months up to
    this one; a bad month or a backwards or too long period is refused naming the field."""
    errors: dict[str, str] = {}
    found: dict[str, dt.date | None] = {}
    for name in ("from", "to"):
        try:
            found[name] = _month(query.get(name, ""), name)
        except Invalid as e:
            errors.update(e.errors)
    if errors:
        raise Invalid(errors)
    last = found["to"] or today.replace(day=1)
    first = found["from"] or back(last, DEFAULT_MONTHS - 1)
    if last < first:
        raise Invalid("to: the last month comes before the first.", "to")
    if len(months_between(first, last)) > MAX_MONTHS:
        raise Invalid(f"to: at most {MAX_MONTHS} months at once.", "to")
    return Months(first, last)


def back(month: dt.date, count: int) -> dt.date:
    """The first day of the month `count` months before `month`'s."""
    index = month.year * 12 + month.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)
