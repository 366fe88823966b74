"""The anonymised export for supervisors (coordinators) and admins: the form with its
download links, and the downloads themselves (cells or reports, CSV or JSON), streamed."""

from __future__ import annotations

from aiohttp import web

from lifeline_pbx.evidence import export_query, export_rules, export_work
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.render import render


@require("supervisor")
async def export_page(request: web.Request) -> web.StreamResponse:
    query = export_query.parse(request.query)
    found = await export_work.choices(request.app[POOL])
    return render(request, "evidence/export.html", query=query, choices=found,
                  search=request.query_string, shapes=export_query.SHAPES,
                  formats=export_query.FORMATS, floor=export_rules.THRESHOLD_FLOOR,
                  ceiling=export_rules.THRESHOLD_MAX)


@require("supervisor")
async def export_download(request: web.Request) -> web.StreamResponse:
    query = export_query.parse(request.query)
    shape, fmt = request.match_info["shape"], request.match_info["format"]
    async with export_work.opened(request.app[POOL], request.app[KEY_RING], query, shape, fmt,
                                  current_user(request).id) as download:
        response = web.StreamResponse(headers={
            "Content-Type": download.content_type,
            "Content-Disposition": f'attachment; filename="{download.filename}"'})
        await response.prepare(request)
        async for chunk in download.chunks:
            await response.write(chunk)
        await response.write_eof()
    return response


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/evidence/export", export_page, name="evidence-export"),
        web.get("/evidence/export/{shape:cells|reports}.{format:csv|json}", export_download,
                name="evidence-export-download"),
    ]
