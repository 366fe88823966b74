"""Reports as CSV, without names or A-numbers; cells that a spreadsheet would run as a
formula are made inert."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from lifeline_pbx.cases.reports import ReportSummary

COLUMNS = ("report_id", "created_at", "facility", "category", "severity", "occurred_from",
           "occurred_to", "affected", "housing_unit")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: str) -> str:
    """A leading quote stops =, +, -, @ (and tab/CR) being read as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def row(report: ReportSummary) -> list[str]:
    return [
        str(report.id), report.created_at.isoformat(timespec="seconds"), report.facility,
        report.category, report.severity,
        report.occurred_from.isoformat() if report.occurred_from else "",
        report.occurred_to.isoformat() if report.occurred_to else "",
        report.affected, report.housing_unit,
    ]


def to_csv(reports: Iterable[ReportSummary]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for report in reports:
        writer.writerow([inert(cell) for cell in row(report)])
    return out.getvalue()
