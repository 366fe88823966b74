"""Units of work on reports for supervisors: the filtered list, the CSV export, one report
with its corrections, and its printout. Each read of case data is audited in the same
transaction: the list and export by the person filtered on (if any), the export and the
printout as exports naming the fields they hold.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

from lifeline_pbx import audit
from lifeline_pbx.cases import (
    export,
    merge_history,
    people,
    person_work,
    pick_lists,
    reports,
    revision_work,
)
from lifeline_pbx.cases.revisions import Revision
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Invalid
from lifeline_pbx.web import paging

EXPORT_MAX = 100_000  # reports in one CSV; more is refused with the count, never cut
NAME_FIELDS = ("a_number", "names")


@dataclass(frozen=True)
class Listing:
    filters: reports.ReportFilter  # a person filtered on stands for those merged in too
    total: int
    at: paging.Window  # the page shown (past the end: the last)
    found: list[reports.ReportSummary]
    facilities: pick_lists.Named
    categories: list[tuple[str, str]]
    partners: list[tuple[int, str, str]]
    without_incident: int | None  # with an incident filter: those it cannot match


@dataclass(frozen=True)
class Printout:
    report: reports.Report
    person: people.Person | None  # only when names were asked for and a person is linked
    names_asked: bool
    printed_at: dt.datetime


async def _merged(con: Conn, filters: reports.ReportFilter) -> reports.ReportFilter:
    if not filters.person_ids:
        return filters
    return replace(filters, person_ids=tuple(await people.merged_ids(con,
                                                                     filters.person_ids[0])))


async def _audit_person_filter(con: Conn, user_id: int,
                               filters: reports.ReportFilter) -> None:
    if filters.person_ids:
        await audit.record(con, user_id, "view", "person", filters.person_ids[0],
                           ("reports",))


async def listing(con: Conn, filters: reports.ReportFilter, at: paging.Window,
                  user_id: int) -> Listing:
    filters = await _merged(con, filters)
    async with con.transaction():
        total = await reports.count(con, filters)
        at = paging.clamped(at, total)
        found = await reports.search(con, filters, at.per_page, at.offset)
        undated = None
        if filters.incident_from is not None or filters.incident_to is not None:
            undated = await reports.without_incident(con, filters)
        await _audit_person_filter(con, user_id, filters)
    return Listing(filters, total, at, found, await pick_lists.facilities(con),
                   await reports.categories(con, enabled_only=False),
                   await reports.partners(con), undated)


async def export_csv(con: Conn, filters: reports.ReportFilter, user_id: int) -> str:
    filters = await _merged(con, filters)
    async with con.transaction():
        total = await reports.count(con, filters, exact=True)
        if total > EXPORT_MAX:
            raise Invalid(f"{total} reports match; narrow the filters to at most "
                          f"{EXPORT_MAX}.")
        found = await reports.search(con, filters, EXPORT_MAX)
        await audit.record(con, user_id, "export", "reports", "csv", export.COLUMNS)
        await _audit_person_filter(con, user_id, filters)
    return export.to_csv(found)


async def open_report(con: Conn, keys: KeyRing, report_id: uuid.UUID, user_id: int
                      ) -> tuple[reports.Report, list[Revision], list[merge_history.Moved]]:
    """The report, its corrections (each audited as viewed) and the merges that moved it
    with its person's record (no revision: the report itself did not change)."""
    report = await person_work.open_report(con, keys, report_id, user_id)
    return (report, await revision_work.history(con, "report", report_id, user_id),
            await merge_history.report_moves(con, report_id))


async def printout(con: Conn, keys: KeyRing, report_id: uuid.UUID, user_id: int, *,
                   with_names: bool) -> Printout:
    async with con.transaction():
        report = await person_work.get_report(con, keys, report_id)
        person_id = report.summary.person_id
        person = None
        if with_names and person_id is not None:
            person = await people.get(con, keys, person_id)
        fields = [*person_work.REPORT_FIELDS, *(NAME_FIELDS if person else ())]
        await audit.record(con, user_id, "export", "report", report_id, fields)
        if person is not None:
            await audit.record(con, user_id, "export", "person", person.id, NAME_FIELDS)
    return Printout(report, person, with_names, dt.datetime.now(dt.UTC))
