"""What the summary's views call: every facility's figures for a period and the period
before it, read in one snapshot, and the view or print audited in the same transaction.

The reports by facility and by category are the heat map's counts (store.counts) over
both periods at once, so each period's figures are those /evidence gives for its months.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lifeline_pbx import audit
from lifeline_pbx.db import Conn
from lifeline_pbx.evidence import store, summary, summary_store
from lifeline_pbx.evidence.heatmap import Filters
from lifeline_pbx.evidence.months import Months
from lifeline_pbx.evidence.summary import Figure, Line
from lifeline_pbx.statistics.periods import DEFAULT_ZONE

ENTITY = "evidence_summary"
# What the summary shows, as its audit entries name it: counts only, no one's record.
FIELDS = ("calls", "follow_ups", "intakes", "people_count", "reports_by_category",
          "reports_by_facility")


@dataclass(frozen=True)
class Summary:
    months: Months
    previous: Months
    figures: list[Figure]  # the headline, in summary.DEFINITIONS' order
    categories: list[Line]  # reports by category, every category
    category_total: summary.Change
    facilities: list[Line]  # reports by facility, those with calls or reports
    facility_total: summary.Change
    calls: dict[int | None, tuple[int, int]]  # this period's, by facility
    printed_at: dt.datetime

    @property
    def calls_without_facility(self) -> int:
        return self.calls.get(None, (0, 0))[0]


async def summary_page(con: Conn, months: Months, today: dt.date, user_id: int,
                       printed: bool) -> Summary:
    """The summary for the months; a view (printed: an export) audited as one entry."""
    previous = summary.before(months)
    both = Months(previous.first, months.last)
    async with con.transaction(isolation="repeatable_read"):
        names = await store.names(con)
        by_facility = await store.counts(con, Filters(both, rows="facility"))
        by_category = await store.counts(con, Filters(both, rows="category"))
        now = await summary_store.figures(con, months, summary.overdue_on(months, today),
                                          DEFAULT_ZONE)
        then = await summary_store.figures(con, previous,
                                           summary.overdue_on(previous, today), DEFAULT_ZONE)
        await audit.record(con, user_id, "export" if printed else "view", ENTITY,
                           f"{months.first:%Y-%m}..{months.last:%Y-%m}", FIELDS)
    categories = summary.lines(*summary.split(by_category, months, previous, "category"),
                               names.categories, every=True)
    facility_now, facility_then = summary.split(by_facility, months, previous, "facility_id")
    called = {f: 0 for f in now.calls if f is not None}
    facilities = summary.lines(called | facility_now, facility_then, names.facilities)
    return Summary(months, previous,
                   summary.headline(now, then, sum(facility_now.values()),
                                    sum(facility_then.values())),
                   categories, summary.total(categories), facilities,
                   summary.total(facilities), now.calls, dt.datetime.now(dt.UTC))
