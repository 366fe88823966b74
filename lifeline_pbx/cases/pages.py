"""Web pages over the case record for supervisors (people, merge, reports, CSV export)
and follow-ups for everyone. Each view of a person or a report is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from lifeline_pbx import audit
from lifeline_pbx.cases import (
    anumber,
    export,
    followup_views,
    people,
    person_edit,
    printout,
    reports,
    service,
)
from lifeline_pbx.cases.webutil import case_error, keys, path_uuid, pool, query
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.render import render


def history_json(history: service.History | None, normal: str) -> dict[str, Any]:
    if history is None:
        return {"found": False, "a_number": anumber.display(normal)}
    return {
        "found": True, "a_number": anumber.display(normal),
        "person_id": str(history.person.id), "names": list(history.person.names),
        "facility": history.person.facility,
        "intakes": [{"at": i.created_at.isoformat(), "facility": i.facility,
                     "outcome": i.outcome, "needs": list(i.needs)} for i in history.intakes],
        "reports": [{"id": str(r.id), "at": r.created_at.isoformat(), "category": r.category,
                     "severity": r.severity} for r in history.reports],
        "follow_ups": [{"id": str(f.id), "what": f.what,
                        "due_on": f.due_on.isoformat() if f.due_on else None}
                       for f in history.follow_ups],
    }


@require("supervisor")
async def person_page(request: web.Request) -> web.StreamResponse:
    person_id = path_uuid(request)
    async with pool(request).acquire() as con:
        person = await people.get(con, keys(request), person_id)
        if person is None:
            raise web.HTTPNotFound(text="No such person.")
        history = await service.history(con, keys(request), person, current_user(request).id)
        family = await followup_views.family_context(con, request, person.id)
    return render(request, "cases/person.html", history=history, today=dt.date.today(),
                  **family,
                  a_number=anumber.display(person.a_number),
                  merged=request.query.get("merged") == "1",
                  edited=request.query.get("edited", ""), error="")


@require("supervisor")
async def people_search(request: web.Request) -> web.StreamResponse:
    typed = query(request, "a_number")
    if not typed:
        return render(request, "cases/people.html", typed="", error="", status=200)
    try:
        normal = anumber.normalise(typed)
    except anumber.ANumberError as e:
        return render(request, "cases/people.html", typed=typed, error=str(e), status=422)
    async with pool(request).acquire() as con:
        person = await service.find_person(con, keys(request), normal, current_user(request).id)
    if person is None:
        return render(request, "cases/people.html", typed=typed, status=404,
                      error=f"No person with A-number {anumber.display(normal)}.")
    raise web.HTTPSeeOther(f"/people/{person.id}")


@require("supervisor")
async def merge(request: web.Request) -> web.StreamResponse:
    """Merge the record with the A-number typed into this person's record."""
    keep_id = path_uuid(request)
    user_id = current_user(request).id
    posted = await form_data(request)
    try:
        normal = anumber.normalise(posted.get("other_a_number", ""))
    except anumber.ANumberError as e:
        raise web.HTTPUnprocessableEntity(text=str(e)) from None
    async with pool(request).acquire() as con:
        other = await service.find_person(con, keys(request), normal, user_id)
        if other is None:
            raise web.HTTPNotFound(text=f"No person with A-number {anumber.display(normal)}.")
        try:
            await service.merge(con, keys(request), keep_id, other.id, user_id)
        except service.CaseError as e:
            raise case_error(e) from None
    raise web.HTTPSeeOther(f"/people/{keep_id}?merged=1")


def _filters(request: web.Request) -> reports.ReportFilter:
    def day(name: str) -> dt.date | None:
        value = query(request, name)
        try:
            return dt.date.fromisoformat(value) if value else None
        except ValueError:
            raise web.HTTPUnprocessableEntity(text=f"{name}: give a date as YYYY-MM-DD.") from None

    facility = query(request, "facility")
    if facility and not (facility.isascii() and facility.isdigit() and len(facility) <= 18):
        raise web.HTTPUnprocessableEntity(text="Choose a facility from the list.")
    return reports.ReportFilter(int(facility) if facility else None,
                                query(request, "category") or None, day("since"), day("until"))


@require("supervisor")
async def reports_list(request: web.Request) -> web.StreamResponse:
    filters = _filters(request)
    async with pool(request).acquire() as con:
        found = await reports.search(con, filters)
        facilities = await con.fetch("SELECT id, name FROM facilities ORDER BY name")
        categories = await reports.categories(con, enabled_only=False)
    return render(request, "cases/reports.html", reports=found, filters=filters,
                  facilities=[(r["id"], r["name"]) for r in facilities],
                  categories=categories, query_string=request.query_string)


@require("supervisor")
async def report_page(request: web.Request) -> web.StreamResponse:
    report_id = path_uuid(request)
    async with pool(request).acquire() as con:
        try:
            report = await service.open_report(con, keys(request), report_id,
                                               current_user(request).id)
        except service.CaseError as e:
            raise case_error(e) from None
    return render(request, "cases/report.html", report=report)


@require("supervisor")
async def reports_csv(request: web.Request) -> web.StreamResponse:
    filters = _filters(request)
    async with pool(request).acquire() as con, con.transaction():
        found = await reports.search(con, filters, limit=100_000)
        await audit.record(con, current_user(request).id, "export", "reports", "csv",
                           export.COLUMNS)
    return web.Response(
        text=export.to_csv(found), content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="reports.csv"'})


def routes(app: web.Application) -> None:
    person_edit.routes(app)
    printout.routes(app)
    app.router.add_get("/people", people_search, name="people")
    app.router.add_get("/people/{id}", person_page, name="person")
    app.router.add_post("/people/{id}/merge", merge, name="person-merge")
    app.router.add_get("/reports", reports_list, name="reports")
    app.router.add_get("/reports.csv", reports_csv, name="reports-csv")
    app.router.add_get("/reports/{id}", report_page, name="report")
    followup_views.routes(app)
