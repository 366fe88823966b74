"""Web pages over the case record for supervisors (people, merge, reports, CSV export)
and follow-ups for everyone. Each view of a person or a report is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from aiohttp import web

from lifeline_pbx import audit
from lifeline_pbx.cases import (
    anumber,
    export,
    followup_views,
    people,
    person_work,
    proposal_views,
    report_query,
    reports,
    revision_work,
)
from lifeline_pbx.cases.forms import CALLER_LANGUAGES, SEVERITIES
from lifeline_pbx.cases.webutil import case_error, keys, path_uuid, pool, query
from lifeline_pbx.db import Conn
from lifeline_pbx.supervision import call_history
from lifeline_pbx.web import paging
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.filters import FilterInvalid
from lifeline_pbx.web.render import render

EXPORT_MAX = 100_000  # reports in one CSV; more is refused with the count, never cut


def history_json(history: person_work.History | None, normal: str) -> dict[str, Any]:
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
    at = paging.requested(request, param="calls_page")
    async with pool(request).acquire() as con:
        person = await people.get(con, keys(request), person_id)
        if person is None:
            raise web.HTTPNotFound(text="No such person.")
        history = await person_work.history(con, keys(request), person, current_user(request).id)
        family = await followup_views.family_context(con, request, person.id)
        proposed = await proposal_views.person_context(con, request, person)
        ids = await people.merged_ids(con, person.id)
        calls_total, calls = await call_history.for_persons(con, ids, at)
        reports_total = await reports.count(con, reports.ReportFilter(person_ids=tuple(ids)))
    return render(request, "cases/person.html", history=history, today=dt.date.today(),
                  **family, **proposed,
                  proposal_done=request.query.get("proposal", "")
                  if request.query.get("proposal") in ("accepted", "rejected") else "",
                  calls=paging.page(calls, calls_total, at, request, param="calls_page"),
                  reports_total=reports_total,
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
        person = await person_work.find_person(con, keys(request), normal, current_user(request).id)
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
        other = await person_work.find_person(con, keys(request), normal, user_id)
        if other is None:
            raise web.HTTPNotFound(text=f"No person with A-number {anumber.display(normal)}.")
        try:
            await person_work.merge(con, keys(request), keep_id, other.id, user_id)
        except person_work.CaseError as e:
            raise case_error(e) from None
    raise web.HTTPSeeOther(f"/people/{keep_id}?merged=1")


async def _filters(request: web.Request, con: Conn) -> reports.ReportFilter:
    """The filters in the address; a person stands for their record and those merged in."""
    try:
        filters = report_query.parse(request.query)
    except FilterInvalid as e:
        raise web.HTTPUnprocessableEntity(text=str(e)) from None
    if filters.person_ids:
        ids = await people.merged_ids(con, filters.person_ids[0])
        filters = replace(filters, person_ids=tuple(ids))
    return filters


async def _audit_person_filter(con: Conn, request: web.Request,
                               filters: reports.ReportFilter, fields: tuple[str, ...]) -> None:
    if filters.person_ids:
        await audit.record(con, current_user(request).id, "view", "person",
                           filters.person_ids[0], fields)


@require("supervisor")
async def reports_list(request: web.Request) -> web.StreamResponse:
    at = paging.requested(request)
    async with pool(request).acquire() as con:
        filters = await _filters(request, con)
        async with con.transaction():
            total = await reports.count(con, filters)
            found = await reports.search(con, filters, at.per_page, at.offset)
            await _audit_person_filter(con, request, filters, ("reports",))
        facilities = await con.fetch("SELECT id, name FROM facilities ORDER BY name")
        categories = await reports.categories(con, enabled_only=False)
        partners = await reports.partners(con)
    return render(request, "cases/reports.html", reports=paging.page(found, total, at, request),
                  filters=filters, facilities=[(r["id"], r["name"]) for r in facilities],
                  categories=categories, partners=partners, severities=SEVERITIES,
                  languages=CALLER_LANGUAGES, query_string=request.query_string)


@require("supervisor")
async def report_page(request: web.Request) -> web.StreamResponse:
    report_id = path_uuid(request)
    async with pool(request).acquire() as con:
        try:
            report = await person_work.open_report(con, keys(request), report_id,
                                               current_user(request).id)
            revisions = await revision_work.history(con, "report", report_id,
                                                    current_user(request).id)
        except person_work.CaseError as e:
            raise case_error(e) from None
    return render(request, "cases/report.html", report=report, revisions=revisions,
                  corrected=request.query.get("corrected") == "1")


@require("supervisor")
async def reports_csv(request: web.Request) -> web.StreamResponse:
    async with pool(request).acquire() as con:
        filters = await _filters(request, con)
        async with con.transaction():
            total = await reports.count(con, filters, exact=True)
            if total > EXPORT_MAX:
                raise web.HTTPRequestEntityTooLarge(
                    max_size=EXPORT_MAX, actual_size=total,
                    text=f"{total} reports match; narrow the filters to at most {EXPORT_MAX}.")
            found = await reports.search(con, filters, EXPORT_MAX)
            await audit.record(con, current_user(request).id, "export", "reports", "csv",
                               export.COLUMNS)
            await _audit_person_filter(con, request, filters, ("reports",))
    return web.Response(
        text=export.to_csv(found), content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="reports.csv"'})


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/people", people_search, name="people"),
        web.get("/people/{id}", person_page, name="person"),
        web.post("/people/{id}/merge", merge, name="person-merge"),
        web.get("/reports", reports_list, name="reports"),
        web.get("/reports.csv", reports_csv, name="reports-csv"),
        web.get("/reports/{id}", report_page, name="report"),
    ]
