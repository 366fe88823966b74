"""Admin pages for facilities: the list with a new-facility form and a CSV import, one
facility's page to edit it, enable and disable.

Every route needs the admin role. A refused change shows the form again with each
problem beside its field, having saved nothing; a change that worked redirects (303).
"""

from __future__ import annotations

from aiohttp import web

from lifeline_pbx.admin import facility_changes as changes
from lifeline_pbx.admin.facilities_store import Facility
from lifeline_pbx.admin.facility_rules import CSV_COLUMNS, FacilityFields, zones
from lifeline_pbx.admin.forms import raw, typed
from lifeline_pbx.errors import Invalid
from lifeline_pbx.resources import POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of

FACILITY_ID = r"{facility_id:\d{1,18}}"
FIELDS = tuple(FacilityFields.__dataclass_fields__)
NOTICES = {"added": "Facility added.", "saved": "Saved.", "enabled": "Facility enabled.",
           "disabled": "Facility disabled: its lines no longer answer.",
           "imported": "Facilities imported."}


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/admin/facilities", facilities_page, name="admin_facilities"),
        web.post("/admin/facilities", facility_add, name="admin_facility_add"),
        web.post("/admin/facilities/import", facility_import, name="admin_facility_import"),
        web.get(f"/admin/facilities/{FACILITY_ID}", facility_page, name="admin_facility"),
        web.post(f"/admin/facilities/{FACILITY_ID}", facility_save),
        web.post(f"/admin/facilities/{FACILITY_ID}/disable", facility_disable),
        web.post(f"/admin/facilities/{FACILITY_ID}/enable", facility_enable),
    ]


def _notice(request: web.Request) -> str:
    notice = NOTICES.get(request.query.get("done", ""), "")
    count = request.query.get("count", "")
    if not (notice and count.isdigit()):
        return notice
    return f"{count} {'facility' if count == '1' else 'facilities'} imported."


def _list_page(request: web.Request, facilities: list[Facility], *,
               error: Invalid | None = None, values: dict[str, str] | None = None,
               csv: str = "") -> web.Response:
    return form_page(request, "admin/facilities.html", error, facilities=facilities,
                     zones=zones(), values=values or {}, csv=csv, csv_columns=CSV_COLUMNS,
                     notice=_notice(request))


@require("admin")
async def facilities_page(request: web.Request) -> web.StreamResponse:
    return _list_page(request, await changes.all_facilities(request.app[POOL]))


@require("admin")
async def facility_add(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    try:
        await changes.create(request.app[POOL], current_user(request).id, form)
    except Invalid as e:
        return _list_page(request, page_of(e, changes.FacilitiesPage).facilities, error=e,
                          values=typed(form, FIELDS))
    raise web.HTTPSeeOther("/admin/facilities?done=added")


@require("admin")
async def facility_import(request: web.Request) -> web.StreamResponse:
    content = raw(await form_data(request), "csv")
    try:
        count = await changes.import_csv(request.app[POOL], current_user(request).id, content)
    except Invalid as e:
        return _list_page(request, page_of(e, changes.FacilitiesPage).facilities, error=e,
                          csv=content)
    raise web.HTTPSeeOther(f"/admin/facilities?done=imported&count={count}")


def _facility_id(request: web.Request) -> int:
    return int(request.match_info["facility_id"])


def _facility_page(request: web.Request, found: Facility, *, error: Invalid | None = None,
                   values: dict[str, str] | None = None) -> web.Response:
    shown = values or {name: getattr(found.fields, name) for name in FIELDS}
    return form_page(request, "admin/facility.html", error, facility=found, values=shown,
                     zones=zones(), notice=_notice(request))


@require("admin")
async def facility_page(request: web.Request) -> web.StreamResponse:
    return _facility_page(request, await changes.facility(request.app[POOL],
                                                          _facility_id(request)))


@require("admin")
async def facility_save(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    facility_id = _facility_id(request)
    try:
        await changes.update(request.app[POOL], current_user(request).id, facility_id, form)
    except Invalid as e:
        return _facility_page(request, page_of(e, Facility), error=e, values=typed(form, FIELDS))
    raise web.HTTPSeeOther(f"/admin/facilities/{facility_id}?done=saved")


async def _enabled(request: web.Request, enabled: bool) -> web.StreamResponse:
    facility_id = _facility_id(request)
    await changes.set_enabled(request.app[POOL], current_user(request).id, facility_id, enabled)
    raise web.HTTPSeeOther(
        f"/admin/facilities/{facility_id}?done={'enabled' if enabled else 'disabled'}")


@require("admin")
async def facility_disable(request: web.Request) -> web.StreamResponse:
    return await _enabled(request, False)


@require("admin")
async def facility_enable(request: web.Request) -> web.StreamResponse:
    return await _enabled(request, True)
