"""What may leave the system in an anonymised export (docs/decisions.md, "Anonymised
export"): months instead of dates, the threshold under which a facility x category x month
cell is held back, and whether a report's excerpt may go out. No I/O."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from lifeline_pbx.errors import Invalid

THRESHOLD_DEFAULT = 5
# A coordinator may raise the threshold for one export, never below this: a cell of 1 or 2
# reports at one facility in one month points at a person whoever reads it.
THRESHOLD_FLOOR = 3
THRESHOLD_MAX = 1000
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)


@functools.lru_cache(maxsize=4096)  # an export asks for few months, once per report
def month_of(day: dt.date) -> Month:
    """The month a date falls in: every date that leaves in an export is cut to this."""
    return Month(day.year, day.month)


def parse_month(value: str, name: str) -> Month | None:
    """A month typed as YYYY-MM (what <input type="month"> sends); empty: none."""
    value = value.strip()
    if not value:
        return None
    found = _MONTH.match(value)
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1900:
        raise Invalid(f"{name}: give a month as YYYY-MM.", name)
    return Month(int(found[1]), int(found[2]))


def threshold(value: str) -> int:
    """The threshold asked for: the default when empty, never under the floor."""
    value = value.strip()
    if not value:
        return THRESHOLD_DEFAULT
    if not (value.isascii() and value.isdigit()) or len(value) > 6:
        raise Invalid("threshold: a whole number of reports.", "threshold")
    number = int(value)
    if not THRESHOLD_FLOOR <= number <= THRESHOLD_MAX:
        raise Invalid(f"threshold: from {THRESHOLD_FLOOR} to {THRESHOLD_MAX} reports.",
                      "threshold")
    return number


Cell = tuple[int, str, Month]  # facility id, category code, month


def suppressed(counts: Mapping[Cell, int], limit: int) -> frozenset[Cell]:
    """The cells held back: fewer reports than the threshold (an empty cell is not in the
    data). No total over cells is published, so nothing can be subtracted back out of a
    total, and the period is whole months, so two exports over overlapping dates cannot be
    subtracted from each other either."""
    return frozenset(cell for cell, count in counts.items() if 0 < count < limit)


def excerpt_goes_out(*, consented: bool, released: bool, cell_suppressed: bool) -> bool:
    """A report's excerpt leaves only when the person consented to share the report, a
    coordinator released the excerpt, and the report's cell is published: an excerpt from
    a held-back cell would name what the threshold hides (never the narrative itself)."""
    return consented and released and not cell_suppressed
