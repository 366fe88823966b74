"""Supervisors find people by any part of a name, A-number, date of birth and facility.

Each search is audited by what it searched by (never the values typed), and each person it
shows by the fields shown, in the same transaction as the search.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from lifeline_pbx import audit
from lifeline_pbx.cases import anumber, search
from lifeline_pbx.cases.webutil import keys, pool
from lifeline_pbx.web import paging
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.filters import FilterInvalid, checked, day, number, text
from lifeline_pbx.web.render import render

SHOWN = ("a_number", "names", "date_of_birth", "facility")
PER_PAGE = 20


def parse(query: Mapping[str, str]) -> search.Criteria:
    checked(query)
    typed = text(query, "a_number")
    try:
        normal = None if typed is None else anumber.normalise(typed)
    except anumber.ANumberError as e:
        raise FilterInvalid(str(e)) from None
    return search.Criteria(name=text(query, "name") or "", a_number=normal,
                           date_of_birth=day(query, "dob"),
                           facility_id=number(query, "facility"))


@require("supervisor")
async def search_page(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    async with pool(request).acquire() as con:
        facilities = [(r["id"], r["name"]) for r in
                      await con.fetch("SELECT id, name FROM facilities ORDER BY name")]
        context: dict[str, Any] = {"typed": dict(request.query), "facilities": facilities,
                                   "found": None}
        try:
            criteria = parse(request.query)
        except FilterInvalid as e:
            return render(request, "cases/people_search.html", status=422, error=str(e),
                          **context)
        if not criteria.fields():
            return render(request, "cases/people_search.html", error="", **context)
        if criteria.name and not search.name_given(criteria.name):
            return render(request, "cases/people_search.html", status=422,
                          error="Type at least two letters of a name.", **context)
        at = paging.requested(request, default_per_page=PER_PAGE)
        async with con.transaction():
            total, found = await search.find(con, keys(request), criteria, at)
            await audit.record(con, user.id, "view", "people", "search", criteria.fields())
            await audit.record_views(con, user.id,
                                     (("person", person.id, SHOWN) for person in found))
    context["found"] = paging.page(found, total, at, request)
    return render(request, "cases/people_search.html", error="", display=anumber.display,
                  **context)


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/people/search", search_page, name="people-find"),
    ]
