"""Web pages for working follow-ups: my list, everyone's (supervisors, filtered), one
follow-up with its person, notes and history, and "contact family" from a person's page."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import (
    edit_marks,
    followup_forms,
    followup_rules,
    followup_work,
    revision_work,
)
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.cases.webutil import path_uuid, query
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import FORM, Conflict, Invalid, RequestError
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web import form_keys, paging, times
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_again, form_page, page_of
from lifeline_pbx.web.render import render

LIST, PAGE, CONTACT = ("cases/follow_ups.html", "cases/follow_up.html",
                       "cases/contact_family.html")

FILTERS = ("status", "overdue", "assignee", "facility")


def _supervisor(request: web.Request) -> bool:
    return current_user(request).at_least("supervisor")


async def _list(request: web.Request, *, everyone: bool) -> web.StreamResponse:
    user = current_user(request)
    today = times.hotline_today()
    context: dict[str, Any] = {
        "everyone": everyone, "supervisor": _supervisor(request), "today": today,
        "shown": {name: query(request, name) for name in FILTERS}, "listing": None,
    }
    try:
        async with request.app[POOL].acquire() as con:
            found = await followup_work.list_page(con, request.app[KEY_RING], user.id,
                                                  request.query, everyone=everyone, today=today)
    except Invalid as e:
        choices = page_of(e, followup_work.ListChoices)
        return form_again(request, e, LIST, users=choices.users, facilities=choices.facilities,
                          **context)
    context["listing"] = paging.page(found.found, found.total, found.at, request)
    return render(request, LIST, errors={}, users=found.choices.users,
                  facilities=found.choices.facilities, **context)


@require("operator")
async def my_follow_ups(request: web.Request) -> web.StreamResponse:
    return await _list(request, everyone=False)


@require("supervisor")
async def all_follow_ups(request: web.Request) -> web.StreamResponse:
    return await _list(request, everyone=True)


CHANGED = ("status", "assignee", "due_on")  # the fields of the "Work on it" form


def _page(request: web.Request, page: followup_work.FollowUpPage, *,
          error: RequestError | None = None, whole: str = FORM, typed: str = "",
          note_key: str = "", typed_what: str | None = None,
          typed_change: dict[str, str] | None = None) -> web.Response:
    """The follow-up's page; with an error, again with the problem beside the form it
    concerns (`whole`: the form a problem of no one field belongs to) and what was typed
    (`typed_change`: the fields of the "Work on it" form that were sent: in the form, or,
    when the follow-up changed after the form was opened, beside the form that shows it
    as it is now)."""
    today = times.hotline_today()
    f = page.opened.follow_up
    meanwhile = isinstance(error, edit_marks.Changed)
    context: dict[str, Any] = dict(
        opened=page.opened, f=f, today=today, work_mark=page.mark,
        due=followup_rules.due_state(f.status, f.due_on, today),
        supervisor=_supervisor(request), assignees=page.assignees, typed_note=typed,
        note_key=note_key or form_keys.new(),  # the note form's
        typed_change={} if meanwhile else (typed_change or {}),
        chosen=(typed_change or {}) if meanwhile else {},
        statuses=followup_rules.STATUSES, typed_what=f.what if typed_what is None else typed_what)
    return form_page(request, PAGE, error, whole=whole, **context)


@require("operator")
async def follow_up_page(request: web.Request) -> web.StreamResponse:
    async with request.app[POOL].acquire() as con:
        page = await followup_work.follow_up_page(con, request.app[KEY_RING], path_uuid(request),
                                                  current_user(request).id, _supervisor(request))
    return _page(request, page)


Work = Callable[[Conn, uuid.UUID, FormData], Awaitable[object]]


async def _post(request: web.Request, work: Work, anchor: str = "", whole: str = FORM,
                typed: Callable[[FormData], dict[str, Any]] = lambda _: {}
                ) -> web.StreamResponse:
    """One change to the follow-up in the path; refused, its page again (the error
    carries it) with the problem and what was typed."""
    follow_up_id = path_uuid(request)
    posted = await form_data(request)
    try:
        async with request.app[POOL].acquire() as con:
            await work(con, follow_up_id, posted)
    except (Invalid, Conflict) as e:
        return _page(request, page_of(e, followup_work.FollowUpPage), error=e, whole=whole,
                     **typed(posted))
    raise web.HTTPSeeOther(f"/follow-ups/{follow_up_id}{anchor}")


@require("operator")
async def change(request: web.Request) -> web.StreamResponse:
    """Status, assignee or due date (followup_rules decides who may change what)."""
    user = current_user(request)
    return await _post(request, lambda con, follow_up_id, posted: followup_work.change_form(
        con, request.app[KEY_RING], follow_up_id, user.id, _supervisor(request), posted,
        times.hotline_today()), whole="change",
        typed=lambda posted: {"typed_change": {name: str(posted[name]) for name in CHANGED
                                               if name in posted}})


@require("operator")
async def add_note(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    return await _post(request, lambda con, follow_up_id, posted: followup_work.note_form(
        con, request.app[KEY_RING], follow_up_id, user.id, _supervisor(request), posted),
        anchor="#follow-up-notes", whole="note",
        typed=lambda posted: {"typed": str(posted.get("note", "")),
                              "note_key": str(posted.get(form_keys.FIELD, ""))})


@require("supervisor")
async def correct(request: web.Request) -> web.StreamResponse:
    """What is to be done, corrected: a new revision (revision_work.correct_follow_up)."""
    user = current_user(request)
    return await _post(request, lambda con, follow_up_id, posted: (
        revision_work.correct_follow_up_form(con, request.app[KEY_RING], follow_up_id, posted,
                                             user.id, _supervisor(request))),
        anchor="#follow-up-history", whole="what",
        typed=lambda posted: {"typed_what": str(posted.get("what", ""))})


def _contact_form(request: web.Request, page: followup_work.ContactPage, *,
                  error: Invalid | None = None,
                  values: dict[str, str] | None = None) -> web.Response:
    context: dict[str, Any] = dict(
        needs=page.needs, person_id=path_uuid(request), assignees=page.assignees,
        values=values or {"followup_what": followup_forms.CONTACT_FAMILY,
                          form_keys.FIELD: form_keys.new()})
    return form_page(request, CONTACT, error, **context)


@require("supervisor")
async def contact_family_page(request: web.Request) -> web.StreamResponse:
    person_id, intake_id = path_uuid(request), path_uuid(request, "intake")
    async with request.app[POOL].acquire() as con:
        page = await followup_work.contact_page(con, request.app[KEY_RING], person_id,
                                                intake_id, current_user(request).id)
    return _contact_form(request, page)


@require("supervisor")
async def contact_family(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    person_id, intake_id = path_uuid(request), path_uuid(request, "intake")
    posted = await form_data(request)
    try:
        async with request.app[POOL].acquire() as con:
            follow_up_id = await followup_work.contact_family(
                con, request.app[KEY_RING], person_id, intake_id, posted, user.id)
    except Invalid as e:
        values = {k: v for k, v in posted.items() if k != "csrf_token"}
        return _contact_form(request, page_of(e, followup_work.ContactPage), error=e,
                             values=values)
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

