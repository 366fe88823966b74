"""A supervisor's page for moving an intake filed under the wrong person to the right one
(misfile_work.py): its reports and follow-ups go with it, and what it added to the wrong
person's record can be taken off in the same step."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import anumber, forms, misfile_work
from lifeline_pbx.cases.correction_rules import base_of
from lifeline_pbx.cases.webutil import path_uuid
from lifeline_pbx.errors import Conflict, Invalid, RequestError
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of

log = logging.getLogger(__name__)
TEMPLATE = "cases/intake_move.html"
TYPED = ("a_number", "person_names", "person_dob", "person_country", "person_facility",
         "reason", "remove_facility")
SEVERAL = ("person_languages", "remove_names", "remove_languages")


def typed_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the supervisor typed and ticked, to show again when nothing was moved."""
    values: dict[str, Any] = {k: v for k in TYPED if isinstance(v := data.get(k, ""), str)}
    getall = getattr(data, "getall", None)
    for name in SEVERAL:
        values[name] = list(getall(name, [])) if getall else []
    return values


def _form(request: web.Request, page: misfile_work.MovePage, values: dict[str, Any],
          base: int, error: RequestError | None = None) -> web.Response:
    return form_page(request, TEMPLATE, error, page=page, values=values, base=base,
                     a_number=anumber.display(page.person.a_number),
                     caller_languages=[(c, n) for c, n in forms.CALLER_LANGUAGES
                                       if c != "other"])


@require("supervisor")
async def move_page(request: web.Request) -> web.StreamResponse:
    intake_id = path_uuid(request)
    async with request.app[POOL].acquire() as con:
        page = await misfile_work.move_page(con, request.app[KEY_RING], intake_id,
                                            current_user(request).id)
    facility = page.added.facility_entry
    values = {"remove_facility": "" if facility is None else str(facility),
              "person_languages": [], "remove_names": [], "remove_languages": []}
    return _form(request, page, values, page.base)


@require("supervisor")
async def move(request: web.Request) -> web.StreamResponse:
    intake_id, user = path_uuid(request), current_user(request)
    data = await form_data(request)
    base = base_of(data)
    try:
        async with request.app[POOL].acquire() as con:
            target = await misfile_work.move_form(con, request.app[KEY_RING], intake_id, data,
                                                  base, user.id)
    except (Invalid, Conflict) as e:
        return _form(request, page_of(e, misfile_work.MovePage), typed_values(data), base, e)
    log.info("intake moved intake_id=%s user_id=%d", intake_id, user.id)
    raise web.HTTPSeeOther(f"/people/{target}?moved=1")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/intakes/{id}/move", move_page, name="intake-move"),
        web.post("/intakes/{id}/move", move, name="intake-move-save"),
    ]
