"""Supervisors' pages for another user's unsaved intake on a call (cases/draft_takeover.py):
read it, and save it as the call's intake under their own name, or hand it back."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import draft_takeover
from lifeline_pbx.cases.views import binding_text, intake_context
from lifeline_pbx.cases.webutil import path_uuid
from lifeline_pbx.errors import Conflict, Invalid, NotFound
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_again, page_of, problems
from lifeline_pbx.web.render import render

log = logging.getLogger(__name__)
TEMPLATE = "cases/draft_takeover.html"


def _ids(request: web.Request) -> tuple[Any, int]:
    author = request.match_info["author_id"]
    if not author.isdigit():
        raise NotFound("No such record.")
    return path_uuid(request, "call_id"), int(author)


def _context(choices: Any, author: str, call_id: Any, author_id: int,
             values: dict[str, Any], binding: str) -> dict[str, Any]:
    context = intake_context(choices)
    context.update(intake_values=values, intake_binding=binding, author=author,
                   call_id=call_id, outcomes=(),
                   intake_action=f"/calls/{call_id}/drafts/{author_id}")
    return context


@require("supervisor")
async def draft_page(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    call_id, author_id = _ids(request)
    async with request.app[POOL].acquire() as con:
        opened = await draft_takeover.open_draft(con, request.app[KEY_RING], user.id, call_id,
                                                 author_id)
    return render(request, TEMPLATE, sign=opened.author, **_context(
        opened.choices, opened.author.author, call_id, author_id, opened.fields,
        binding_text(opened.bound, f"{opened.author.author}'s")))


@require("supervisor")
async def finish(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    call_id, author_id = _ids(request)
    data = await form_data(request)
    try:
        async with request.app[POOL].acquire() as con:
            saved = await draft_takeover.finish(con, request.app[KEY_RING], user.id, call_id,
                                                author_id, data)
    except (Invalid, Conflict) as e:
        again = page_of(e, draft_takeover.Again)
        typed = {k: v for k, v in data.items() if k != "csrf_token"}
        context = _context(again.choices, again.author, call_id, author_id, typed,
                           "Intake for the call, finished from its unsaved draft.")
        consents = {k: data.getall(k, []) for k in data if k.startswith("report_consent")}
        context.update(intake_consents=consents, intake_errors=problems(e),
                       intake_link=e.link, sign=None)
        return form_again(request, e, TEMPLATE, **context)
    log.info("draft finished by a supervisor intake_id=%s call_id=%s user_id=%d author_id=%d",
             saved.intake_id, call_id, user.id, author_id)
    raise web.HTTPSeeOther(f"/calls/{call_id}")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/calls/{call_id}/drafts/{author_id}", draft_page, name="draft-takeover"),
        web.post("/calls/{call_id}/drafts/{author_id}", finish),
    ]
