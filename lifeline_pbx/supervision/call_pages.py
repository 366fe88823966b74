"""The call history for supervisors: every call, filtered by date (days in the statistics'
zone), facility, line, language, triage, outcome, operator and answered calls with no
intake, a page at a time with the total count."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from lifeline_pbx.cases.forms import CALLER_LANGUAGES
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.supervision import call_history
from lifeline_pbx.web import paging
from lifeline_pbx.web.auth import require
from lifeline_pbx.web.filters import checked, choice, number, period
from lifeline_pbx.web.render import render


def parse(query: Mapping[str, str]) -> call_history.CallFilter:
    checked(query)
    since, until = period(query)
    return call_history.CallFilter(
        since=since, until=until, facility_id=number(query, "facility"),
        line_id=number(query, "line"),
        language=choice(query, "language", dict(CALLER_LANGUAGES)),
        triage=choice(query, "triage", call_history.TRIAGES),
        outcome=choice(query, "outcome", call_history.OUTCOMES),
        operator_id=number(query, "operator"),
        intake=choice(query, "intake", call_history.INTAKES),
    )


@require("supervisor")
async def calls_page(request: web.Request) -> web.StreamResponse:
    filters = parse(request.query)
    at = paging.requested(request)
    async with request.app[POOL].acquire() as con:
        found = await call_history.calls_page(con, request.app[KEY_RING], filters, at)
    return render(request, "supervision/calls.html", filters=filters,
                  calls=paging.page(found.rows, found.total, found.at, request),
                  languages=CALLER_LANGUAGES, triages=call_history.TRIAGES,
                  outcomes=call_history.OUTCOMES, intakes=call_history.INTAKES,
                  zone=call_history.ZONE, facilities=found.choices.facilities,
                  lines=found.choices.lines, operators=found.choices.operators)


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/calls", calls_page, name="calls"),
    ]
