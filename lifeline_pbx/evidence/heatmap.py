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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from lifeline_pbx.errors import Invalid
from lifeline_pbx.evidence.months import Months, month_label
from lifeline_pbx.web.filters import number

SEVERITIES = ("low", "medium", "high", "critical")  # lowest first; rank = index + 1
ROWS = {"facility": "Facility", "category": "Category", "facility_category":
        "Facility and category"}
LEVELS = 5
TREND_LINES = 6  # the palette's colours: the busiest rows get a line each
# Every facility by every category is thousands of rows: a year of them at most (a table
# of 120 facilities x 19 categories x 12 months is 27,000 cells already), shown a page of
# PAGE_ROWS pairs at a time, those with most reports first (docs/decisions.md).
WIDE_MONTHS = 12
PAGE_ROWS = 50


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
    page: int = 1  # of the facility and category pairs (PAGE_ROWS a page)

    @property
    def paged(self) -> bool:
        """Whether the rows are shown a page at a time, those with most reports first:
        facility and category pairs (facilities and categories are a list to read by name)."""
        return self.rows == "facility_category"

    @property
    def query(self) -> str:
        """The filters as the address gives them (for links that keep them; the page
        not included)."""
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
    page = 1
    try:
        page = number(query, "page") or 1
    except Invalid:
        errors["page"] = "page: give a page number from 1."
    rows = query.get("rows", "").strip() or ("category" if facility_id else "facility")
    if rows not in ROWS:
        errors["rows"] = "rows: choose facility, category, or facility and category."
    elif (rows == "facility_category" and facility_id is None and not category
          and len(months.all) > WIDE_MONTHS):
        errors["rows"] = (f"rows: facility and category rows over more than {WIDE_MONTHS} "
                          "months need one facility or one category chosen.")
    if errors:
        raise Invalid(errors)
    return Filters(months, facility_id, category, severity, rows, page)


class Count(NamedTuple):
    """Reports of one row key in one month, as the database grouped them (a tuple: a year
    of facility and category pairs is 20,000 of them)."""

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
    rows: tuple[Row, ...]  # those shown: every row, or a page of them
    totals: tuple[Cell, ...]  # each month's, over every row
    total: Cell
    busiest: tuple[Row, ...] = ()  # up to TREND_LINES rows with most reports, of every row
    row_count: int = 0  # every row's, shown or not
    page: int = 1
    pages: int = 1
    page_rows: int = 0  # rows a page (0: not paged)

    @property
    def first_row(self) -> int:
        """The number (from 1) of the first row shown, among every row."""
        return (self.page - 1) * self.page_rows + 1

    @property
    def labels(self) -> list[str]:
        return [month_label(m) for m in self.months]


@functools.lru_cache(maxsize=8192)  # a wide table repeats a few hundred distinct cells
def _cell(reports: int, worst: int, top: int) -> Cell:
    return Cell(reports, severity_of(worst), shade(reports, top))


def page_of(rows: int, page_rows: int, page: int) -> tuple[int, int]:
    """The page shown of those asked for (from 1; past the last, the last) and how many
    pages `rows` rows make, `page_rows` a page."""
    pages = max(1, math.ceil(rows / page_rows))
    return min(max(1, page), pages), pages


Key = tuple[int | None, str | None]  # a row's facility and category


class _Grid:
    """Counts laid out by row key and month of the period (counts outside it left out)."""

    def __init__(self, months: Months) -> None:
        self.months = months.all
        self.column = {m: n for n, m in enumerate(self.months)}
        self.reports: dict[Key, list[int]] = {}
        self.worst: dict[Key, list[int]] = {}

    def add(self, counts: Iterable[Count]) -> None:
        width = len(self.months)
        for facility_id, category, month, n, w in counts:
            at = self.column.get(month)
            if at is None:
                continue
            key = (facility_id, category)
            own = self.reports.get(key)
            if own is None:
                own = self.reports[key] = [0] * width
                self.worst[key] = [0] * width
            own[at] += n
            if w > self.worst[key][at]:
                self.worst[key][at] = w

    def row(self, key: Key, label: str, top: int) -> Row:
        cells, marks = self.reports[key], self.worst[key]
        return Row(key[0], key[1], label,
                   tuple(_cell(n, w, top) for n, w in zip(cells, marks, strict=True)),
                   Cell(sum(cells), severity_of(max(marks))))


def _labels(facilities: Mapping[int, str], categories: Mapping[str, str]
            ) -> Callable[[Key], tuple[str, str]]:
    @functools.cache
    def label(key: Key) -> tuple[str, str]:
        facility = facilities.get(key[0], f"Facility {key[0]}") if key[0] is not None else ""
        category = categories.get(key[1], key[1]) if key[1] is not None else ""
        return facility, category

    return label


def _joined(parts: tuple[str, str]) -> str:
    return " · ".join(p for p in parts if p)


def build(counts: Iterable[Count], months: Months, facilities: Mapping[int, str],
          categories: Mapping[str, str], page_rows: int | None = None,
          page: int = 1) -> HeatMap:
    """Rows sorted by facility name then category label, or with `page_rows`, by their
    reports (most first, then by label) and only the page's rows made (a page past the
    last is the last); a month without reports is an empty cell; counts outside the period
    are left out. Shades, totals and the busiest rows are of every row."""
    grid = _Grid(months)
    grid.add(counts)
    reports, worst = grid.reports, grid.worst
    width = len(grid.months)
    top = max((max(cells) for cells in reports.values()), default=0)
    sums = {key: sum(cells) for key, cells in reports.items()}
    label = _labels(facilities, categories)

    def row(key: Key) -> Row:
        return grid.row(key, _joined(label(key)), top)

    by_reports = sorted(reports, key=lambda k: (-sums[k], label(k)))
    pages = 1
    if page_rows is None:
        keys = sorted(reports, key=label)
    else:
        page, pages = page_of(len(reports), page_rows, page)
        keys = by_reports[(page - 1) * page_rows:page * page_rows]
    month_reports = [sum(column_) for column_ in zip(*reports.values(), strict=True)] or \
        [0] * width
    month_worst = [max(column_) for column_ in zip(*worst.values(), strict=True)] or [0] * width
    totals = tuple(Cell(n, severity_of(w)) for n, w in zip(month_reports, month_worst,
                                                           strict=True))
    return HeatMap(tuple(grid.months), tuple(row(k) for k in keys), totals,
                   Cell(sum(month_reports), severity_of(max(month_worst, default=0))),
                   tuple(row(k) for k in by_reports[:TREND_LINES]), len(reports),
                   page if page_rows is not None else 1, pages, page_rows or 0)


@dataclass(frozen=True)
class Ranked:
    """Rows ranked by the database as `build` ranks them for a page (most reports first,
    then by label), and only what a page shows read: the cells of its rows and of the
    busiest (TREND_LINES) rows, each with its row's place (from 1) among every row; each
    month's reports over every row (facility and category None) with its busiest cell."""

    cells: list[tuple[int, Count]]
    months: list[tuple[Count, int]]
    rows: int  # every row's number
    page: int  # the page shown: the one asked, or the last
    pages: int


def paged(found: Ranked, months: Months, facilities: Mapping[int, str],
          categories: Mapping[str, str], page_rows: int) -> HeatMap:
    """What `build` makes of every row's counts with `page_rows`, from the rows ranked."""
    grid = _Grid(months)
    grid.add(c for _, c in found.cells)
    places = {(c.facility_id, c.category): place for place, c in found.cells}
    label = _labels(facilities, categories)
    totals = _Grid(months)
    totals.add(c for c, _ in found.months)
    month_reports = totals.reports.get((None, None), [0] * len(grid.months))
    month_worst = totals.worst.get((None, None), [0] * len(grid.months))
    top = max((busiest for c, busiest in found.months if c.month in grid.column), default=0)
    ranked = sorted(places, key=places.__getitem__)
    first = (found.page - 1) * page_rows
    return HeatMap(
        tuple(grid.months),
        tuple(grid.row(k, _joined(label(k)), top) for k in ranked
              if first < places[k] <= first + page_rows),
        tuple(Cell(n, severity_of(w)) for n, w in zip(month_reports, month_worst, strict=True)),
        Cell(sum(month_reports), severity_of(max(month_worst, default=0))),
        tuple(grid.row(k, _joined(label(k)), top) for k in ranked
              if places[k] <= TREND_LINES),
        found.rows, found.page, found.pages, page_rows)


def trend(heat: HeatMap, lines: int = TREND_LINES) -> list[tuple[str, list[float]]]:
    """A line per row for the busiest rows (most reports in the period; ties by label),
    one value per month."""
    return [(r.label, [float(c.reports) for c in r.cells]) for r in heat.busiest[:lines]]
