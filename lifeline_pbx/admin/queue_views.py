"""Admin pages for queues: list, create, edit (settings and who serves it), delete.

A refused change shows the page again with each problem beside its field, having saved
nothing. A saved change reaches the call engine by the tables' triggers: the next offer
rings with the new settings, nothing restarted.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDict

from lifeline_pbx.admin import queue_changes as changes
from lifeline_pbx.errors import Conflict, Invalid, RequestError
from lifeline_pbx.queues import queue_rules
from lifeline_pbx.resources import POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of

QUEUE_ID = r"{queue_id:\d{1,18}}"
LIST_TEMPLATE = "admin/queues.html"
EDIT_TEMPLATE = "admin/queue.html"
NOTICES = {"created": "Queue created.", "saved": "Saved: the next call uses it.",
           "unchanged": "Nothing changed.", "deleted": "Queue deleted."}


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/admin/queues", queues_page, name="admin_queues"),
        web.post("/admin/queues", queue_create, name="admin_queue_create"),
        web.get(f"/admin/queues/{QUEUE_ID}", queue_page, name="admin_queue"),
        web.post(f"/admin/queues/{QUEUE_ID}", queue_save),
        web.post(f"/admin/queues/{QUEUE_ID}/delete", queue_delete),
    ]


def _values(form: MultiDict[str]) -> dict[str, Any]:
    """The form as sent: the settings' fields, and the operators ticked (none: nobody)."""
    return {**{name: form.get(name, "").strip() for name in queue_rules.FIELDS},
            "operators": form.getall("operators", [])}


def _notice(request: web.Request) -> str:
    return NOTICES.get(request.query.get("done", ""), "")


def _list_page(request: web.Request, page: changes.QueuesPage, *,
               error: RequestError | None = None,
               values: dict[str, Any] | None = None) -> web.Response:
    return form_page(request, LIST_TEMPLATE, error, whole="form", queues=page.queues,
                     operators=page.operators, bounds=queue_rules.BOUNDS,
                     values=values or {**queue_rules.DEFAULTS, "operators": []},
                     notice=_notice(request))


@require("admin")
async def queues_page(request: web.Request) -> web.StreamResponse:
    return _list_page(request, await changes.listing(request.app[POOL]))


@require("admin")
async def queue_create(request: web.Request) -> web.StreamResponse:
    values = _values(await form_data(request))
    try:
        queue_id = await changes.create(request.app[POOL], current_user(request).id, values)
    except Invalid as e:
        return _list_page(request, page_of(e, changes.QueuesPage), error=e, values=values)
    raise web.HTTPSeeOther(f"/admin/queues/{queue_id}?done=created")


def _queue_id(request: web.Request) -> int:
    return int(request.match_info["queue_id"])


def _edit_page(request: web.Request, page: changes.QueuePage, *,
               error: RequestError | None = None,
               values: dict[str, Any] | None = None) -> web.Response:
    found = page.queue
    shown = values or {**queue_rules.as_form(found.settings),
                       "operators": [str(i) for i in found.operator_ids]}
    return form_page(request, EDIT_TEMPLATE, error, whole="problem", queue=found,
                     operators=page.operators, bounds=queue_rules.BOUNDS, values=shown,
                     notice=_notice(request))


@require("admin")
async def queue_page(request: web.Request) -> web.StreamResponse:
    return _edit_page(request, await changes.page(request.app[POOL], _queue_id(request)))


@require("admin")
async def queue_save(request: web.Request) -> web.StreamResponse:
    values, queue_id = _values(await form_data(request)), _queue_id(request)
    try:
        changed = await changes.update(request.app[POOL], current_user(request).id, queue_id,
                                       values)
    except Invalid as e:
        return _edit_page(request, page_of(e, changes.QueuePage), error=e, values=values)
    raise web.HTTPSeeOther(f"/admin/queues/{queue_id}?done={'saved' if changed else 'unchanged'}")


@require("admin")
async def queue_delete(request: web.Request) -> web.StreamResponse:
    try:
        await changes.delete(request.app[POOL], current_user(request).id, _queue_id(request))
    except Conflict as e:
        return _edit_page(request, page_of(e, changes.QueuePage), error=e)
    raise web.HTTPSeeOther("/admin/queues?done=deleted")
