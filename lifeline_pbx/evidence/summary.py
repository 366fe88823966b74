"""The summary of every facility for a period, compared with the period before it of the
same length: its period, the changes and the people figure. No I/O.

The period is whole months, as on the other evidence pages; by default the last full
quarter. Its figures are counted as the evidence pages count them (docs/decisions.md,
"The summary for oversight bodies").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from lifeline_pbx.errors import Invalid
from lifeline_pbx.evidence import months as months_
from lifeline_pbx.evidence.heatmap import Count
from lifeline_pbx.evidence.months import Months

# The page reads this period and the one before it as one range of months, which the
# evidence pages allow up to months.MAX_MONTHS long.
MAX_MONTHS = months_.MAX_MONTHS // 2

K = TypeVar("K")


def last_full_quarter(today: dt.date) -> Months:
    """The calendar quarter before today's."""
    first_of_this = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last = months_.back(first_of_this, 1)
    return Months(months_.back(first_of_this, 3), last)


def period(query: Mapping[str, str], today: dt.date) -> Months:
    """The months asked for (`from`, `to`), as the evidence pages read them; neither given:
    the last full quarter. Longer than MAX_MONTHS is refused naming `to`."""
    if not query.get("from", "").strip() and not query.get("to", "").strip():
        return last_full_quarter(today)
    found = months_.parse(query, today)
    if len(found.all) > MAX_MONTHS:
        raise Invalid(f"to: at most {MAX_MONTHS} months at once (the summary compares them "
                      "with as many before).", "to")
    return found


def before(period_: Months) -> Months:
    """The period of the same number of months just before."""
    return Months(months_.back(period_.first, len(period_.all)),
                  months_.back(period_.first, 1))


def overdue_on(period_: Months, today: dt.date) -> dt.date:
    """The day on whose first instant follow-ups are found overdue for the period: the day
    after it, or today while the period is not over."""
    return min(period_.after, today)


@dataclass(frozen=True)
class Change:
    """A figure against the previous period's: the difference and its percentage of the
    previous figure (None when that was 0)."""

    now: int
    before: int

    @property
    def difference(self) -> int:
        return self.now - self.before

    @property
    def percent(self) -> int | None:
        """Rounded half away from zero."""
        if self.before == 0:
            return None
        share = 100 * abs(self.difference) / self.before
        return int(math.copysign(math.floor(share + 0.5), self.difference))

    @property
    def text(self) -> str:
        if self.difference == 0:
            return "no change"
        if self.before == 0:
            return "new"
        return f"{self.difference:+d} ({self.percent:+d}%)"

    @property
    def direction(self) -> str:
        """up, down or same: for the page's styling and for readers of the JSON."""
        return "up" if self.difference > 0 else "down" if self.difference < 0 else "same"


@dataclass(frozen=True)
class People:
    """How many people the period's reports are about: exact, or a lower bound."""

    count: int
    at_least: bool

    @property
    def text(self) -> str:
        return f"at least {self.count}" if self.at_least else str(self.count)


def people(named: int, nameless: int, largest: int, others: int, unsized: int) -> People:
    """`named`: distinct people recorded on reports about one person; `nameless`: reports
    about one person that record no one; `largest`: each facility's largest group report
    (the people it says it is about, migrations/0045, or two), added up; `others`: the
    facilities' other group reports, not added, as they may be the same people reported
    again; `unsized`: group reports that do not say how many. Never more than the reports
    show: a lower bound ("at least") while a report records no one, a group does not say,
    or another group report at the same facility is left out."""
    return People(max(named + largest, 1 if nameless else 0),
                  bool(nameless or others or unsized))


def split(counts: Iterable[Count], period_: Months, previous: Months,
          key: str) -> tuple[dict[Any, int], dict[Any, int]]:
    """Report counts (store.counts over both periods) added up by `key` (facility_id or
    category) for the period and for the previous one."""
    now: dict[Any, int] = {}
    then: dict[Any, int] = {}
    for count in counts:
        into = (now if period_.first <= count.month <= period_.last
                else then if previous.first <= count.month <= previous.last else None)
        if into is not None:
            name = getattr(count, key)
            into[name] = into.get(name, 0) + count.reports
    return now, then


@dataclass(frozen=True)
class Line:
    """A row of a comparison table: what it counts, this period's figure and the change."""

    key: object
    label: str
    change: Change


def lines(now: Mapping[K, int], then: Mapping[K, int], labels: Mapping[K, str],
          every: bool = False) -> list[Line]:
    """A line per key counted in either period (with `every`, per key labelled too), in
    the labels' order, then any unlabelled key by its value."""
    keys = [k for k in labels if every or k in now or k in then]
    keys += sorted((k for k in {*now, *then} if k not in labels), key=str)
    return [Line(k, labels.get(k, str(k)), Change(now.get(k, 0), then.get(k, 0)))
            for k in keys]


def total(found: list[Line]) -> Change:
    return Change(sum(x.change.now for x in found), sum(x.change.before for x in found))


@dataclass(frozen=True)
class Figures:
    """One period's figures beside its report counts (summary_store.figures)."""

    calls: dict[int | None, tuple[int, int]]  # facility (None: none) -> (received, answered)
    intakes: int
    named: int  # distinct people recorded on reports about one person
    nameless: int  # reports about one person that record no one
    largest: int  # each facility's largest group report's people (or two), added up
    others: int  # the facilities' other group reports
    unsized: int  # group reports that do not say how many
    opened: int  # follow-ups
    closed: int
    overdue: int

    @property
    def received(self) -> int:
        return sum(received for received, _ in self.calls.values())

    @property
    def answered(self) -> int:
        return sum(answered for _, answered in self.calls.values())

    @property
    def people(self) -> People:
        return people(self.named, self.nameless, self.largest, self.others, self.unsized)


@dataclass(frozen=True)
class Figure:
    """A headline figure: this period's and the previous one's as written, and the change."""

    key: str
    label: str
    now: str
    before: str
    change: Change


# key -> (label, definition), in the page's order
DEFINITIONS = {
    "received": ("Calls received", (
        "Every call that reached the hotline, answered or not (messages left and calls "
        "that hung up in the menu or the queue included), in the month it started in its "
        "facility's time zone. A call on a line without a facility is counted in "
        "America/New_York.")),
    "answered": ("Calls answered", "Calls received that an operator answered."),
    "intakes": ("Intakes", (
        "Intakes saved as a record of what the caller said, on a call or typed after one "
        "or from a message, in the month saved (the intake's facility's time zone). "
        "One-click outcomes (silent call, hung up, wrong number, test call) are not "
        "counted.")),
    "reports": ("Reports", (
        "Reports of a condition or abuse, each counted once (a report about a group is "
        "one report), in the month it was recorded in its facility's time zone, not the "
        "month it happened: the figures of the Evidence pages for the same months.")),
    "people": ("People the reports are about", (
        "The people recorded on reports about one person, each once however many reports "
        "are about them, and at each facility the largest group a group report says it is "
        "about (about, as the caller said; two where it does not say). Other group reports "
        "at the same facility are not added, as they may be the same people reported "
        "again, so with them, or with a report that records no one or a group that does "
        "not say, the figure is a lower bound (\"at least\").")),
    "opened": ("Follow-ups opened", (
        "Follow-ups created in the period, about a report or intake at any facility or "
        "about a person only; in the facility's time zone (of the report, else the "
        "intake), else America/New_York.")),
    "closed": ("Follow-ups closed", "Follow-ups marked done or cancelled in the period."),
    "overdue": ("Follow-ups overdue at the end", (
        "Follow-ups still open at the end of the period (today, while it is not over) "
        "whose due date had passed by then.")),
}


def headline(now: Figures, then: Figures, reports_now: int,
             reports_then: int) -> list[Figure]:
    """The chain calls -> answered -> intakes -> reports, the people and the follow-ups."""
    counts = {"received": (now.received, then.received),
              "answered": (now.answered, then.answered),
              "intakes": (now.intakes, then.intakes),
              "reports": (reports_now, reports_then),
              "people": (now.people.count, then.people.count),
              "opened": (now.opened, then.opened), "closed": (now.closed, then.closed),
              "overdue": (now.overdue, then.overdue)}
    written = {"people": (now.people.text, then.people.text)}
    return [Figure(key, label, *written.get(key, (str(a), str(b))), Change(a, b))
            for key, (label, _) in DEFINITIONS.items() for a, b in [counts[key]]]
