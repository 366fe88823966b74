"""The statistics pages: the tables with their charts, and each table as CSV.

Supervisors and admins only. The form is read from the address (periods.parse): a bad
date, range, threshold, time zone or an unknown id answers 422 naming the field, on the
page (its form again with what was typed, each problem beside its field, no figures) or,
for a CSV, on the error page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from lifeline_pbx.errors import Invalid
from lifeline_pbx.resources import POOL
from lifeline_pbx.statistics import periods, store, table_html, tables, work
from lifeline_pbx.web.auth import require
from lifeline_pbx.web.errors import form_again, page_of
from lifeline_pbx.web.filters import checked
from lifeline_pbx.web.render import render

TEMPLATE = "statistics/statistics.html"


@require("supervisor")
async def statistics_page(request: web.Request) -> web.StreamResponse:
    try:
        async with request.app[POOL].acquire() as con:
            found = await work.page(con, request.query, datetime.now(UTC))
    except Invalid as e:
        return form_again(request, e, TEMPLATE, names=page_of(e, store.Names),
                          values=periods.typed(request.query), kinds=periods.KIND_WORDS,
                          zones=periods.COMMON_ZONES)
    shown = [tables.table(found, name) for name in work.TABLES]
    return render(request, TEMPLATE, found=found, names=found.names, errors={},
                  values=periods.shown(found.query), query=found.query,
                  tables=[(t, tables.chart(t)) for t in shown], search=request.query_string,
                  operator_tables=work.OPERATOR_TABLES, table_body=table_html.body,
                  table_total=table_html.total, kinds=periods.KIND_WORDS,
                  zones=periods.COMMON_ZONES)


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
