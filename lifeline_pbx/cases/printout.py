"""A report as a readable printout, for a supervisor to hand to a partner or file.

Without names by default (reports are shared without them unless the caller consented):
the person's names and A-number are printed only when the supervisor ticks the box on
the report page. Each printout is audited as an export naming the fields it holds, and,
with names, as an export of the person's names and A-number too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from aiohttp import web

from lifeline_pbx import audit
from lifeline_pbx.cases import anumber, people, person_work, reports
from lifeline_pbx.cases.webutil import case_error, keys, path_uuid, pool
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.render import render

NAME_FIELDS = ("a_number", "names")


@dataclass(frozen=True)
class Printout:
    report: reports.Report
    person: people.Person | None  # only when names were asked for and a person is linked
    names_asked: bool
    printed_at: dt.datetime


async def export_report(con: Conn, keys: KeyRing, report_id: uuid.UUID, user_id: int, *,
                        with_names: bool) -> Printout:
    async with con.transaction():
        report = await reports.get(con, keys, report_id)
        if report is None:
            raise person_work.NotFound("No such report.")
        person_id = report.summary.person_id
        person = None
        if with_names and person_id is not None:
            person = await people.get(con, keys, person_id)
        fields = [*person_work.REPORT_FIELDS, *(NAME_FIELDS if person else ())]
        await audit.record(con, user_id, "export", "report", report_id, fields)
        if person is not None:
            await audit.record(con, user_id, "export", "person", person.id, NAME_FIELDS)
    return Printout(report, person, with_names, dt.datetime.now(dt.UTC))


@require("supervisor")
async def print_page(request: web.Request) -> web.StreamResponse:
    report_id = path_uuid(request)
    with_names = request.query.get("include_names") == "1"
    async with pool(request).acquire() as con:
        try:
            printout = await export_report(con, keys(request), report_id,
                                           current_user(request).id, with_names=with_names)
        except person_work.CaseError as e:
            raise case_error(e) from None
    person = printout.person
    return render(request, "cases/report_print.html", printout=printout,
                  report=printout.report, summary=printout.report.summary, person=person,
                  a_number=anumber.display(person.a_number) if person else "")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/reports/{id}/print", print_page, name="report-print"),
    ]
