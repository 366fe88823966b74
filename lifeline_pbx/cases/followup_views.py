"""Web pages for working follow-ups: my list, everyone's (supervisors, filtered), one
follow-up with its person, notes and history, and "contact family" from a person's page."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import (
    followup_forms,
    followup_rules,
    followup_work,
    pick_lists,
    revision_views,
    revision_work,
)
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.cases.webutil import path_uuid, query
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import FORM, Conflict, Invalid, RequestError
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web import paging
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_again
from lifeline_pbx.web.render import render

PER_PAGE = 25  # follow-ups on one page
LIST, PAGE, CONTACT = ("cases/follow_ups.html", "cases/follow_up.html",
                       "cases/contact_family.html")

FILTERS = ("status", "overdue", "assignee", "facility")


def _supervisor(request: web.Request) -> bool:
    return current_user(request).at_least("supervisor")


async def _list(request: web.Request, *, everyone: bool) -> web.StreamResponse:
    user = current_user(request)
    today = dt.date.today()
    shown = {name: query(request, name) for name in FILTERS}
    async with request.app[POOL].acquire() as con:
        users = await pick_lists.users(con, enabled_only=False)
        facilities = await pick_lists.facilities(con)
        context: dict[str, Any] = {
            "everyone": everyone, "supervisor": _supervisor(request), "today": today,
            "users": users, "facilities": facilities, "shown": shown, "listing": None,
        }
        try:
            where = followup_forms.parse_filter(
                request.query, users={i for i, _ in users}, facilities={i for i, _ in facilities},
                supervisor=everyone, user_id=user.id)
            at = paging.window(request.query, default_per_page=PER_PAGE)
        except Invalid as e:
            return form_again(request, e, LIST, **context)
        total, at, found = await followup_work.listing(con, request.app[KEY_RING], user.id, where,
                                                       at, today)
        context["listing"] = paging.page(found, total, at, request)
    return render(request, LIST, errors={}, **context)


@require("operator")
async def my_follow_ups(request: web.Request) -> web.StreamResponse:
    return await _list(request, everyone=False)


@require("supervisor")
async def all_follow_ups(request: web.Request) -> web.StreamResponse:
    return await _list(request, everyone=True)


async def _page(request: web.Request, follow_up_id: uuid.UUID, *,
                error: RequestError | None = None, whole: str = FORM, typed: str = "",
                typed_what: str | None = None) -> web.Response:
    """The follow-up's page; with an error, again with the problem beside the form it
    concerns (`whole`: the form a problem of no one field belongs to) and what was typed."""
    user = current_user(request)
    supervisor = _supervisor(request)
    async with request.app[POOL].acquire() as con:
        opened = await followup_work.open_follow_up(con, request.app[KEY_RING], follow_up_id,
                                                    user.id, supervisor)
        assignees = await pick_lists.users(con) if supervisor else []
    today = dt.date.today()
    f = opened.follow_up
    context: dict[str, Any] = dict(
        opened=opened, f=f, today=today,
        due=followup_rules.due_state(f.status, f.due_on, today), supervisor=supervisor,
        assignees=assignees, typed_note=typed, statuses=followup_rules.STATUSES,
        typed_what=f.what if typed_what is None else typed_what)
    if error is not None:
        return form_again(request, error, PAGE, whole=whole, **context)
    return render(request, PAGE, errors={}, **context)


@require("operator")
async def follow_up_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, path_uuid(request))


async def _post(request: web.Request, work: Callable[[Conn, FormData], Awaitable[object]],
                anchor: str = "", whole: str = FORM,
                typed: Callable[[FormData], dict[str, str]] = lambda _: {}
                ) -> web.StreamResponse:
    """One change to the follow-up in the path; refused, its page again with the problem
    and what was typed."""
    follow_up_id = path_uuid(request)
    posted = await form_data(request)
    try:
        async with request.app[POOL].acquire() as con:
            await work(con, posted)
    except (Invalid, Conflict) as e:
        return await _page(request, follow_up_id, error=e, whole=whole, **typed(posted))
    raise web.HTTPSeeOther(f"/follow-ups/{follow_up_id}{anchor}")


@require("operator")
async def change(request: web.Request) -> web.StreamResponse:
    """Status, assignee or due date (followup_rules decides who may change what)."""
    user, follow_up_id = current_user(request), path_uuid(request)
    return await _post(request, lambda con, posted: followup_work.change_form(
        con, follow_up_id, user.id, _supervisor(request), posted, dt.date.today()),
        whole="change")


@require("operator")
async def add_note(request: web.Request) -> web.StreamResponse:
    user, follow_up_id = current_user(request), path_uuid(request)
    return await _post(request, lambda con, posted: followup_work.note_form(
        con, request.app[KEY_RING], follow_up_id, user.id, _supervisor(request), posted),
        anchor="#follow-up-notes", whole="note",
        typed=lambda posted: {"typed": str(posted.get("note", ""))})


@require("supervisor")
async def correct(request: web.Request) -> web.StreamResponse:
    """What is to be done, corrected: a new revision (revision_work.correct_follow_up)."""
    user, follow_up_id = current_user(request), path_uuid(request)
    return await _post(request, lambda con, posted: revision_work.correct_follow_up_form(
        con, request.app[KEY_RING], follow_up_id, posted, revision_views.base_of(posted), user.id),
        anchor="#follow-up-history", whole="what",
        typed=lambda posted: {"typed_what": str(posted.get("what", ""))})


async def _contact_form(request: web.Request, *, error: Invalid | None = None,
                        values: dict[str, str] | None = None) -> web.Response:
    user = current_user(request)
    person_id, intake_id = path_uuid(request), path_uuid(request, "intake")
    async with request.app[POOL].acquire() as con:
        needs = await followup_work.family_of_intake(con, request.app[KEY_RING], person_id,
                                                     intake_id, user.id)
        assignees = await pick_lists.users(con)
    context: dict[str, Any] = dict(
        needs=needs, person_id=person_id, assignees=assignees,
        values=values or {"followup_what": followup_forms.CONTACT_FAMILY})
    if error is not None:
        return form_again(request, error, CONTACT, **context)
    return render(request, CONTACT, errors={}, **context)


@require("supervisor")
async def contact_family_page(request: web.Request) -> web.StreamResponse:
    return await _contact_form(request)


@require("supervisor")
async def contact_family(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    person_id, intake_id = path_uuid(request), path_uuid(request, "intake")
    posted = await form_data(request)
    async with request.app[POOL].acquire() as con:
        try:
            follow_up_id = await followup_work.contact_family(
                con, request.app[KEY_RING], person_id, intake_id, posted, user.id)
        except Invalid as e:
            values = {k: v for k, v in posted.items() if k != "csrf_token"}
            return await _contact_form(request, error=e, values=values)
    raise web.HTTPSeeOther(f"/follow-ups/{follow_up_id}")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/follow-ups", my_follow_ups, name="follow-ups"),
        web.get("/follow-ups/all", all_follow_ups, name="follow-ups-all"),
        web.get("/follow-ups/{id}", follow_up_page, name="follow-up"),
        web.post("/follow-ups/{id}", change, name="follow-up-change"),
        web.post("/follow-ups/{id}/notes", add_note, name="follow-up-note"),
        web.post("/follow-ups/{id}/correct", correct, name="follow-up-correct"),
        web.get("/people/{id}/contact-family/{intake}", contact_family_page,
                name="contact-family"),
        web.post("/people/{id}/contact-family/{intake}", contact_family,
                name="contact-family-save"),
    ]

