"""Retention pages: the admins' settings with the log of recent runs, and legal holds,
which supervisors (coordinators) and admins place and release from a person's page, each
with its reason (a release on a page that says what it lets retention remove), and see
listed at /legal-holds. A person may have several holds in force (one per matter), each
released on its own: its release page names it by id."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from lifeline_pbx.admin.forms import raw, typed
from lifeline_pbx.cases import anumber
from lifeline_pbx.cases.webutil import path_uuid
from lifeline_pbx.errors import Invalid
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.retention import work
from lifeline_pbx.retention.rules import KINDS, MAX_DAYS, REASON_MAX
from lifeline_pbx.web import form_keys
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of
from lifeline_pbx.web.render import render

FIELDS = tuple(k.name for k in KINDS)


def _settings(request: web.Request, found: work.SettingsPage, *, error: Invalid | None = None,
              values: dict[str, str] | None = None) -> web.Response:
    shown = values if values is not None else {
        k.name: "" if found.limits.days(k.name) is None else str(found.limits.days(k.name))
        for k in KINDS}
    context: dict[str, Any] = dict(kinds=KINDS, max_days=MAX_DAYS, values=shown,
                                   runs=found.runs, kept_unreviewed=found.kept_unreviewed,
                                   notice="Saved." if request.query.get("done") else "")
    return form_page(request, "admin/retention.html", error, whole="form", **context)


@require("admin")
async def settings_page(request: web.Request) -> web.StreamResponse:
    return _settings(request, await work.settings_page(request.app[POOL]))


@require("admin")
async def settings_save(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    try:
        await work.save_settings(request.app[POOL], current_user(request).id, form)
    except Invalid as e:
        return _settings(request, page_of(e, work.SettingsPage), error=e,
                         values=typed(form, FIELDS))
    raise web.HTTPSeeOther("/admin/retention?done=saved")


@require("supervisor")
async def holds_page(request: web.Request) -> web.StreamResponse:
    return render(request, "supervision/legal_holds.html", holds=await work.holds(
        request.app[POOL], request.app[KEY_RING], current_user(request).id))


HOLD = r"{hold:\d{1,18}}"  # a hold's id in the path


def _hold_id(request: web.Request) -> int | None:
    """The hold released (None: placing one)."""
    held = request.match_info.get("hold")
    return None if held is None else int(held)


def _form(request: web.Request, page: work.HoldPage, *, error: Invalid | None = None,
          reason: str = "", form_key: str = "") -> web.Response:
    """The place form carries its key, made when it is opened (a repeat of it places
    nothing more), and kept when it is shown again."""
    template = ("supervision/legal_hold_place.html" if page.hold is None
                else "supervision/legal_hold_release.html")
    return form_page(request, template, error, page=page, reason=reason,
                     form_key=form_key or form_keys.new(),
                     a_number=anumber.display(page.a_number), reason_max=REASON_MAX)


@require("supervisor")
async def hold_form(request: web.Request) -> web.StreamResponse:
    """The form placing a hold, or the page confirming the release of one."""
    page = await work.hold_page(request.app[POOL], request.app[KEY_RING],
                                current_user(request).id, path_uuid(request),
                                _hold_id(request))
    return _form(request, page)


@require("supervisor")
async def hold_save(request: web.Request) -> web.StreamResponse:
    """Place a hold, or release one."""
    person_id, hold_id = path_uuid(request), _hold_id(request)
    form = await form_data(request)
    try:
        await work.save_hold(request.app[POOL], request.app[KEY_RING],
                             current_user(request).id, person_id, hold_id, form)
    except Invalid as e:
        return _form(request, page_of(e, work.HoldPage), error=e, reason=raw(form, "reason"),
                     form_key=raw(form, form_keys.FIELD))
    done = "placed" if hold_id is None else "released"
    raise web.HTTPSeeOther(f"/people/{person_id}?hold={done}")


def routes() -> list[web.AbstractRouteDef]:
    release = f"/people/{{id}}/legal-holds/{HOLD}/release"
    return [
        web.get("/admin/retention", settings_page, name="admin_retention"),
        web.post("/admin/retention", settings_save, name="admin_retention_save"),
        web.get("/legal-holds", holds_page, name="legal_holds"),
        web.get("/people/{id}/legal-hold", hold_form, name="legal_hold_place_form"),
        web.post("/people/{id}/legal-hold", hold_save, name="legal_hold_place"),
        web.get(release, hold_form, name="legal_hold_release_form"),
        web.post(release, hold_save, name="legal_hold_release"),
    ]
