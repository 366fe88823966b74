"""Supervisors' pages for corrections: a record's revisions, one old revision, and the
correction of a report (a follow-up's text is corrected on its page, followup_views.py,
an intake's own fields on intake_correct_views.py's page).
Authors correct their own intake (with
its reports and follow-up) during wrap-up by saving its form again (intake_save.py)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import (
    forms,
    person_work,
    reports,
    revision_content,
    revision_work,
    revisions,
)
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.cases.revisions import Entity
from lifeline_pbx.cases.webutil import case_error, keys, path_uuid, pool
from lifeline_pbx.db import Conn
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.render import render

log = logging.getLogger(__name__)
PATHS: dict[Entity, str] = {"intake": "/intakes", "report": "/reports",
                            "follow_up": "/follow-ups"}
TITLES: dict[Entity, str] = {"intake": "Intake", "report": "Report", "follow_up": "Follow-up"}


def _entity(request: web.Request) -> Entity:
    prefix = "/" + request.path.split("/")[1]
    return next(e for e, path in PATHS.items() if path == prefix)


def _number(request: web.Request) -> int:
    number = request.match_info["number"]
    if not number.isdigit() or not 0 < int(number) < 1_000_000:
        raise web.HTTPNotFound(text="No such revision.")
    return int(number)


def base_of(data: FormData) -> int:
    """The revision a correction was typed over (the form's hidden field)."""
    value = data.get("revision", "0")
    if not isinstance(value, str) or not value.isdigit() or len(value) > 6:
        raise web.HTTPUnprocessableEntity(text="The form's revision is not valid: reload it.")
    return int(value)


async def names(con: Conn) -> dict[str, dict[int, str]]:
    """Ids as a revision's fields hold them, and their names."""
    return {table: {r["id"]: r["name"] for r in await con.fetch(sql)} for table, sql in (
        ("facilities", "SELECT id, name FROM facilities"),
        ("partners", "SELECT id, name FROM partners"),
        ("users", "SELECT id, display_name AS name FROM users"))}


@require("supervisor")
async def history_page(request: web.Request) -> web.StreamResponse:
    entity, entity_id = _entity(request), path_uuid(request)
    async with pool(request).acquire() as con:
        try:
            found = await revision_work.history(con, entity, entity_id,
                                                current_user(request).id)
        except person_work.CaseError as e:
            raise case_error(e) from None
    return render(request, "cases/revisions.html", revisions=found, entity=entity,
                  entity_id=entity_id, base=f"{PATHS[entity]}/{entity_id}",
                  title=TITLES[entity], corrected=request.query.get("corrected") == "1")


@require("supervisor")
async def revision_page(request: web.Request) -> web.StreamResponse:
    entity, entity_id, number = _entity(request), path_uuid(request), _number(request)
    async with pool(request).acquire() as con:
        try:
            opened = await revision_work.open_revision(con, keys(request), entity, entity_id,
                                                       number, current_user(request).id)
        except person_work.CaseError as e:
            raise case_error(e) from None
        shown = revision_content.shown(opened.content, await names(con))
    return render(request, "cases/revision.html", opened=opened, shown=shown,
                  title=TITLES[entity], base=f"{PATHS[entity]}/{entity_id}",
                  link=entity != "intake")


async def _report_form(request: web.Request, con: Conn, report_id: uuid.UUID, *,
                       values: dict[str, Any], consents: list[str], base: int,
                       errors: dict[str, str], status: int = 200) -> web.Response:
    return render(request, "cases/report_correct.html", status=status, report_id=report_id,
                  values=values, consents=consents, base=base, errors=errors,
                  categories=await reports.categories(con),
                  partners=await reports.partners(con), severities=forms.SEVERITIES)


@require("supervisor")
async def correct_report_page(request: web.Request) -> web.StreamResponse:
    report_id = path_uuid(request)
    user_id = current_user(request).id
    async with pool(request).acquire() as con:
        try:
            report = await person_work.open_report(con, keys(request), report_id, user_id)
        except person_work.CaseError as e:
            raise case_error(e) from None
        stored = await reports.stored(con, keys(request), report_id)
        assert stored is not None
        base = await revisions.latest(con, "report", report_id)
        r = stored.form
        values = {"report_category": r.category, "report_severity": r.severity,
                  "report_from": r.occurred_from.isoformat() if r.occurred_from else "",
                  "report_to": r.occurred_to.isoformat() if r.occurred_to else "",
                  "report_affected": r.affected, "report_housing_unit": r.housing_unit,
                  "report_narrative": report.narrative}
        return await _report_form(request, con, report_id, values=values,
                                  consents=[str(p) for p in r.partner_ids], base=base,
                                  errors={})


@require("supervisor")
async def correct_report(request: web.Request) -> web.StreamResponse:
    report_id = path_uuid(request)
    user = current_user(request)
    data = await form_data(request)
    base = base_of(data)
    async with pool(request).acquire() as con:
        try:
            form = forms.parse_report(data, await person_work.choices(con))
            changed = await revision_work.correct_report(con, keys(request), report_id, form,
                                                         base, user.id)
        except (forms.FormInvalid, person_work.Refused, person_work.Conflict) as e:
            errors = e.errors if isinstance(e, forms.FormInvalid) else {"_form": str(e)}
            typed = {k: v for k, v in data.items() if k.startswith("report_")}
            return await _report_form(
                request, con, report_id, values=typed, base=base, errors=errors,
                consents=list(data.getall("report_consent", [])),
                status=409 if isinstance(e, person_work.Conflict) else 422)
        except person_work.CaseError as e:
            raise case_error(e) from None
    log.info("report corrected report_id=%s user_id=%d fields=%s", report_id, user.id,
             ",".join(changed))
    raise web.HTTPSeeOther(f"/reports/{report_id}?corrected=1#report-history")


def routes() -> list[web.AbstractRouteDef]:
    return [
        *(web.get(path + "/{id}/revisions", history_page) for path in PATHS.values()),
        *(web.get(path + "/{id}/revisions/{number}", revision_page) for path in PATHS.values()),
        web.get("/reports/{id}/correct", correct_report_page, name="report-correct"),
        web.post("/reports/{id}/correct", correct_report, name="report-correct-save"),
    ]
