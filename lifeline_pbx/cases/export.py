"""Reports as CSV for the NGO's own use (the list's "CSV for internal use"): without names,
A-numbers or narratives, but with housing units, exact times and report ids, so it is not
for partners (evidence/export is the anonymised one). Times are on the facility's clock,
the one the list's Recorded from/to filter by. Cells that a spreadsheet would run as a
formula are made inert. `people` is about how many a group report is about, empty when
not given (and always for a report about one person)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from lifeline_pbx.cases.forms import language_name
from lifeline_pbx.cases.reports import ReportSummary

COLUMNS = ("report_id", "created_at", "facility", "category", "category_label", "severity",
           "language", "language_label", "occurred_from", "occurred_to", "affected",
           "people", "housing_unit")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: str) -> str:
    """A leading quote stops =, +, -, @ (and tab/CR) being read as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def row(report: ReportSummary) -> list[str]:
    return [
        str(report.id), report.recorded.isoformat(timespec="seconds"), report.facility,
        report.category, report.category_label, report.severity, report.language or "",
        language_name(report.language) if report.language else "",
        report.occurred_from.isoformat() if report.occurred_from else "",
        report.occurred_to.isoformat() if report.occurred_to else "",
        report.affected, "" if report.people is None else str(report.people),
        report.housing_unit,
    ]


def to_csv(reports: Iterable[ReportSummary]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for report in reports:
        writer.writerow([inert(cell) for cell in row(report)])
    return out.getvalue()
