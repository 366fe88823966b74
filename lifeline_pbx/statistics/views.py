"""The statistics pages: the tables with their charts, and each table as CSV.

Supervisors and admins only. The form is read from the address (periods.parse): a bad
date, range, threshold, time zone or an unknown id answers 422 naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from lifeline_pbx.resources import POOL
from lifeline_pbx.statistics import periods, table_html, tables, work
from lifeline_pbx.web.auth import require
from lifeline_pbx.web.filters import checked
from lifeline_pbx.web.render import render


@require("supervisor")
async def statistics_page(request: web.Request) -> web.StreamResponse:
    now = datetime.now(UTC)
    query = periods.parse(checked(request.query), now)
    async with request.app[POOL].acquire() as con:
        found = await work.page(con, query, now)
    shown = [tables.table(found, name) for name in work.TABLES]
    return render(request, "statistics/statistics.html", found=found, query=query,
                  tables=[(t, tables.chart(t)) for t in shown], kinds=periods.KINDS,
                  zones=periods.COMMON_ZONES, search=request.query_string,
                  operator_tables=work.OPERATOR_TABLES, table_body=table_html.body,
                  table_total=table_html.total)


@require("supervisor")
async def statistics_csv(request: web.Request) -> web.StreamResponse:
    now = datetime.now(UTC)
    table = request.match_info["table"]
    query = periods.parse(checked(request.query), now)
    async with request.app[POOL].acquire() as con:
        text = await work.csv_table(con, query, table, now)
    name = f"statistics-{table}-{query.period.first}-{query.period.last}.csv"
    return web.Response(text=text, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/statistics", statistics_page, name="statistics"),
        web.get("/statistics/{table}.csv", statistics_csv, name="statistics-csv"),
    ]
