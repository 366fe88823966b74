"""The daily roll-up's rules (rollup.py keeps it, rollup_store.py reads it). No I/O.

The roll-up holds, per calendar unit of the roll-up's time zone (a day, a Monday-to-Sunday
week, a month, a year) and per line, facility, queue and language, what the statistics add
up: the counts, talk time, the longest wait, the answered calls' waits and all waits
counted in bins (WAIT_EDGES). A period is read as the fewest whole units that cover its
closed days (`cover`) plus the calls themselves for the days not rolled up yet.

Every figure is the one the calls give (store.py), except the wait median and 90th
percentile: percentile_cont over the waits, each taken as its bin's upper edge (or the
longest wait, if less). Exact for waits in whole seconds up to a minute, at most
10 s high up to 5 minutes, 60 s up to 10 minutes, 300 s above. The service level is exact
for a threshold on an edge (every second up to a minute, then 70, 80, ... 300, 360, ...);
another threshold reads the calls.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from lifeline_pbx.statistics.periods import Query, midnight

GRAINS = ("day", "week", "month", "year")  # smallest first
WAIT_EDGES: tuple[int, ...] = (
    *range(1, 61), *range(70, 301, 10), *range(360, 601, 60), *range(900, 3601, 300))
BINS = len(WAIT_EDGES) + 1  # the last: longer than the last edge


def unit_start(grain: str, day: dt.date) -> dt.date:
    """The first day of the grain's unit that holds `day`."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown grain {grain!r}")


def unit_after(grain: str, start: dt.date) -> dt.date:
    """The first day after the unit that starts on `start`."""
    if grain == "day":
        return start + dt.timedelta(days=1)
    if grain == "week":
        return start + dt.timedelta(days=7)
    if grain == "month":
        return (start + dt.timedelta(days=32)).replace(day=1)
    if grain == "year":
        return start.replace(year=start.year + 1)
    raise ValueError(f"unknown grain {grain!r}")


def cover(first: dt.date, after: dt.date, grains: Sequence[str] = ("day", "month", "year")
          ) -> list[tuple[str, dt.date, dt.date]]:
    """The days [first, after) as runs of whole units, the largest that fit first:
    (grain, the run's first day, the day after its last unit). Give weeks or months and
    years, not both: a week crosses a month's end."""
    found: list[tuple[str, dt.date, dt.date]] = []
    day = first
    while day < after:
        grain = next(g for g in reversed(GRAINS) if g == "day" or (
            g in grains and unit_start(g, day) == day and unit_after(g, day) <= after))
        end = unit_after(grain, day)
        if found and found[-1][0] == grain:
            found[-1] = (grain, found[-1][1], end)
        else:
            found.append((grain, day, end))
        day = end
    return found


def with_weeks(units: Sequence[tuple[str, dt.date, dt.date]]
               ) -> list[tuple[str, dt.date, dt.date]]:
    """`cover`'s runs of days split into the whole weeks they hold and the days around
    them: what a period's groups may read (they add up every unit, whatever its calendar;
    a trend's steps may not, as a week crosses a month's end)."""
    return [run for grain, first, after in units
            for run in (cover(first, after, ("day", "week")) if grain == "day"
                        else [(grain, first, after)])]


def units_ending(grain: str, since: dt.date, until: dt.date) -> list[dt.date]:
    """The starts of the grain's units that end in (since, until] (days, exclusive ends):
    those a roll-up from `since` to `until` completes."""
    found = []
    start = unit_start(grain, since - dt.timedelta(days=1))
    while start < until:
        after = unit_after(grain, start)
        if since < after <= until:
            found.append(start)
        start = after
    return found


# The waits' bins are kept packed in one number (migration 0036): bin i is the i-th group
# of PACK_DIGITS decimal digits from the right, so adding rows adds every bin at once.
PACK_DIGITS = 10
_PACK_BASE = 10**PACK_DIGITS


def packed(bins: Sequence[int]) -> int:
    """Counts per bin as one number (what the roll-up's SQL adds up)."""
    if any(not 0 <= n < _PACK_BASE for n in bins):
        raise ValueError(f"a bin's count must be from 0 to {_PACK_BASE - 1}")
    return sum(n * _PACK_BASE**i for i, n in enumerate(bins))


_WIDTH = BINS * PACK_DIGITS
_BIN_DIGITS = tuple(slice(end - PACK_DIGITS, end) for end in range(_WIDTH, 0, -PACK_DIGITS))


def unpacked(number: str | int) -> list[int]:
    """The BINS counts of a packed number (as the database gives it, in decimal)."""
    digits = str(number)
    if not digits.isdigit() or len(digits) > _WIDTH:
        raise ValueError("not a packed count of the waits")
    digits = digits.zfill(_WIDTH)
    return [int(digits[at]) for at in _BIN_DIGITS]


def wait_bin(wait: float) -> int:
    """The bin (0-based) of a wait: the first edge it does not exceed."""
    for index, edge in enumerate(WAIT_EDGES):
        if wait <= edge:
            return index
    return len(WAIT_EDGES)


def edge_index(threshold: int) -> int | None:
    """How many bins hold the waits within the threshold, if it is an edge."""
    return WAIT_EDGES.index(threshold) + 1 if threshold in WAIT_EDGES else None


def percentiles(bins: Sequence[int], fractions: Sequence[float], longest: float | None
                ) -> list[float | None]:
    """percentile_cont of each fraction over the binned waits, each at its bin's upper
    edge or `longest` (the longest wait) if less; the bins added up once."""
    cumulative = list(itertools.accumulate(bins))
    total = cumulative[-1] if cumulative else 0
    if not total:
        return [None for _ in fractions]
    found: list[float | None] = []
    for fraction in fractions:
        position = fraction * (total - 1)
        low = int(position)
        below = _ranked(cumulative, low, longest)
        found.append(below + (_ranked(cumulative, min(low + 1, total - 1), longest) - below)
                     * (position - low))
    return found


def _ranked(cumulative: list[int], rank: int, longest: float | None) -> float:
    """The wait of the rank-th (0-based) call, given the bins' running totals."""
    index = bisect.bisect_right(cumulative, rank)
    if index == len(cumulative):
        raise ValueError("rank past the waits")
    top = float(longest or 0)
    return min(float(WAIT_EDGES[index]), top) if index < len(WAIT_EDGES) else top


# The units a step of the trend may be read from: each lies inside one step.
_TREND_GRAINS = {"day": ("day",), "week": ("day", "week"), "month": ("day", "month")}
GROUP_GRAINS = ("day", "month", "year")


def by_dimension(query: Query) -> bool:
    """Whether a period's groups are read from each dimension's own rows (call_stats_by):
    without a filter, a line's or a language's figures are those of all its calls, which
    the roll-up adds up per dimension; a filter needs the rows of every key together."""
    return query.facility_id is None and query.line_id is None and query.queue_id is None


def one_filter(query: Query) -> tuple[str, int] | None:
    """The dimension and id of the query's only filter, if it has exactly one: its
    trend is that key's own rows (call_stats_by), one a unit."""
    set_ = [(d, v) for d, v in (("facility", query.facility_id), ("line", query.line_id),
                                ("queue", query.queue_id)) if v is not None]
    return set_[0] if len(set_) == 1 else None


@dataclass(frozen=True)
class Read:
    """What to read for a period: the rolled-up units covering its first days (`cover`),
    the calls of [tail_start, tail_end), and the query's filters and threshold."""

    units: list[tuple[str, dt.date, dt.date]]
    tail_start: dt.datetime
    tail_end: dt.datetime
    query: Query
    within_bins: int  # the bins within the query's threshold (an edge)


def plan(query: Query, zone: str | None, edges: Sequence[int], rolled_until: dt.date,
         trend: bool = False) -> Read | None:
    """How to read the period from the roll-up (kept in `zone`, binned at `edges`, up to
    `rolled_until`), or None to read the calls: another zone, a threshold off the edges,
    an hourly trend, or no whole unit rolled up."""
    period = query.period
    within = edge_index(query.threshold)
    grains = _TREND_GRAINS.get(period.bucket) if trend else GROUP_GRAINS
    if zone != period.zone or tuple(edges) != WAIT_EDGES or within is None or grains is None:
        return None
    rolled = min(period.last + dt.timedelta(days=1), rolled_until)
    if rolled <= period.first:
        return None
    return Read(cover(period.first, rolled, grains), midnight(rolled, period.zone),
                period.end, query, within)
