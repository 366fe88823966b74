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
    followups,
    people,
    person_edit,
    printout,
    reports,
    service,
)
from lifeline_pbx.cases.forms import FormInvalid, parse_status
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
    return render(request, "cases/person.html", history=history, today=dt.date.today(),
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


@require("operator")
async def follow_ups_page(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    supervisor = user.at_least("supervisor")
    today = dt.date.today()
    async with pool(request).acquire() as con, con.transaction():
        mine = await followups.mine(con, keys(request), user.id)
        overdue = await followups.overdue(con, keys(request), today,
                                          None if supervisor else user.id)
        everyone = await followups.all_open(con, keys(request)) if supervisor else []
        assignees = await con.fetch(
            "SELECT id, display_name FROM users WHERE enabled ORDER BY display_name")
        await audit.record(con, user.id, "view", "follow_ups", "list", ("what", "due_on"))
    return render(request, "cases/follow_ups.html", mine=mine, overdue=overdue,
                  everyone=everyone, supervisor=supervisor, today=today,
                  assignees=[(r["id"], r["display_name"]) for r in assignees])


@require("operator")
async def follow_up_update(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    follow_up_id = path_uuid(request)
    posted = await form_data(request)
    async with pool(request).acquire() as con:
        current = await followups.get(con, keys(request), follow_up_id)
        if current is None:
            raise web.HTTPNotFound(text="No such follow-up.")
        supervisor = user.at_least("supervisor")
        if not supervisor and current.assignee_id != user.id:
            raise web.HTTPForbidden(text="Only the assignee or a supervisor can change this.")
        try:
            status, assignee = parse_status(posted, await service.choices(con))
        except FormInvalid as e:
            raise web.HTTPUnprocessableEntity(text=" ".join(e.errors.values())) from None
        if assignee is not None and not supervisor:
            raise web.HTTPForbidden(text="Only a supervisor can reassign a follow-up.")
        try:
            await service.set_follow_up(con, follow_up_id, user.id, status=status,
                                        assignee_id=assignee)
        except service.CaseError as e:
            raise case_error(e) from None
    raise web.HTTPSeeOther("/follow-ups")


def routes(app: web.Application) -> None:
    person_edit.routes(app)
    printout.routes(app)
    app.router.add_get("/people", people_search, name="people")
    app.router.add_get("/people/{id}", person_page, name="person")
    app.router.add_post("/people/{id}/merge", merge, name="person-merge")
    app.router.add_get("/reports", reports_list, name="reports")
    app.router.add_get("/reports.csv", reports_csv, name="reports-csv")
    app.router.add_get("/reports/{id}", report_page, name="report")
    app.router.add_get("/follow-ups", follow_ups_page, name="follow-ups")
    app.router.add_post("/follow-ups/{id}", follow_up_update, name="follow-up-update")
