"""A saved intake turned back into its form's fields, so that the operator who wrote it
can go on with it (after a reload, or in another tab) and save it again as a whole."""

from __future__ import annotations

import uuid
from typing import Any

from lifeline_pbx.cases import anumber, followups, intakes, people, reports
from lifeline_pbx.cases.forms import report_suffix
from lifeline_pbx.cases.person_work import REPORT_FIELDS
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn

Shown = list[tuple[str, uuid.UUID, tuple[str, ...]]]  # (entity, id, fields) to audit as viewed


def _report_fields(number: int, stored: reports.Stored) -> dict[str, Any]:
    sfx, r = report_suffix(number), stored.form
    return {f"report_id{sfx}": str(r.id), f"report_category{sfx}": r.category,
            f"report_severity{sfx}": r.severity,
            f"report_from{sfx}": r.occurred_from.isoformat() if r.occurred_from else "",
            f"report_to{sfx}": r.occurred_to.isoformat() if r.occurred_to else "",
            f"report_affected{sfx}": r.affected,
            f"report_people{sfx}": "" if r.people is None else str(r.people),
            f"report_housing_unit{sfx}": r.housing_unit,
            f"report_narrative{sfx}": r.narrative,
            f"report_consent{sfx}": [str(p) for p in r.partner_ids]}


async def form_values(con: Conn, keys: KeyRing,
                      intake_id: uuid.UUID) -> tuple[dict[str, Any], Shown]:
    old = await intakes.get(con, keys, intake_id)
    if old is None:
        return {}, []
    values: dict[str, Any] = {
        "call_id": str(old.call_id or ""), "facility_id": str(old.facility_id or ""),
        "language": old.language, "triage": str(old.triage), "needs_note": old.needs_note,
        **{f"needs_{need}": "on" for need in old.needs}}
    if old.family is not None:
        values.update(family_name=old.family.get("name", ""),
                      family_phone=old.family.get("phone", ""),
                      family_message=old.family.get("message", ""),
                      family_consent="on" if old.family_consent else "")
    shown: Shown = [("intake", old.id, tuple(name for name in values if values[name]))]
    person = await people.get(con, keys, old.person_id) if old.person_id else None
    if person is not None:
        values.update(a_number=anumber.display(person.a_number),
                      person_names="\n".join(person.names),
                      person_dob=person.date_of_birth.isoformat() if person.date_of_birth
                      else "", person_country=person.country,
                      person_facility=str(person.facility_id or ""))
        shown.append(("person", person.id, ("a_number", "names", "date_of_birth", "country",
                                            "facility")))
    for number, stored in enumerate((await reports.of_intake(con, keys, old.id)).values(), 1):
        values.update(_report_fields(number, stored))
        shown.append(("report", stored.form.id, REPORT_FIELDS))
    follow_up = await followups.of_intake(con, keys, old.id)
    if follow_up is not None:
        values.update(followup_what=follow_up.what,
                      followup_due=follow_up.due_on.isoformat() if follow_up.due_on else "",
                      followup_assignee=str(follow_up.assignee_id or ""))
        shown.append(("follow_up", follow_up.id, ("what", "due_on", "assignee_id")))
    return values, shown
