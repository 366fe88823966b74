"""Web pages for working follow-ups: my list, everyone's (supervisors, filtered), one
follow-up with its person, notes and history, and "contact family" from a person's page."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import (
    followup_forms,
    followup_rules,
    followup_work,
    forms,
    person_work,
    revision_views,
    revision_work,
)
from lifeline_pbx.cases.forms import FormInvalid
from lifeline_pbx.cases.webutil import case_error, keys, path_uuid, pool, query
from lifeline_pbx.db import Conn
from lifeline_pbx.web import paging
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.render import render

PER_PAGE = 25  # follow-ups on one page

FILTERS = ("status", "overdue", "assignee", "facility")


async def _users(con: Conn, *, enabled_only: bool) -> list[tuple[int, str]]:
    rows = await con.fetch(
        """SELECT id, display_name FROM users WHERE enabled OR NOT $1
           ORDER BY display_name, id""", enabled_only)
    return [(r["id"], r["display_name"]) for r in rows]


async def _facilities(con: Conn) -> list[tuple[int, str]]:
    rows = await con.fetch("SELECT id, name FROM facilities ORDER BY name")
    return [(r["id"], r["name"]) for r in rows]


def _supervisor(request: web.Request) -> bool:
    return current_user(request).at_least("supervisor")


async def _list(request: web.Request, *, everyone: bool) -> web.StreamResponse:
    user = current_user(request)
    today = dt.date.today()
    shown = {name: query(request, name) for name in FILTERS}
    async with pool(request).acquire() as con:
        users = await _users(con, enabled_only=False)
        facilities = await _facilities(con)
        context: dict[str, Any] = {
            "everyone": everyone, "supervisor": _supervisor(request), "today": today,
            "users": users, "facilities": facilities, "shown": shown, "errors": {},
            "listing": None,
        }
        try:
            where = followup_forms.parse_filter(
                request.query, users={i for i, _ in users}, facilities={i for i, _ in facilities},
                supervisor=everyone, user_id=user.id)
            at = paging.window(request.query, default_per_page=PER_PAGE)
        except FormInvalid as e:
            return render(request, "cases/follow_ups.html", status=422,
                          **{**context, "errors": e.errors})
        except paging.PageError as e:
            return render(request, "cases/follow_ups.html", status=422,
                          **{**context, "errors": {"page": str(e)}})
        total, at, found = await followup_work.listing(con, keys(request), user.id, where,
                                                       at, today)
        context["listing"] = paging.page(found, total, at, request)
    return render(request, "cases/follow_ups.html", **context)


@require("operator")
async def my_follow_ups(request: web.Request) -> web.StreamResponse:
    return await _list(request, everyone=False)


@require("supervisor")
async def all_follow_ups(request: web.Request) -> web.StreamResponse:
    return await _list(request, everyone=True)


async def _page(request: web.Request, follow_up_id: uuid.UUID, *, status: int = 200,
                errors: dict[str, str] | None = None, typed: str = "",
                typed_what: str | None = None) -> web.Response:
    user = current_user(request)
    supervisor = _supervisor(request)
    async with pool(request).acquire() as con:
        try:
            opened = await followup_work.open_follow_up(con, keys(request), follow_up_id,
                                                        user.id, supervisor)
        except person_work.CaseError as e:
            raise case_error(e) from None
        assignees = await _users(con, enabled_only=True) if supervisor else []
    today = dt.date.today()
    f = opened.follow_up
    return render(request, "cases/follow_up.html", status=status, opened=opened, f=f,
                  today=today, due=followup_rules.due_state(f.status, f.due_on, today),
                  supervisor=supervisor, assignees=assignees, errors=errors or {},
                  typed_note=typed, statuses=followup_rules.STATUSES,
                  typed_what=f.what if typed_what is None else typed_what)


@require("operator")
async def follow_up_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, path_uuid(request))


@require("operator")
async def change(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    follow_up_id = path_uuid(request)
    posted = await form_data(request)
    try:
        asked = followup_forms.parse_change(posted)
        async with pool(request).acquire() as con:
            await followup_work.change(con, follow_up_id, user.id, _supervisor(request), asked,
                                       dt.date.today())
    except FormInvalid as e:
        return await _page(request, follow_up_id, status=422, errors=e.errors)
    except person_work.Refused as e:
        return await _page(request, follow_up_id, status=422, errors={"change": str(e)})
    except person_work.CaseError as e:
        raise case_error(e) from None
    raise web.HTTPSeeOther(f"/follow-ups/{follow_up_id}")


@require("operator")
async def add_note(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    follow_up_id = path_uuid(request)
    posted = await form_data(request)
    try:
        body = followup_forms.parse_note(posted)
        async with pool(request).acquire() as con:
            await followup_work.add_note(con, keys(request), follow_up_id, user.id,
                                         _supervisor(request), body)
    except FormInvalid as e:
        return await _page(request, follow_up_id, status=422, errors=e.errors,
                           typed=posted.get("note", ""))
    except person_work.CaseError as e:
        raise case_error(e) from None
    raise web.HTTPSeeOther(f"/follow-ups/{follow_up_id}#follow-up-notes")


@require("supervisor")
async def correct(request: web.Request) -> web.StreamResponse:
    """What is to be done, corrected: a new revision (revision_work.correct_follow_up)."""
    follow_up_id = path_uuid(request)
    posted = await form_data(request)
    base = revision_views.base_of(posted)
    try:
        what = followup_forms.parse_what(posted)
        async with pool(request).acquire() as con:
            await revision_work.correct_follow_up(con, keys(request), follow_up_id, what,
                                                  base, current_user(request).id)
    except FormInvalid as e:
        return await _page(request, follow_up_id, status=422, errors=e.errors,
                           typed_what=posted.get("what", ""))
    except (person_work.Refused, person_work.Conflict) as e:
        return await _page(request, follow_up_id, errors={"what": str(e)},
                           status=422 if isinstance(e, person_work.Refused) else 409,
                           typed_what=posted.get("what", ""))
    except person_work.CaseError as e:
        raise case_error(e) from None
    raise web.HTTPSeeOther(f"/follow-ups/{follow_up_id}#follow-up-history")


async def family_context(con: Conn, request: web.Request,
                         person_id: uuid.UUID) -> dict[str, Any]:
    """What web/templates/cases/person_family.html needs on the person's page."""
    user = current_user(request)
    return {"family_needs": await followup_work.person_needs(
        con, keys(request), person_id, user.id, _supervisor(request))}


async def _contact_form(request: web.Request, *, status: int = 200,
                        errors: dict[str, str] | None = None,
                        values: dict[str, str] | None = None) -> web.Response:
    user = current_user(request)
    person_id, intake_id = path_uuid(request), path_uuid(request, "intake")
    async with pool(request).acquire() as con:
        try:
            needs = await followup_work.family_of_intake(con, keys(request), person_id,
                                                         intake_id, user.id)
        except person_work.CaseError as e:
            raise case_error(e) from None
        assignees = await _users(con, enabled_only=True)
    return render(request, "cases/contact_family.html", status=status, needs=needs,
                  person_id=person_id, assignees=assignees, errors=errors or {},
                  values=values or {"followup_what": followup_forms.CONTACT_FAMILY})


@require("supervisor")
async def contact_family_page(request: web.Request) -> web.StreamResponse:
    return await _contact_form(request)


@require("supervisor")
async def contact_family(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    person_id, intake_id = path_uuid(request), path_uuid(request, "intake")
    posted = await form_data(request)
    async with pool(request).acquire() as con:
        try:
            form = forms.parse_follow_up(posted, await person_work.choices(con))
            follow_up_id = await followup_work.contact_family(
                con, keys(request), person_id, intake_id, form, user.id)
        except FormInvalid as e:
            values = {k: v for k, v in posted.items() if k != "csrf_token"}
            return await _contact_form(request, status=422, errors=e.errors, values=values)
        except person_work.CaseError as e:
            raise case_error(e) from None
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

