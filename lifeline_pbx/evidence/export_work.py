"""The anonymised export as a unit of work: count the cells, hold back the small ones,
audit the export, then hand out its chunks while reading the reports through a cursor.

The cells are counted and the reports read in one REPEATABLE READ snapshot, so a report
added or removed meanwhile cannot lift a held-back cell's reports into the file. The audit
entry is committed on a second connection before the first byte leaves: a download the
browser drops half-way stays audited (docs/decisions.md, "Anonymised export").
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import TypeAlias

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.cases import pick_lists, reports
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.errors import NotFound, Unavailable
from lifeline_pbx.evidence import export_format, export_rules, export_store
from lifeline_pbx.evidence.export_query import FORMATS, SHAPES, ExportQuery
from lifeline_pbx.evidence.export_rules import Cell, month_of

log = logging.getLogger(__name__)
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
AUDIT_WAIT = 10.0  # seconds
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}


@dataclass(frozen=True)
class Choices:
    facilities: pick_lists.Named
    categories: list[tuple[str, str]]


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    chunks: AsyncIterator[bytes]


async def choices(pool: Pool) -> Choices:
    async with pool.acquire() as con:
        return Choices(await pick_lists.facilities(con),
                       await reports.categories(con, enabled_only=False))


def filename(q: ExportQuery, shape: str, fmt: str) -> str:
    period = f"{q.since or 'start'}-to-{q.until or 'now'}"
    return f"anonymised-{shape}-{period}.{fmt}"


def published(keys: KeyRing, batch: list[export_store.ReportRow],
              hidden: frozenset[Cell]) -> list[export_format.OutRow]:
    """The batch's reports that may go out (none of a held-back cell), as they go out."""
    out = []
    for r in batch:
        month = month_of(r.month)
        cell_hidden = (r.facility_id, r.category, month) in hidden
        if cell_hidden:
            continue
        excerpt = None
        if export_rules.excerpt_goes_out(consented=r.consented, released=r.excerpt is not None,
                                         cell_suppressed=cell_hidden) and r.excerpt is not None:
            excerpt = keys.open(r.excerpt, place("report_excerpts", "excerpt", r.id))
        out.append(export_format.OutRow(r.facility, r.category, r.category_label, str(month),
                                        r.severity, r.affected, r.language or "", excerpt))
    return out


async def _published(keys: KeyRing, batches: AsyncIterator[list[export_store.ReportRow]],
                     hidden: frozenset[Cell]) -> AsyncIterator[list[export_format.OutRow]]:
    async for batch in batches:
        yield published(keys, batch, hidden)


async def _encoded(chunks: AsyncIterator[str] | Iterable[str]) -> AsyncIterator[bytes]:
    if isinstance(chunks, AsyncIterator):
        async for chunk in chunks:
            yield chunk.encode()
    else:
        for chunk in chunks:
            yield chunk.encode()


async def _audited(pool: Pool, user_id: int | None, what: str, fields: list[str]) -> None:
    """The entry, committed at once on a connection of its own. Waiting for one is bounded:
    exports that each hold a connection must not wait on each other for ever."""
    try:
        async with pool.acquire(timeout=AUDIT_WAIT) as con, con.transaction():
            await audit.record(con, user_id, "export", "anonymised_export", what, fields)
    except TimeoutError:
        raise Unavailable("The database is busy with other exports; try again.") from None


@contextlib.asynccontextmanager
async def opened(pool: Pool, keys: KeyRing, q: ExportQuery, shape: str, fmt: str,
                 user_id: int | None) -> AsyncIterator[Download]:
    """The export, audited; its chunks are read while this stays open."""
    if shape not in SHAPES or fmt not in FORMATS:
        raise NotFound("No such export.")
    async with pool.acquire() as con, con.transaction(isolation="repeatable_read"):
        await export_store.roomy(con)
        cells = await export_store.cells(con, q)
        hidden = export_rules.suppressed({c.key: c.reports for c in cells}, q.threshold)
        shown = [c for c in cells if c.key not in hidden]
        rows = len(cells) if shape == "cells" else sum(c.reports for c in shown)
        fields = q.audit_fields(shape, fmt, cells=len(cells), suppressed=len(hidden), rows=rows,
                                excerpts=0 if shape == "cells" else sum(c.excerpts for c in shown))
        await _audited(pool, user_id, f"{shape}.{fmt}", fields)
        log.info("anonymised export shape=%s format=%s cells=%d suppressed=%d rows=%d",
                 shape, fmt, len(cells), len(hidden), rows)
        text: AsyncIterator[str] | Iterable[str]
        if shape == "cells":
            text = (export_format.cells_csv(cells, hidden) if fmt == "csv"
                    else export_format.cells_json(q, cells, hidden))
        else:
            out = _published(keys, export_store.report_batches(con, q), hidden)
            text = (export_format.reports_csv(out) if fmt == "csv"
                    else export_format.reports_json(q, out))
        yield Download(filename(q, shape, fmt), CONTENT_TYPES[fmt], _encoded(text))
