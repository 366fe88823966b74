"""Supervisors find people by whole words of a name, A-number, date of birth and facility.

Each search is audited by what it searched by (never the values typed), and each person it
shows by the fields shown, in the same transaction as the search.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import anumber, person_work, search
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


def _asked(request: web.Request) -> tuple[search.Criteria, paging.Window] | None:
    """What to search by and the page asked for; None: nothing typed yet."""
    criteria = parse(request.query)
    if not criteria.fields():
        return None
    return criteria, paging.requested(request, default_per_page=PER_PAGE)


@require("supervisor")
async def search_page(request: web.Request) -> web.StreamResponse:
    """Refused criteria show the form again, with the facilities as ever (the page's one
    call then searches nothing)."""
    refused: Invalid | None = None
    try:
        asked = _asked(request)
    except Invalid as e:
        asked, refused = None, e
    async with request.app[POOL].acquire() as con:
        found = await person_work.search_page(con, request.app[KEY_RING], asked,
                                              current_user(request).id)
    context: dict[str, Any] = {"typed": dict(request.query), "found": None,
                               "facilities": found.facilities}
    if refused is not None:
        return form_again(request, refused, TEMPLATE, error=refused.message, **context)
    if found.at is None:
        return render(request, TEMPLATE, error="", **context)
    context["found"] = paging.page(found.found, found.total, found.at, request)
    return render(request, TEMPLATE, error="", display=anumber.display, **context)


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/people/search", search_page, name="people-find"),
    ]
