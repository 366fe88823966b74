"""The admin's page for a line's emergency on-call list (linked from the line's page).

Admins only. A refused list shows the form again with the problems, having saved nothing;
a saved one redirects (303). The outbound trunk is named as on or off, never its account.
"""

from __future__ import annotations

from aiohttp import web

from lifeline_pbx.errors import Invalid
from lifeline_pbx.escalation import oncall_changes as changes
from lifeline_pbx.outbound.guard import policy_of
from lifeline_pbx.resources import CONFIG, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of

PATH = r"/admin/lines/{line_id:\d{1,18}}/oncall"
TEMPLATE = "admin/line_oncall.html"
NOTICES = {"saved": "Saved: in effect from the next emergency.", "unchanged": "Nothing changed."}


def routes() -> list[web.AbstractRouteDef]:
    return [web.get(PATH, oncall_page, name="admin_line_oncall"), web.post(PATH, oncall_save)]


def _show(request: web.Request, page: changes.OnCallPage, error: Invalid | None = None,
          values: dict[str, str] | None = None) -> web.Response:
    shown = values or {"entries": page.text, "emergency_wait": str(page.emergency_wait or "")}
    return form_page(request, TEMPLATE, error, page=page, values=shown,
                     notice=NOTICES.get(request.query.get("done", ""), ""))


@require("admin")
async def oncall_page(request: web.Request) -> web.StreamResponse:
    line_id = int(request.match_info["line_id"])
    policy = policy_of(request.app[CONFIG])
    return _show(request, await changes.page(request.app[POOL], line_id, policy))


@require("admin")
async def oncall_save(request: web.Request) -> web.StreamResponse:
    line_id = int(request.match_info["line_id"])
    form = {k: str(v) for k, v in (await form_data(request)).items()}
    policy = policy_of(request.app[CONFIG])
    try:
        changed = await changes.save(request.app[POOL], current_user(request).id, line_id,
                                     form, policy)
    except Invalid as e:
        return _show(request, page_of(e, changes.OnCallPage), e, values=form)
    done = "saved" if changed else "unchanged"
    raise web.HTTPSeeOther(f"/admin/lines/{line_id}/oncall?done={done}")
