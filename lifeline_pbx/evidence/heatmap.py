"""The heat map of reports: its filters, its rows (facility, category, or both) by month,
each cell's count, shade and highest severity, and the trend lines drawn from it. No I/O:
the database groups the reports (store.counts), these functions lay the counts out.

Shading is relative to the busiest cell of the table shown: five steps, the first for any
report at all, so that a single report never looks like none. Severity is written in the
cell as well as coloured, for print and for colour-blind readers.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lifeline_pbx.errors import Invalid
from lifeline_pbx.evidence.months import Months, month_label
from lifeline_pbx.web.filters import number

SEVERITIES = ("low", "medium", "high", "critical")  # lowest first; rank = index + 1
ROWS = {"facility": "Facility", "category": "Category", "facility_category":
        "Facility and category"}
LEVELS = 5
TREND_LINES = 6  # the palette's colours: the busiest rows get a line each
# Every facility by every category is thousands of rows: a year of them at most (a table
# of 120 facilities x 19 categories x 12 months is 27,000 cells already).
WIDE_MONTHS = 12


def rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) + 1 if severity in SEVERITIES else 0


def severity_of(rank_: int) -> str | None:
    return SEVERITIES[rank_ - 1] if 1 <= rank_ <= len(SEVERITIES) else None


def at_least(severity: str | None) -> tuple[str, ...]:
    """The severities a minimum admits (all of them without one)."""
    return SEVERITIES[max(0, rank(severity) - 1):]


def shade(count: int, top: int) -> int:
    """0 for no report, else 1..LEVELS by the count's share of the busiest cell."""
    if count <= 0 or top <= 0:
        return 0
    return min(LEVELS, max(1, math.ceil(LEVELS * count / top)))


@dataclass(frozen=True)
class Filters:
    months: Months
    facility_id: int | None = None
    category: str | None = None
    min_severity: str | None = None
    rows: str = "facility"

    @property
    def query(self) -> str:
        """The filters as the address gives them (for links that keep them)."""
        parts = [self.months.query, f"rows={self.rows}"]
        if self.facility_id is not None:
            parts.append(f"facility={self.facility_id}")
        if self.category:
            parts.append(f"category={self.category}")
        if self.min_severity:
            parts.append(f"severity={self.min_severity}")
        return "&".join(parts)


def parse(query: Mapping[str, str], months: Months) -> Filters:
    """The heat map's filters; each bad one refused naming its field. Whether the facility
    and category exist is for the unit of work to check against the database."""
    errors: dict[str, str] = {}
    facility_id = None
    try:
        facility_id = number(query, "facility")
    except Invalid:
        errors["facility"] = "facility: choose a facility from the list."
    category = query.get("category", "").strip() or None
    severity = query.get("severity", "").strip() or None
    if severity is not None and severity not in SEVERITIES:
        errors["severity"] = "severity: choose low, medium, high or critical."
    rows = query.get("rows", "").strip() or ("category" if facility_id else "facility")
    if rows not in ROWS:
        errors["rows"] = "rows: choose facility, category, or facility and category."
    elif (rows == "facility_category" and facility_id is None and not category
          and len(months.all) > WIDE_MONTHS):
        errors["rows"] = (f"rows: facility and category rows over more than {WIDE_MONTHS} "
                          "months need one facility or one category chosen.")
    if errors:
        raise Invalid(errors)
    return Filters(months, facility_id, category, severity, rows)


@dataclass(frozen=True)
class Count:
    """Reports of one row key in one month, as the database grouped them."""

    facility_id: int | None  # None when the rows are categories only
    category: str | None  # None when the rows are facilities only
    month: dt.date
    reports: int
    worst: int  # the highest severity's rank


@dataclass(frozen=True)
class Cell:
    reports: int = 0
    worst: str | None = None
    level: int = 0

    @property
    def title(self) -> str:
        if not self.reports:
            return "no reports"
        return f"{self.reports} report{'s' if self.reports != 1 else ''}, highest {self.worst}"


@dataclass(frozen=True)
class Row:
    facility_id: int | None
    category: str | None
    label: str
    cells: tuple[Cell, ...]  # one per month of the period
    total: Cell


@dataclass(frozen=True)
class HeatMap:
    months: tuple[dt.date, ...]
    rows: tuple[Row, ...]
    totals: tuple[Cell, ...]  # each month's, over every row
    total: Cell

    @property
    def labels(self) -> list[str]:
        return [month_label(m) for m in self.months]


@functools.lru_cache(maxsize=8192)  # a wide table repeats a few hundred distinct cells
def _cell(reports: int, worst: int, top: int) -> Cell:
    return Cell(reports, severity_of(worst), shade(reports, top))


def build(counts: Iterable[Count], months: Months, facilities: Mapping[int, str],
          categories: Mapping[str, str]) -> HeatMap:
    """Rows sorted by facility name then category label; a month without reports is an
    empty cell; counts outside the period are left out."""
    shown = months.all
    column = {m: n for n, m in enumerate(shown)}
    grid: dict[tuple[int | None, str | None], list[tuple[int, int]]] = {}
    for c in counts:
        if c.month not in column:
            continue
        cells = grid.setdefault((c.facility_id, c.category), [(0, 0)] * len(shown))
        old = cells[column[c.month]]
        cells[column[c.month]] = (old[0] + c.reports, max(old[1], c.worst))
    top = max((n for cells in grid.values() for n, _ in cells), default=0)

    def label(key: tuple[int | None, str | None]) -> tuple[str, str]:
        facility = facilities.get(key[0], f"Facility {key[0]}") if key[0] is not None else ""
        category = categories.get(key[1], key[1]) if key[1] is not None else ""
        return facility, category

    rows = []
    for key in sorted(grid, key=label):
        cells = grid[key]
        total = sum(n for n, _ in cells)
        worst = max(w for _, w in cells)
        rows.append(Row(key[0], key[1], " · ".join(p for p in label(key) if p),
                        tuple(_cell(n, w, top) for n, w in cells), Cell(total,
                                                                        severity_of(worst))))
    by_month = list(zip(*grid.values(), strict=True)) or [() for _ in shown]
    totals = tuple(Cell(sum(n for n, _ in month), severity_of(max((w for _, w in month),
                                                                  default=0)))
                   for month in by_month)
    return HeatMap(tuple(shown), tuple(rows), totals,
                   Cell(sum(t.reports for t in totals),
                        severity_of(max((rank(t.worst) for t in totals), default=0))))


def trend(heat: HeatMap, lines: int = TREND_LINES) -> list[tuple[str, list[float]]]:
    """A line per row for the busiest rows (most reports in the period; ties by label),
    one value per month."""
    busiest = sorted(heat.rows, key=lambda r: (-r.total.reports, r.label))[:lines]
    return [(r.label, [float(c.reports) for c in r.cells]) for r in busiest]
