"""Supervisors' pages for corrections: a record's revisions, one old revision, and the
correction of a report (a follow-up's text is corrected on its page, followup_views.py,
an intake's own fields on intake_correct_views.py's page).
Authors correct their own intake (with
its reports and follow-up) during wrap-up by saving its form again (intake_save.py)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import forms, revision_content, revision_work
from lifeline_pbx.cases.correction_rules import base_of
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.cases.revisions import Entity
from lifeline_pbx.cases.webutil import path_uuid
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound, RequestError
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of
from lifeline_pbx.web.render import render

log = logging.getLogger(__name__)
PATHS: dict[Entity, str] = {"intake": "/intakes", "report": "/reports",
                            "follow_up": "/follow-ups"}
TITLES: dict[Entity, str] = {"intake": "Intake", "report": "Report", "follow_up": "Follow-up"}
REPORT_FORM = "cases/report_correct.html"


def _entity(request: web.Request) -> Entity:
    prefix = "/" + request.path.split("/")[1]
    return next(e for e, path in PATHS.items() if path == prefix)


def _number(request: web.Request) -> int:
    number = request.match_info["number"]
    if not number.isdigit() or not 0 < int(number) < 1_000_000:
        raise NotFound("No such revision.")
    return int(number)


Again = Callable[[FormData, int, RequestError], web.Response]
Work = Callable[[Conn, FormData, int], Awaitable[list[str]]]


async def save_correction(request: web.Request, entity: Entity, work: Work, again: Again,
                          done: str) -> web.StreamResponse:
    """A supervisor's correction of the record in the path, typed over revision `base`:
    saved, or its form again with the problem and what was typed (nothing saved; the
    error carries the form's page)."""
    entity_id, user = path_uuid(request), current_user(request)
    data = await form_data(request)
    base = base_of(data)
    try:
        async with request.app[POOL].acquire() as con:
            changed = await work(con, data, base)
    except (Invalid, Conflict) as e:
        return again(data, base, e)
    log.info("%s corrected %s_id=%s user_id=%d fields=%s", entity, entity, entity_id, user.id,
             ",".join(changed))
    raise web.HTTPSeeOther(done)


@require("supervisor")
async def history_page(request: web.Request) -> web.StreamResponse:
    entity, entity_id = _entity(request), path_uuid(request)
    async with request.app[POOL].acquire() as con:
        found = await revision_work.history(con, entity, entity_id, current_user(request).id)
    return render(request, "cases/revisions.html", revisions=found, entity=entity,
                  entity_id=entity_id, base=f"{PATHS[entity]}/{entity_id}",
                  title=TITLES[entity], corrected=request.query.get("corrected") == "1")


@require("supervisor")
async def revision_page(request: web.Request) -> web.StreamResponse:
    entity, entity_id, number = _entity(request), path_uuid(request), _number(request)
    async with request.app[POOL].acquire() as con:
        opened, names = await revision_work.open_revision_named(
            con, request.app[KEY_RING], entity, entity_id, number, current_user(request).id)
    return render(request, "cases/revision.html", opened=opened,
                  shown=revision_content.shown(opened.content, names),
                  title=TITLES[entity], base=f"{PATHS[entity]}/{entity_id}",
                  link=entity != "intake")


def _report_form(request: web.Request, report_id: uuid.UUID, page: revision_work.ReportFormPage,
                 *, values: dict[str, Any], consents: list[str], base: int,
                 error: RequestError | None = None) -> web.Response:
    context: dict[str, Any] = dict(
        report_id=report_id, values=values, consents=consents, base=base,
        categories=page.categories, partners=page.partners, facilities=page.facilities,
        severities=forms.SEVERITIES)
    return form_page(request, REPORT_FORM, error, **context)


@require("supervisor")
async def correct_report_page(request: web.Request) -> web.StreamResponse:
    report_id = path_uuid(request)
    async with request.app[POOL].acquire() as con:
        found = await revision_work.report_to_correct(con, request.app[KEY_RING], report_id,
                                                      current_user(request).id)
    r = found.stored.form
    values = {"report_facility": str(found.stored.facility_id),
              "report_category": r.category, "report_severity": r.severity,
              "report_from": r.occurred_from.isoformat() if r.occurred_from else "",
              "report_to": r.occurred_to.isoformat() if r.occurred_to else "",
              "report_affected": r.affected,
              "report_people": "" if r.people is None else str(r.people),
              "report_housing_unit": r.housing_unit,
              "report_narrative": found.report.narrative}
    return _report_form(request, report_id, found.page, values=values,
                        consents=[str(p) for p in r.partner_ids], base=found.base)


@require("supervisor")
async def correct_report(request: web.Request) -> web.StreamResponse:
    report_id = path_uuid(request)

    def work(con: Conn, data: FormData, base: int) -> Awaitable[list[str]]:
        return revision_work.correct_report_form(con, request.app[KEY_RING], report_id, data,
                                                 base, current_user(request).id)

    def again(data: FormData, base: int, error: RequestError) -> web.Response:
        typed = {k: v for k, v in data.items() if k.startswith("report_") or k == "reason"}
        return _report_form(request, report_id, page_of(error, revision_work.ReportFormPage),
                            values=typed, base=base,
                            consents=list(data.getall("report_consent", [])), error=error)

    return await save_correction(request, "report", work, again,
                                 f"/reports/{report_id}?corrected=1#report-history")


def routes() -> list[web.AbstractRouteDef]:
    return [
        *(web.get(path + "/{id}/revisions", history_page) for path in PATHS.values()),
        *(web.get(path + "/{id}/revisions/{number}", revision_page) for path in PATHS.values()),
        web.get("/reports/{id}/correct", correct_report_page, name="report-correct"),
        web.post("/reports/{id}/correct", correct_report, name="report-correct-save"),
    ]
