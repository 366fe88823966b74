"""Supervisors' pages for proposed corrections of a person: the open ones, and accepting or
rejecting one (from the person's page, which shows each beside the record)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import people, person_work, proposal_work
from lifeline_pbx.cases.webutil import case_error, keys, path_uuid, pool
from lifeline_pbx.db import Conn
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.render import render

log = logging.getLogger(__name__)


async def person_context(con: Conn, request: web.Request,
                         person: people.Person) -> dict[str, Any]:
    """What the person page's proposals section needs."""
    found = await proposal_work.for_person(con, keys(request), person,
                                           current_user(request).id)
    facilities = await con.fetch("SELECT id, name FROM facilities")
    return {"proposals": found,
            "facility_names": {r["id"]: r["name"] for r in facilities}}


@require("supervisor")
async def proposals_page(request: web.Request) -> web.StreamResponse:
    async with pool(request).acquire() as con:
        found = await proposal_work.listing(con)
    return render(request, "cases/proposals.html", proposals=found,
                  most=proposal_work.MAX_LISTED)


@require("supervisor")
async def decide(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    proposal_id = path_uuid(request)
    decision = (await form_data(request)).get("decision", "")
    async with pool(request).acquire() as con:
        try:
            person_id, changed = await proposal_work.decide(con, keys(request), proposal_id,
                                                            decision, user.id)
        except person_work.CaseError as e:
            raise case_error(e) from None
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



