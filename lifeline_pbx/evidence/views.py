"""The evidence pages: the heat map with its trend lines, the summary of every facility
for oversight bodies (on screen and to print), a facility's profile, the pick form of a
printable facility report and the report itself.

Coordinators (the supervisor role) and admins only. The filters are read from the address:
a bad month, an unknown facility or category answers 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from lifeline_pbx.evidence import (
    charts,
    heat_html,
    heatmap,
    months,
    summary,
    summary_work,
    work,
)
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.filters import checked
from lifeline_pbx.web.render import render
from lifeline_pbx.web.times import hotline_today

FACILITY = r"{facility_id:\d{1,18}}"


def _months(query: Mapping[str, str]) -> months.Months:
    return months.parse(checked(query), hotline_today())


def _facility_id(request: web.Request) -> int:
    return int(request.match_info["facility_id"])


@require("supervisor")
async def heat_map_page(request: web.Request) -> web.StreamResponse:
    filters = heatmap.parse(request.query, _months(request.query))
    async with request.app[POOL].acquire() as con:
        found = await work.heat_map(con, filters)
    return render(request, "evidence/heat_map.html", page=found, filters=filters,
                  heat=found.heat, chart=charts.trend("chart-trend", found.heat, filters.rows),
                  severities=heatmap.SEVERITIES, row_choices=heatmap.ROWS,
                  heat_cells=heat_html.cells)


@require("supervisor")
async def facility_page(request: web.Request) -> web.StreamResponse:
    period = _months(request.query)
    user = current_user(request)
    async with request.app[POOL].acquire() as con:
        found = await work.facility_page(con, request.app[KEY_RING], _facility_id(request),
                                         period, user.id, user.at_least("supervisor"))
    return render(request, "evidence/facility.html", page=found, heat=found.heat,
                  months_chart=charts.calls_and_reports(found.heat, found.calls),
                  categories_chart=charts.by_category(found.heat),
                  heat_cells=heat_html.cells)


@require("supervisor")
async def pick_page(request: web.Request) -> web.StreamResponse:
    period = _months(request.query)
    async with request.app[POOL].acquire() as con:
        found = await work.pick_page(con, request.app[KEY_RING], _facility_id(request),
                                     period, current_user(request).id)
    return render(request, "evidence/pick.html", page=found)


@require("supervisor")
async def print_page(request: web.Request) -> web.StreamResponse:
    period = _months(request.query)
    chosen = work.chosen_ids(request.query.getall("excerpt", []))
    async with request.app[POOL].acquire() as con:
        found = await work.printable(con, request.app[KEY_RING], _facility_id(request),
                                     period, chosen, current_user(request).id)
    return render(request, "evidence/print.html", page=found, heat=found.heat,
                  chart=charts.trend("chart-print-trend", found.heat, "category"),
                  heat_cells=heat_html.cells)


async def _summary(request: web.Request, printed: bool) -> summary_work.Summary:
    today = hotline_today()
    period = summary.period(checked(request.query), today)
    async with request.app[POOL].acquire() as con:
        return await summary_work.summary_page(con, period, today, current_user(request).id,
                                               printed)


@require("supervisor")
async def summary_page(request: web.Request) -> web.StreamResponse:
    return render(request, "evidence/summary.html", page=await _summary(request, False),
                  definitions=summary.DEFINITIONS)


@require("supervisor")
async def summary_print(request: web.Request) -> web.StreamResponse:
    return render(request, "evidence/summary_print.html", page=await _summary(request, True),
                  definitions=summary.DEFINITIONS)


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/evidence", heat_map_page, name="evidence"),
        web.get("/evidence/summary", summary_page, name="evidence-summary"),
        web.get("/evidence/summary/print", summary_print, name="evidence-summary-print"),
        web.get(f"/evidence/facilities/{FACILITY}", facility_page, name="evidence-facility"),
        web.get(f"/evidence/facilities/{FACILITY}/report", pick_page,
                name="evidence-facility-report"),
        web.get(f"/evidence/facilities/{FACILITY}/report/print", print_page,
                name="evidence-facility-print"),
    ]
