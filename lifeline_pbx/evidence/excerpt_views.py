"""A report's excerpt for advocacy: the form to write, change or withdraw it.

Coordinators (the supervisor role) and admins only. A refused release (no consent to share,
an identifier left in, too long) shows the form again with the problem and what was typed,
having saved nothing; a change that worked redirects (303) back to the form.
"""

from __future__ import annotations

from aiohttp import web

from lifeline_pbx.cases.webutil import path_uuid
from lifeline_pbx.errors import Invalid
from lifeline_pbx.evidence import excerpts, printing
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of

TEMPLATE = "evidence/excerpt.html"
NOTICES = {"released": "The excerpt is released: it can be picked for a facility report.",
           "withdrawn": "The excerpt is withdrawn: it is no longer offered for printing."}


def _page(request: web.Request, page: excerpts.ExcerptPage, *, error: Invalid | None = None,
          typed: str | None = None) -> web.Response:
    return form_page(request, TEMPLATE, error, page=page, s=page.subject,
                     typed=page.excerpt if typed is None else typed,
                     notice=NOTICES.get(request.query.get("done", ""), ""),
                     limit=printing.MAX_EXCERPT)


@require("supervisor")
async def excerpt_page(request: web.Request) -> web.StreamResponse:
    async with request.app[POOL].acquire() as con:
        page = await excerpts.page(con, request.app[KEY_RING], path_uuid(request),
                                   current_user(request).id)
    return _page(request, page)


@require("supervisor")
async def excerpt_save(request: web.Request) -> web.StreamResponse:
    report_id = path_uuid(request)
    text = (await form_data(request)).get("excerpt", "")
    try:
        async with request.app[POOL].acquire() as con:
            await excerpts.release(con, request.app[KEY_RING], report_id, text,
                                   current_user(request).id)
    except Invalid as e:
        return _page(request, page_of(e, excerpts.ExcerptPage), error=e, typed=text)
    raise web.HTTPSeeOther(f"/reports/{report_id}/excerpt?done=released")


@require("supervisor")
async def excerpt_withdraw(request: web.Request) -> web.StreamResponse:
    report_id = path_uuid(request)
    async with request.app[POOL].acquire() as con:
        await excerpts.withdraw(con, report_id, current_user(request).id)
    raise web.HTTPSeeOther(f"/reports/{report_id}/excerpt?done=withdrawn")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/reports/{id}/excerpt", excerpt_page, name="report-excerpt"),
        web.post("/reports/{id}/excerpt", excerpt_save, name="report-excerpt-save"),
        web.post("/reports/{id}/excerpt/withdraw", excerpt_withdraw,
                 name="report-excerpt-withdraw"),
    ]
