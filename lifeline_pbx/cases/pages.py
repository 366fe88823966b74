"""Web pages over the case record for supervisors (people, merge, reports, CSV export)
and follow-ups for everyone. Each view of a person or a report is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import (
    anumber,
    person_merge,
    person_work,
    report_query,
    report_work,
)
from lifeline_pbx.cases.forms import CALLER_LANGUAGES, SEVERITIES
from lifeline_pbx.cases.webutil import path_uuid, query
from lifeline_pbx.errors import Conflict, Invalid, NotFound, RequestError
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web import paging
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_again, form_page, page_of
from lifeline_pbx.web.render import render


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


def _person(request: web.Request, found: person_work.PersonPage, *,
            error: RequestError | None = None, merge_typed: str = "") -> web.Response:
    """The person's page; with an error of the merge form, again with the error beside it
    and the A-number typed."""
    proposal = request.query.get("proposal", "")
    return form_page(
        request, "cases/person.html", error, whole=person_merge.FIELD,
        history=found.history, today=dt.date.today(),
        family_needs=found.family_needs, proposals=found.proposals,
        facility_names=found.facility_names,
        proposal_done=proposal if proposal in ("accepted", "rejected") else "",
        calls=paging.page(found.calls, found.calls_total, found.calls_at, request,
                          param="calls_page"),
        reports_total=found.reports_total, legal_holds=found.legal_holds,
        hold_done=request.query.get("hold", ""),
        a_number=anumber.display(found.history.person.a_number),
        merged=request.query.get("merged") == "1", moved=request.query.get("moved") == "1",
        moves=found.moves, struck=found.struck, merged_records=found.merged,
        merged_asked=found.asked,
        edited=request.query.get("edited", ""), merge_typed=merge_typed)


@require("supervisor")
async def person_page(request: web.Request) -> web.StreamResponse:
    person_id = path_uuid(request)
    at = paging.requested(request, param="calls_page")
    async with request.app[POOL].acquire() as con:
        found = await person_work.page(con, request.app[KEY_RING], person_id,
                                       current_user(request).id, at)
    return _person(request, found)


@require("supervisor")
async def people_search(request: web.Request) -> web.StreamResponse:
    typed = query(request, "a_number")
    if not typed:
        return render(request, "cases/people.html", typed="", error="", status=200)
    try:
        normal = anumber.normalise(typed)
        async with request.app[POOL].acquire() as con:
            person = await person_work.find_person(con, request.app[KEY_RING], normal,
                                                   current_user(request).id)
        if person is None:
            raise NotFound(f"No person with A-number {anumber.display(normal)}.")
    except (Invalid, NotFound) as e:
        return form_again(request, e, "cases/people.html", typed=typed, error=e.message)
    raise web.HTTPSeeOther(f"/people/{person.id}")


@require("supervisor")
async def merge(request: web.Request) -> web.StreamResponse:
    """What merging the record of the A-number typed into this person's would do, with
    "Merge these records" and "Cancel"; nothing is merged yet."""
    keep_id = path_uuid(request)
    at = paging.requested(request, param="calls_page")
    posted = await form_data(request)
    typed = str(posted.get(person_merge.FIELD, ""))
    try:
        async with request.app[POOL].acquire() as con:
            preview = await person_merge.preview_form(con, request.app[KEY_RING], keep_id,
                                                      posted, current_user(request).id, at)
    except (Invalid, Conflict) as e:
        return _person(request, page_of(e, person_work.PersonPage), error=e,
                       merge_typed=typed)
    return render(request, "cases/person_merge.html", preview=preview, typed=typed,
                  keep_a_number=anumber.display(preview.keep.a_number),
                  other_a_number=anumber.display(preview.other.a_number))


@require("supervisor")
async def merge_confirm(request: web.Request) -> web.StreamResponse:
    """The preview confirmed: merge, unless either record changed since."""
    keep_id = path_uuid(request)
    at = paging.requested(request, param="calls_page")
    posted = await form_data(request)
    try:
        async with request.app[POOL].acquire() as con:
            await person_merge.confirm_form(con, request.app[KEY_RING], keep_id, posted,
                                            current_user(request).id, at)
    except (Invalid, Conflict) as e:
        return _person(request, page_of(e, person_work.PersonPage), error=e,
                       merge_typed=str(posted.get(person_merge.FIELD, "")))
    raise web.HTTPSeeOther(f"/people/{keep_id}?merged=1")


@require("supervisor")
async def reports_list(request: web.Request) -> web.StreamResponse:
    at = paging.requested(request)
    filters = report_query.parse(request.query)
    async with request.app[POOL].acquire() as con:
        found = await report_work.listing(con, filters, at, current_user(request).id)
    return render(request, "cases/reports.html",
                  reports=paging.page(found.found, found.total, found.at, request),
                  filters=found.filters, facilities=found.facilities,
                  categories=found.categories, partners=found.partners, severities=SEVERITIES,
                  languages=CALLER_LANGUAGES, query_string=request.query_string,
                  without_incident=found.without_incident)


@require("supervisor")
async def report_page(request: web.Request) -> web.StreamResponse:
    report_id = path_uuid(request)
    async with request.app[POOL].acquire() as con:
        report, revisions, merges = await report_work.open_report(
            con, request.app[KEY_RING], report_id, current_user(request).id)
    return render(request, "cases/report.html", report=report, revisions=revisions,
                  merges=merges,
                  corrected=request.query.get("corrected") == "1")


@require("supervisor")
async def reports_csv(request: web.Request) -> web.StreamResponse:
    filters = report_query.parse(request.query)
    async with request.app[POOL].acquire() as con:
        csv = await report_work.export_csv(con, filters, current_user(request).id)
    return web.Response(
        text=csv, content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="reports.csv"'})


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/people", people_search, name="people"),
        web.get("/people/{id}", person_page, name="person"),
        web.post("/people/{id}/merge", merge, name="person-merge"),
        web.post("/people/{id}/merge/confirm", merge_confirm, name="person-merge-confirm"),
        web.get("/reports", reports_list, name="reports"),
        web.get("/reports.csv", reports_csv, name="reports-csv"),
        web.get("/reports/{id}", report_page, name="report"),
    ]
