"""Retention pages: the admins' settings with the log of recent runs, and legal holds,
which supervisors (coordinators) and admins place and release from a person's page, each
with its reason (a release on a page that says what it lets retention remove), and see
listed at /legal-holds."""

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
                                   runs=found.runs,
                                   notice="Saved." if request.query.get("done") else "")
    return form_page(request, "admin/retention.html", error, **context)


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


TEMPLATES = {True: "supervision/legal_hold_place.html",
             False: "supervision/legal_hold_release.html"}


def _form(request: web.Request, on: bool, page: work.HoldPage, *, error: Invalid | None = None,
          reason: str = "") -> web.Response:
    return form_page(request, TEMPLATES[on], error, page=page, reason=reason,
                     a_number=anumber.display(page.a_number), reason_max=REASON_MAX)


async def _hold_form(request: web.Request, on: bool) -> web.StreamResponse:
    page = await work.hold_page(request.app[POOL], request.app[KEY_RING],
                                current_user(request).id, path_uuid(request), release=not on)
    return _form(request, on, page)


async def _hold(request: web.Request, on: bool) -> web.StreamResponse:
    person_id = path_uuid(request)
    form = await form_data(request)
    try:
        await work.set_hold(request.app[POOL], request.app[KEY_RING], current_user(request).id,
                            person_id, on, form)
    except Invalid as e:
        return _form(request, on, page_of(e, work.HoldPage), error=e,
                     reason=raw(form, "reason"))
    raise web.HTTPSeeOther(f"/people/{person_id}?hold={'placed' if on else 'released'}")


@require("supervisor")
async def hold_place_form(request: web.Request) -> web.StreamResponse:
    return await _hold_form(request, True)


@require("supervisor")
async def hold_place(request: web.Request) -> web.StreamResponse:
    return await _hold(request, True)


@require("supervisor")
async def hold_release_form(request: web.Request) -> web.StreamResponse:
    return await _hold_form(request, False)


@require("supervisor")
async def hold_release(request: web.Request) -> web.StreamResponse:
    return await _hold(request, False)


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/admin/retention", settings_page, name="admin_retention"),
        web.post("/admin/retention", settings_save, name="admin_retention_save"),
        web.get("/legal-holds", holds_page, name="legal_holds"),
        web.get("/people/{id}/legal-hold", hold_place_form, name="legal_hold_place_form"),
        web.post("/people/{id}/legal-hold", hold_place, name="legal_hold_place"),
        web.get("/people/{id}/legal-hold/release", hold_release_form,
                name="legal_hold_release_form"),
        web.post("/people/{id}/legal-hold/release", hold_release, name="legal_hold_release"),
    ]
