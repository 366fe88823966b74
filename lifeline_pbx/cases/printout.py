"""A report as a readable printout, for a supervisor to hand to a partner or file.

Without names by default (reports are shared without them unless the caller consented):
the person's names and A-number are printed only when the supervisor ticks the box on
the report page. Each printout is audited as an export naming the fields it holds, and,
with names, as an export of the person's names and A-number too (report_work.printout).
"""

from __future__ import annotations

from aiohttp import web

from lifeline_pbx.cases import anumber, report_work
from lifeline_pbx.cases.webutil import path_uuid
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.render import render


@require("supervisor")
async def print_page(request: web.Request) -> web.StreamResponse:
    report_id = path_uuid(request)
    with_names = request.query.get("include_names") == "1"
    async with request.app[POOL].acquire() as con:
        printout = await report_work.printout(con, request.app[KEY_RING], report_id,
                                              current_user(request).id, with_names=with_names)
    person = printout.person
    return render(request, "cases/report_print.html", printout=printout,
                  report=printout.report, summary=printout.report.summary, person=person,
                  a_number=anumber.display(person.a_number) if person else "")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/reports/{id}/print", print_page, name="report-print"),
    ]
