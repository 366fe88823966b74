"""Admin pages for queues: list, create, edit (settings and who serves it), delete.

A refused change shows the page again with each problem beside its field, having saved
nothing. A saved change reaches the call engine by the tables' triggers: the next offer
rings with the new settings, nothing restarted.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDict

from lifeline_pbx.admin import staff_changes
from lifeline_pbx.errors import Conflict, Invalid, RequestError
from lifeline_pbx.queues import queue_rules
from lifeline_pbx.queues.queue_rules import QueueSettings
from lifeline_pbx.resources import POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_again
from lifeline_pbx.web.render import render

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


def _values(form: MultiDict[str]) -> dict[str, str]:
    return {name: form.get(name, "").strip() for name in queue_rules.FIELDS}


def _parse(form: MultiDict[str]) -> tuple[QueueSettings, tuple[int, ...]]:
    """The settings and the operators ticked; Invalid naming every bad field at once."""
    errors: dict[str, str] = {}
    settings = operators = None
    try:
        settings = queue_rules.parse_settings(_values(form))
    except Invalid as e:
        errors.update(e.errors)
    try:
        operators = queue_rules.parse_ids(form.getall("operators", []), "operators",
                                          "operators")
    except Invalid as e:
        errors.update(e.errors)
    if errors or settings is None or operators is None:
        raise Invalid(errors)
    return settings, operators


def _notice(request: web.Request) -> str:
    return NOTICES.get(request.query.get("done", ""), "")


async def _list_page(request: web.Request, *, error: RequestError | None = None,
                     values: dict[str, str] | None = None,
                     ticked: list[str] | None = None) -> web.Response:
    found = await staff_changes.queue_listing(request.app[POOL])
    context: dict[str, Any] = dict(
        queues=found.queues, operators=found.operators, bounds=queue_rules.BOUNDS,
        values=values or queue_rules.DEFAULTS, ticked=ticked or [], notice=_notice(request))
    if error is not None:
        return form_again(request, error, LIST_TEMPLATE, whole="form", **context)
    return render(request, LIST_TEMPLATE, errors={}, **context)


@require("admin")
async def queues_page(request: web.Request) -> web.StreamResponse:
    return await _list_page(request)


@require("admin")
async def queue_create(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    try:
        settings, operators = _parse(form)
        queue_id = await staff_changes.create_queue(
            request.app[POOL], current_user(request).id, settings, operators)
    except Invalid as e:
        return await _list_page(request, error=e, values=_values(form),
                                ticked=form.getall("operators", []))
    raise web.HTTPSeeOther(f"/admin/queues/{queue_id}?done=created")


def _queue_id(request: web.Request) -> int:
    return int(request.match_info["queue_id"])


async def _edit_page(request: web.Request, *, error: RequestError | None = None,
                     values: dict[str, str] | None = None,
                     ticked: list[str] | None = None) -> web.Response:
    found, operators = await staff_changes.queue(request.app[POOL], _queue_id(request))
    context: dict[str, Any] = dict(
        queue=found, operators=operators, bounds=queue_rules.BOUNDS,
        values=values or queue_rules.as_form(found.settings),
        ticked=ticked if ticked is not None else [str(i) for i in found.operator_ids],
        notice=_notice(request))
    if error is not None:
        return form_again(request, error, EDIT_TEMPLATE, whole="problem", **context)
    return render(request, EDIT_TEMPLATE, errors={}, **context)


@require("admin")
async def queue_page(request: web.Request) -> web.StreamResponse:
    return await _edit_page(request)


@require("admin")
async def queue_save(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    queue_id = _queue_id(request)
    try:
        settings, operators = _parse(form)
        changed = await staff_changes.update_queue(
            request.app[POOL], current_user(request).id, queue_id, settings, operators)
    except Invalid as e:
        return await _edit_page(request, error=e, values=_values(form),
                                ticked=form.getall("operators", []))
    raise web.HTTPSeeOther(f"/admin/queues/{queue_id}?done={'saved' if changed else 'unchanged'}")


@require("admin")
async def queue_delete(request: web.Request) -> web.StreamResponse:
    try:
        await staff_changes.delete_queue(request.app[POOL], current_user(request).id,
                                         _queue_id(request))
    except Conflict as e:
        return await _edit_page(request, error=e)
    raise web.HTTPSeeOther("/admin/queues?done=deleted")
