"""Supervisors' pages for proposed corrections of a person: the open ones, and accepting or
rejecting one (from the person's page, which shows each beside the record)."""

from __future__ import annotations

import logging

from aiohttp import web

from lifeline_pbx.cases import proposal_work
from lifeline_pbx.cases.webutil import path_uuid
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.render import render

log = logging.getLogger(__name__)


@require("supervisor")
async def proposals_page(request: web.Request) -> web.StreamResponse:
    async with request.app[POOL].acquire() as con:
        found = await proposal_work.listing(con)
    return render(request, "cases/proposals.html", proposals=found,
                  most=proposal_work.MAX_LISTED)


@require("supervisor")
async def decide(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    proposal_id = path_uuid(request)
    decision = (await form_data(request)).get("decision", "")
    async with request.app[POOL].acquire() as con:
        person_id, changed = await proposal_work.decide(con, request.app[KEY_RING], proposal_id,
                                                        decision, user.id)
    log.info("person correction %s proposal_id=%s user_id=%d fields=%s", decision,
             proposal_id, user.id, ",".join(changed) or "-")
    raise web.HTTPSeeOther(f"/people/{person_id}?proposal={_word(decision)}#person-proposals")


def _word(decision: str) -> str:
    return proposal_work.DECISIONS.get(decision, "")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/proposals", proposals_page, name="proposals"),
        web.post("/proposals/{id}", decide, name="proposal-decide"),
    ]



