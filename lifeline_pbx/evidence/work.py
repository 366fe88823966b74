"""What the evidence views call: one function per page, each reading in one snapshot.

Counts hold no one's data and are not audited; every excerpt opened is, as a view of its
report's excerpt (or, on the printable report, an export of it), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from lifeline_pbx import audit
from lifeline_pbx.cases import followup_rules
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Invalid, NotFound
from lifeline_pbx.evidence import heatmap, printing, store
from lifeline_pbx.evidence.excerpts import excerpt_place
from lifeline_pbx.evidence.heatmap import Filters, HeatMap
from lifeline_pbx.evidence.months import Months
from lifeline_pbx.web.filters import known

LATEST_EXCERPTS = 5  # on a facility's profile
MAX_CHOSEN = 100  # excerpts on one printable report


@dataclass(frozen=True)
class HeatMapPage:
    filters: Filters
    heat: HeatMap
    names: store.Names


async def heat_map(con: Conn, filters: Filters) -> HeatMapPage:
    async with con.transaction(isolation="repeatable_read", readonly=True):
        names = await store.names(con)
        known((("facility", filters.facility_id, names.facilities),
               ("category", filters.category, names.categories)))
        if filters.paged:
            heat = heatmap.paged(await store.ranked(con, filters, heatmap.PAGE_ROWS),
                                 filters.months, names.facilities, names.categories,
                                 heatmap.PAGE_ROWS)
        else:
            heat = heatmap.build(await store.counts(con, filters), filters.months,
                                 names.facilities, names.categories)
    return HeatMapPage(filters, heat, names)


@dataclass(frozen=True)
class Shown:
    """An excerpt opened for a page, with why it may not be printed (None: it may)."""

    report_id: uuid.UUID
    category_label: str
    month: dt.date
    text: str
    problem: str | None


@dataclass(frozen=True)
class FacilityPage:
    facility: store.Facility
    months: Months
    heat: HeatMap  # reports by category and month
    calls: dict[dt.date, int]
    follow_ups_open: int
    follow_ups: list[store.OpenFollowUp]  # those this user may open
    excerpts: list[Shown]


async def _facility(con: Conn, facility_id: int) -> tuple[store.Facility, dict[str, str]]:
    found = await store.facility(con, facility_id)
    if found is None:
        raise NotFound("There is no such facility.")
    return found, await store.categories(con)


def _open(keys: KeyRing, sealed: store.SealedExcerpt, facility_id: int,
          months: Months | None) -> Shown:
    released = printing.Released(
        sealed.report_id, sealed.facility_id, sealed.category_label, sealed.month,
        keys.open(sealed.sealed, excerpt_place(sealed.report_id)), sealed.consented,
        sealed.housing_unit)
    problem = printing.print_problem(released, facility_id, months or Months(
        sealed.month, sealed.month))
    return Shown(released.report_id, released.category_label, released.month, released.text,
                 problem)


async def facility_page(con: Conn, keys: KeyRing, facility_id: int, months: Months,
                        user_id: int, supervisor: bool) -> FacilityPage:
    """The facility's profile; the latest excerpts shown are those consent still covers."""
    async with con.transaction(isolation="repeatable_read"):
        place, categories = await _facility(con, facility_id)
        monthly = await store.monthly(con, place, months)
        total, follow_ups = await store.open_follow_ups(con, facility_id)
        latest = [e for e in await store.excerpts(con, facility_id, limit=4 * LATEST_EXCERPTS)
                  if e.consented][:LATEST_EXCERPTS]
        await audit.record_views(con, user_id, [("report", e.report_id, ("excerpt",))
                                                for e in latest])
    heat = heatmap.build(monthly.reports, months, {}, categories)
    may_open = [f for f in follow_ups
                if followup_rules.may_work(user_id, supervisor, f.assignee_id)]
    return FacilityPage(place, months, heat, monthly.calls, total, may_open,
                        [_open(keys, e, facility_id, None) for e in latest])


@dataclass(frozen=True)
class PickPage:
    facility: store.Facility
    months: Months
    excerpts: list[Shown]  # released for the facility's reports of the period


async def pick_page(con: Conn, keys: KeyRing, facility_id: int, months: Months,
                    user_id: int) -> PickPage:
    async with con.transaction(isolation="repeatable_read"):
        place, _ = await _facility(con, facility_id)
        found = await store.excerpts(con, facility_id, months)
        await audit.record_views(con, user_id, [("report", e.report_id, ("excerpt",))
                                                for e in found])
    return PickPage(place, months, [_open(keys, e, facility_id, months) for e in found])


@dataclass(frozen=True)
class Printable:
    facility: store.Facility
    months: Months
    heat: HeatMap
    excerpts: list[Shown]
    printed_at: dt.datetime


def chosen_ids(values: list[str]) -> list[uuid.UUID]:
    """The excerpts ticked (report ids), each once, in the order given; a malformed one is
    refused naming the field."""
    found: dict[uuid.UUID, None] = {}
    for value in values:
        try:
            found[uuid.UUID(value)] = None
        except ValueError:
            raise Invalid("excerpt: choose excerpts from the list.", "excerpt") from None
    if len(found) > MAX_CHOSEN:
        raise Invalid(f"excerpt: at most {MAX_CHOSEN} excerpts on one report.", "excerpt")
    return list(found)


async def printable(con: Conn, keys: KeyRing, facility_id: int, months: Months,
                    chosen: list[uuid.UUID], user_id: int) -> Printable:
    """The report to print: counts by category and month, and the excerpts ticked, each
    checked again (printing.print_problem); one that may not be printed is refused."""
    async with con.transaction(isolation="repeatable_read"):
        place, categories = await _facility(con, facility_id)
        monthly = await store.monthly(con, place, months)
        found = {e.report_id: e for e in await store.chosen_excerpts(con, chosen)}
        if set(found) != set(chosen):
            raise Invalid("excerpt: an excerpt chosen is no longer released; choose again.",
                          "excerpt")
        shown = [_open(keys, found[i], facility_id, months) for i in chosen]
        refused = [s for s in shown if s.problem]
        if refused:
            raise Invalid(f"excerpt: {len(refused)} of the excerpts chosen may not be printed "
                          f"({refused[0].problem}); choose again.", "excerpt")
        await audit.record(con, user_id, "export", "facility", facility_id,
                           ("reports_by_category_month",))
        for s in shown:
            await audit.record(con, user_id, "export", "report", s.report_id, ("excerpt",))
    return Printable(place, months, heatmap.build(monthly.reports, months, {}, categories),
                     shown, dt.datetime.now(dt.UTC))
