"""Supervisors find people by any part of a name, A-number, date of birth and facility.

Each search is audited by what it searched by (never the values typed), and each person it
shows by the fields shown, in the same transaction as the search.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import anumber, person_work, pick_lists, search
from lifeline_pbx.errors import Invalid
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web import paging
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.errors import form_again
from lifeline_pbx.web.filters import FilterInvalid, checked, day, number, text
from lifeline_pbx.web.render import render

PER_PAGE = 20
TEMPLATE = "cases/people_search.html"


def parse(query: Mapping[str, str]) -> search.Criteria:
    checked(query)
    typed = text(query, "a_number")
    try:
        normal = None if typed is None else anumber.normalise(typed)
    except anumber.ANumberError as e:
        raise FilterInvalid(e.message) from None
    criteria = search.Criteria(name=text(query, "name") or "", a_number=normal,
                               date_of_birth=day(query, "dob"),
                               facility_id=number(query, "facility"))
    if criteria.name and not search.name_given(criteria.name):
        raise FilterInvalid("Type at least two letters of a name.")
    return criteria


@require("supervisor")
async def search_page(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    async with request.app[POOL].acquire() as con:
        context: dict[str, Any] = {"typed": dict(request.query), "found": None,
                                   "facilities": await pick_lists.facilities(con)}
        try:
            criteria = parse(request.query)
            if not criteria.fields():
                return render(request, TEMPLATE, error="", **context)
            at = paging.requested(request, default_per_page=PER_PAGE)
            total, found = await person_work.search(con, request.app[KEY_RING], criteria, at,
                                                    user.id)
        except Invalid as e:
            return form_again(request, e, TEMPLATE, error=e.message, **context)
    context["found"] = paging.page(found, total, at, request)
    return render(request, TEMPLATE, error="", display=anumber.display, **context)


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/people/search", search_page, name="people-find"),
    ]
