"""A record's content as a revision keeps it (plain JSON, sealed whole by revisions.py),
and as the history page shows it: pure, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from lifeline_pbx.cases import correction_words, followups, intakes, reports


def _day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _id(value: object) -> str | None:
    return None if value is None else str(value)


def intake(stored: intakes.Stored) -> dict[str, Any]:
    return {"person_id": _id(stored.person_id), "facility_id": stored.facility_id,
            "language": stored.language, "triage": stored.triage, "outcome": stored.outcome,
            "needs": list(stored.needs), "needs_note": stored.needs_note,
            "family_contact": stored.family, "family_consent": stored.family_consent}


def report(stored: reports.Stored) -> dict[str, Any]:
    form = stored.form
    return {"facility": stored.facility_id, "person_id": _id(stored.person_id),
            "category": form.category, "severity": form.severity,
            "occurred_from": _day(form.occurred_from), "occurred_to": _day(form.occurred_to),
            "affected": form.affected, "people": form.people,
            "housing_unit": form.housing_unit,
            "narrative": form.narrative, "consents": sorted(form.partner_ids)}


def follow_up(stored: followups.FollowUp) -> dict[str, Any]:
    return {"what": stored.what, "due_on": _day(stored.due_on),
            "assignee_id": stored.assignee_id, "person_id": _id(stored.person_id),
            "report_id": _id(stored.report_id)}


def _text(name: str, value: Any, names: Mapping[str, Mapping[int, str]]) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name in ("facility", "facility_id", "assignee_id", "consents"):
        table = names.get("users" if name == "assignee_id" else
                          "partners" if name == "consents" else "facilities", {})
        items = value if isinstance(value, list) else [value]
        return ", ".join(table.get(int(i), f"#{i}") for i in items)
    if isinstance(value, dict):
        return " · ".join(f"{k}: {v}" for k, v in sorted(value.items()) if v)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def shown(content: Mapping[str, Any],
          names: Mapping[str, Mapping[int, str]]) -> list[tuple[str, str, str]]:
    """(field, label, text) for each field of a revision's content, in the order of
    correction_words.LABELS; ids as names where `names` ("facilities", "partners", "users":
    id -> name) has them."""
    order = {name: i for i, name in enumerate(correction_words.LABELS)}
    return [(name, correction_words.LABELS.get(name, name), _text(name, content[name], names))
            for name in sorted(content, key=lambda n: (order.get(n, len(order)), n))]
