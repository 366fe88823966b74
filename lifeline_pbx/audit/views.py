"""The admins' audit log pages: entries filtered by user, person, action, kind of record
and dates, a page at a time; their CSV export; and the hash chain's verdict."""

from __future__ import annotations

from aiohttp import web

from lifeline_pbx.audit import chain, query, viewer
from lifeline_pbx.errors import Invalid
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web import paging
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.errors import form_again, page_of
from lifeline_pbx.web.render import render

TEMPLATE = "admin/audit.html"


@require("admin")
async def audit_page(request: web.Request) -> web.StreamResponse:
    """A refused filter shows the form again, with what was typed and the problem."""
    typed = dict(request.query)
    try:
        found = await viewer.page(request.app[POOL], request.app[KEY_RING], request.query,
                                  current_user(request).id)
    except Invalid as e:
        return form_again(request, e, TEMPLATE, choices=page_of(e, viewer.Choices),
                          typed=typed, filters=None, entries=None, export_query="",
                          notice="")
    return render(request, TEMPLATE, errors={}, choices=found.choices, typed=typed,
                  filters=found.filters,
                  entries=paging.page(found.rows, found.total, found.at, request),
                  export_query=request.query_string, notice="")


@require("admin")
async def audit_csv(request: web.Request) -> web.StreamResponse:
    filters = query.parse(request.query)
    csv = await viewer.export_csv(request.app[POOL], request.app[KEY_RING], filters,
                                  current_user(request).id)
    return web.Response(
        text=csv, content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})


@require("admin")
async def chain_page(request: web.Request) -> web.StreamResponse:
    verdict = await viewer.chain_verdict(request.app[POOL])
    return render(request, "admin/audit_chain.html", verdict=verdict,
                  summary=chain.describe(verdict), notice="")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/admin/audit", audit_page, name="admin_audit"),
        web.get("/admin/audit.csv", audit_csv, name="admin_audit_csv"),
        web.get("/admin/audit/chain", chain_page, name="admin_audit_chain"),
    ]
