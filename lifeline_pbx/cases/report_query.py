"""The report list's filters as the address gives them (web/filters.py checks each)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping

from lifeline_pbx.cases.forms import CALLER_LANGUAGES, SEVERITIES
from lifeline_pbx.cases.reports import ReportFilter
from lifeline_pbx.web.filters import FilterInvalid, checked, choice, day, number, period, text


def person(query: Mapping[str, str]) -> uuid.UUID | None:
    value = query.get("person", "").strip()
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        raise FilterInvalid("person: not a person's id.") from None


def incident(query: Mapping[str, str]) -> tuple[dt.date | None, dt.date | None]:
    first, last = day(query, "incident_from"), day(query, "incident_to")
    if first and last and last < first:
        raise FilterInvalid("incident_to: the end comes before the start.")
    return first, last


def parse(query: Mapping[str, str]) -> ReportFilter:
    """The filter; a category unknown here simply matches nothing. `since` and `until`
    are the days it was recorded on (the labels say "Recorded from/to")."""
    checked(query)
    since, until = period(query)
    incident_from, incident_to = incident(query)
    who = person(query)
    return ReportFilter(
        facility_id=number(query, "facility"),
        category=text(query, "category"),
        since=since, until=until, incident_from=incident_from, incident_to=incident_to,
        severity=choice(query, "severity", SEVERITIES),
        language=choice(query, "language", dict(CALLER_LANGUAGES)),
        housing_unit=text(query, "housing_unit"),
        partner_id=number(query, "partner"),
        person_ids=() if who is None else (who,),
    )
