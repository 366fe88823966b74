"""Admin pages for reference data: the report categories and the partners.

Neither is ever deleted (reports and consents reference them): they are disabled, which
takes them off the intake form. A refused change shows the page again with the problem.
"""

from __future__ import annotations

from aiohttp import web

from lifeline_pbx.admin import reference_changes as changes
from lifeline_pbx.admin.forms import PARTNER_KINDS, text, typed
from lifeline_pbx.errors import Invalid
from lifeline_pbx.resources import POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of

CODE = r"{code:[a-z][a-z0-9_]{1,39}}"
PARTNER_ID = r"{partner_id:\d{1,18}}"
NOTICES = {"added": "Added.", "renamed": "Label changed.", "enabled": "Enabled.",
           "disabled": "Disabled: it no longer appears on the intake form."}


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/admin/categories", categories_page, name="admin_categories"),
        web.post("/admin/categories", category_add, name="admin_category_add"),
        web.post(f"/admin/categories/{CODE}/label", category_label),
        web.post(f"/admin/categories/{CODE}/disable", category_disable),
        web.post(f"/admin/categories/{CODE}/enable", category_enable),
        web.get("/admin/partners", partners_page, name="admin_partners"),
        web.post("/admin/partners", partner_add, name="admin_partner_add"),
        web.post(f"/admin/partners/{PARTNER_ID}/disable", partner_disable),
        web.post(f"/admin/partners/{PARTNER_ID}/enable", partner_enable),
    ]


def _notice(request: web.Request) -> str:
    return NOTICES.get(request.query.get("done", ""), "")


# Report categories


def _categories_page(request: web.Request, page: changes.CategoriesPage, *,
                     error: Invalid | None = None,
                     values: dict[str, str] | None = None) -> web.Response:
    return form_page(request, "admin/categories.html", error, whole="form",
                     categories=page.categories, values=values or {}, notice=_notice(request))


@require("admin")
async def categories_page(request: web.Request) -> web.StreamResponse:
    return _categories_page(request, await changes.categories_page(request.app[POOL]))


@require("admin")
async def category_add(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    try:
        await changes.add_category(request.app[POOL], current_user(request).id, form)
    except Invalid as e:
        return _categories_page(request, page_of(e, changes.CategoriesPage), error=e,
                                values=typed(form, ("code", "label")))
    raise web.HTTPSeeOther("/admin/categories?done=added")


@require("admin")
async def category_label(request: web.Request) -> web.StreamResponse:
    label = text(await form_data(request), "label")
    try:
        await changes.rename_category(request.app[POOL], current_user(request).id,
                                      request.match_info["code"], label)
    except Invalid as e:
        return _categories_page(request, page_of(e, changes.CategoriesPage), error=e)
    raise web.HTTPSeeOther("/admin/categories?done=renamed")


async def _category_enabled(request: web.Request, enabled: bool) -> web.StreamResponse:
    pool, actor = request.app[POOL], current_user(request).id
    code = request.match_info["code"]
    await changes.set_category_enabled(pool, actor, code, enabled)
    raise web.HTTPSeeOther(f"/admin/categories?done={'enabled' if enabled else 'disabled'}")


@require("admin")
async def category_disable(request: web.Request) -> web.StreamResponse:
    return await _category_enabled(request, False)


@require("admin")
async def category_enable(request: web.Request) -> web.StreamResponse:
    return await _category_enabled(request, True)


# Partners


def _partners_page(request: web.Request, page: changes.PartnersPage, *,
                   error: Invalid | None = None,
                   values: dict[str, str] | None = None) -> web.Response:
    return form_page(request, "admin/partners.html", error, whole="form",
                     partners=page.partners, kinds=PARTNER_KINDS, values=values or {},
                     notice=_notice(request))


@require("admin")
async def partners_page(request: web.Request) -> web.StreamResponse:
    return _partners_page(request, await changes.partners_page(request.app[POOL]))


@require("admin")
async def partner_add(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    try:
        await changes.add_partner(request.app[POOL], current_user(request).id, form)
    except Invalid as e:
        return _partners_page(request, page_of(e, changes.PartnersPage), error=e,
                              values=typed(form, ("name", "kind")))
    raise web.HTTPSeeOther("/admin/partners?done=added")


async def _partner_enabled(request: web.Request, enabled: bool) -> web.StreamResponse:
    pool, actor = request.app[POOL], current_user(request).id
    partner_id = int(request.match_info["partner_id"])
    await changes.set_partner_enabled(pool, actor, partner_id, enabled)
    raise web.HTTPSeeOther(f"/admin/partners?done={'enabled' if enabled else 'disabled'}")


@require("admin")
async def partner_disable(request: web.Request) -> web.StreamResponse:
    return await _partner_enabled(request, False)


@require("admin")
async def partner_enable(request: web.Request) -> web.StreamResponse:
    return await _partner_enabled(request, True)
