"""The anonymised export written out, CSV or JSON, as text chunks a response can send as
they come: the cells (facility x category x month, with severity) or the reports one by one.
Cells held back are written as such, without their count; no total over cells is written.
Every CSV cell is made inert for spreadsheets (cases/export.inert)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, NamedTuple

from lifeline_pbx.cases.export import inert
from lifeline_pbx.cases.forms import SEVERITIES
from lifeline_pbx.evidence.export_query import ExportQuery
from lifeline_pbx.evidence.export_rules import Cell, month_of
from lifeline_pbx.evidence.export_store import CellCount

CELL_COLUMNS = ("facility", "category", "category_label", "month", "suppressed", "reports",
                *SEVERITIES)
REPORT_COLUMNS = ("facility", "category", "category_label", "month", "severity", "affected",
                  "language", "excerpt")
CHUNK = 64 * 1024  # characters of cells gathered before a chunk is handed on
_JSON = json.JSONEncoder(ensure_ascii=False)


class OutRow(NamedTuple):
    """A report as it leaves: a month, no date; the excerpt only where it may go out."""

    facility: str
    category: str
    category_label: str
    month: str
    severity: str
    affected: str
    language: str
    excerpt: str | None

    def as_json(self) -> dict[str, Any]:
        return dict(zip(REPORT_COLUMNS, self, strict=True))


def _csv_line(cells: Iterable[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([inert(c) for c in cells])
    return out.getvalue()


def cell_cells(cell: CellCount, hidden: bool) -> list[str]:
    counts = ["", *("" for _ in SEVERITIES)] if hidden else [
        str(cell.reports), *map(str, cell.by_severity)]
    return [cell.facility, cell.category, cell.category_label, str(month_of(cell.month)),
            "yes" if hidden else "no", *counts]


def cell_json(cell: CellCount, hidden: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"facility": cell.facility, "category": cell.category,
                           "category_label": cell.category_label,
                           "month": str(month_of(cell.month)), "suppressed": hidden}
    if not hidden:
        out["reports"] = cell.reports
        out["severity"] = dict(zip(SEVERITIES, cell.by_severity, strict=True))
    return out


def about(q: ExportQuery, shape: str) -> dict[str, Any]:
    """The JSON export's header: what it holds and how it was cut, no counts over cells."""
    return {"export": f"anonymised {shape}", "threshold": q.threshold,
            "since": str(q.since) if q.since else None,
            "until": str(q.until) if q.until else None,
            "note": (f"Cells of facility x category x month with fewer than {q.threshold} "
                     "reports are suppressed" + (" (their reports are left out)."
                                                 if shape == "reports" else "."))}


def cells_csv(cells: list[CellCount], hidden: frozenset[Cell]) -> Iterator[str]:
    yield _csv_line(CELL_COLUMNS)
    yield from _gathered(_csv_line(cell_cells(c, c.key in hidden)) for c in cells)


def cells_json(q: ExportQuery, cells: list[CellCount], hidden: frozenset[Cell]) -> Iterator[str]:
    head = json.dumps(about(q, "cells"), ensure_ascii=False)
    yield head[:-1] + ', "cells": ['
    yield from _gathered(("" if n == 0 else ",") + json.dumps(cell_json(c, c.key in hidden),
                                                              ensure_ascii=False)
                         for n, c in enumerate(cells))
    yield "]}\n"


async def reports_csv(batches: AsyncIterable[list[OutRow]]) -> AsyncIterator[str]:
    """A chunk per batch of reports."""
    yield _csv_line(REPORT_COLUMNS)
    async for batch in batches:
        out = io.StringIO()
        # Only the free text is made inert: codes, months and severities are known values.
        csv.writer(out, lineterminator="\r\n").writerows(
            (inert(r.facility), r.category, inert(r.category_label), r.month, r.severity,
             r.affected, inert(r.language), inert(r.excerpt or "")) for r in batch)
        yield out.getvalue()


async def reports_json(q: ExportQuery, batches: AsyncIterable[list[OutRow]],
                       ) -> AsyncIterator[str]:
    head = json.dumps(about(q, "reports"), ensure_ascii=False)
    yield head[:-1] + ', "reports": ['
    comma = ""
    async for batch in batches:
        if batch:
            yield comma + ",".join(_JSON.encode(r.as_json()) for r in batch)
            comma = ","
    yield "]}\n"


def _gathered(parts: Iterable[str]) -> Iterator[str]:
    buffer: list[str] = []
    size = 0
    for part in parts:
        buffer.append(part)
        size += len(part)
        if size >= CHUNK:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)
