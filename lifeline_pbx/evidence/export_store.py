"""The SQL of the anonymised export: reports counted by facility x category x month (with
severity), the reports themselves one by one through a cursor, and what the form offers.

A report's month is the month it was recorded in, in its facility's time zone: the same
month as on the evidence pages (evidence/store.py), so an exported cell and its heat-map
cell agree. (When it happened is often unknown or a span.) Only months leave this
module: no date, id, person, housing unit or narrative is selected.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import NamedTuple

from lifeline_pbx.cases.forms import SEVERITIES
from lifeline_pbx.db import Conditions, Conn
from lifeline_pbx.evidence.export_query import ExportQuery
from lifeline_pbx.evidence.export_rules import Cell, month_of
from lifeline_pbx.evidence.store import RECORDED_MONTH

_FROM = """reports r JOIN facilities f ON f.id = r.facility_id
           JOIN report_categories c ON c.code = r.category"""
# An excerpt counts as consented to when the report has any partner consent (report_consents).
_CONSENTED = "EXISTS (SELECT 1 FROM report_consents rc WHERE rc.report_id = r.id)"
BATCH = 1000  # reports read (and written out) at a time
SORT_MEMORY = "48MB"


@dataclass(frozen=True)
class CellCount:
    facility_id: int
    facility: str
    category: str
    category_label: str
    month: dt.date  # its first day
    reports: int
    by_severity: tuple[int, ...]  # in the order of forms.SEVERITIES
    excerpts: int  # released for reports whose person consented

    @property
    def key(self) -> Cell:
        return (self.facility_id, self.category, month_of(self.month))


class ReportRow(NamedTuple):
    """A report as read for the export (a tuple: 100,000 of them are built per export)."""

    id: uuid.UUID  # for opening its excerpt, never written out
    facility_id: int
    facility: str
    category: str
    category_label: str
    month: dt.date
    severity: str
    affected: str
    language: str | None
    consented: bool
    excerpt: bytes | None  # sealed, as released


def where(q: ExportQuery) -> tuple[str, list[object]]:
    found = Conditions()
    if q.since is not None:
        found.add(f"{RECORDED_MONTH} >= $?", q.since.first_day)
    if q.until is not None:
        found.add(f"{RECORDED_MONTH} <= $?", q.until.first_day)
    if q.facility_ids:
        found.add("r.facility_id = ANY($?::bigint[])", list(q.facility_ids))
    if q.categories:
        found.add("r.category = ANY($?::text[])", list(q.categories))
    return found.where()


_SEVERITY_COUNTS = ", ".join(f"count(*) FILTER (WHERE r.severity = '{s}')" for s in SEVERITIES)


def cells_sql(clause: str) -> str:
    """Counted by ids first (a hash over a few thousand cells), named after."""
    return f"""WITH counted AS (
                   SELECT r.facility_id, r.category, {RECORDED_MONTH} AS month, count(*) AS reports,
                          ARRAY[{_SEVERITY_COUNTS}] AS by_severity,
                          count(*) FILTER (WHERE e.report_id IS NOT NULL AND {_CONSENTED})
                              AS excerpts
                     FROM reports r JOIN facilities f ON f.id = r.facility_id
                     LEFT JOIN report_excerpts e ON e.report_id = r.id
                    WHERE {clause}
                    GROUP BY r.facility_id, r.category, month)
               SELECT k.*, fk.name AS facility, c.label AS category_label
                 FROM counted k JOIN facilities fk ON fk.id = k.facility_id
                 JOIN report_categories c ON c.code = k.category
                ORDER BY fk.name, fk.id, c.position, c.label, k.month"""


def rows_sql(clause: str) -> str:
    """In the order of the cells' ids and the rows' codes, so that no row's place says
    when it was written (byte order: no collation to look up for 100,000 rows)."""
    return f"""SELECT r.id, r.facility_id, f.name AS facility, r.category,
                      c.label AS category_label, {RECORDED_MONTH} AS month, r.severity, r.affected,
                      r.language, {_CONSENTED} AS consented, e.excerpt
                 FROM {_FROM} LEFT JOIN report_excerpts e ON e.report_id = r.id
                WHERE {clause}
                ORDER BY r.facility_id, r.category COLLATE "C", month, r.severity COLLATE "C",
                         r.affected COLLATE "C", r.language COLLATE "C" NULLS FIRST"""


async def roomy(con: Conn) -> None:
    """For the export's transaction: room to sort 100,000 reports in memory, and no JIT
    compiling (a fifth of a second per query, for queries that read every report once)."""
    await con.execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'; SET LOCAL jit = off")


async def cells(con: Conn, q: ExportQuery) -> list[CellCount]:
    clause, args = where(q)
    rows = await con.fetch(cells_sql(clause), *args)
    return [CellCount(r["facility_id"], r["facility"], r["category"], r["category_label"],
                      r["month"], r["reports"], tuple(r["by_severity"]), r["excerpts"])
            for r in rows]


async def report_batches(con: Conn, q: ExportQuery,
                         size: int = BATCH) -> AsyncIterator[list[ReportRow]]:
    """The reports in the cells' order, a batch at a time through a cursor: the caller
    holds the transaction whose snapshot the cells were counted in."""
    clause, args = where(q)
    cursor = await con.cursor(rows_sql(clause), *args)
    while batch := await cursor.fetch(size):
        yield [ReportRow._make(r.values()) for r in batch]
