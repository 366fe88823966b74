"""A supervisor's page for correcting an intake's own fields at any time (facility,
language, triage, needs, needs note, family contact and its consent), as a new revision
like a report's correction (revision_views.py). Authors correct theirs during wrap-up by
saving the intake form again (intake_save.py)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from aiohttp import web

from lifeline_pbx.cases import forms, intakes, person_work, revision_views, revision_work, revisions
from lifeline_pbx.cases.webutil import case_error, keys, path_uuid, pool
from lifeline_pbx.db import Conn
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.render import render

log = logging.getLogger(__name__)
TYPED = ("facility_id", "language", "triage", "needs_note", "family_name", "family_phone",
         "family_message", "family_consent", *(f"needs_{n}" for n in forms.NEEDS))


def values_of(stored: intakes.Stored) -> dict[str, str]:
    """The intake as its correction form shows it (the names the form posts)."""
    family = stored.family or {}
    values = {"facility_id": "" if stored.facility_id is None else str(stored.facility_id),
              "language": stored.language, "triage": str(stored.triage),
              "needs_note": stored.needs_note, "family_name": family.get("name", ""),
              "family_phone": family.get("phone", ""),
              "family_message": family.get("message", ""),
              "family_consent": "on" if stored.family_consent else ""}
    values.update({f"needs_{n}": "on" for n in stored.needs})
    return values


def typed_values(data: Mapping[str, object]) -> dict[str, str]:
    """What the supervisor typed, to show again when nothing was saved."""
    return {k: v for k in TYPED if isinstance(v := data.get(k, ""), str)}


async def _form(request: web.Request, con: Conn, intake_id: uuid.UUID, *,
                values: dict[str, str], base: int, found: list[revisions.Revision],
                errors: dict[str, str], status: int = 200) -> web.Response:
    facilities = await con.fetch("SELECT id, name FROM facilities ORDER BY name")
    return render(request, "cases/intake_correct.html", status=status, intake_id=intake_id,
                  values=values, base=base, revisions=found, errors=errors,
                  facilities=[(r["id"], r["name"]) for r in facilities],
                  caller_languages=forms.CALLER_LANGUAGES, needs=forms.NEEDS)


@require("supervisor")
async def correct_intake_page(request: web.Request) -> web.StreamResponse:
    intake_id = path_uuid(request)
    async with pool(request).acquire() as con:
        try:
            stored, found = await revision_work.intake_to_correct(
                con, keys(request), intake_id, current_user(request).id)
        except person_work.CaseError as e:
            raise case_error(e) from None
        return await _form(request, con, intake_id, values=values_of(stored),
                           base=found[-1].number if found else 0, found=found, errors={})


@require("supervisor")
async def correct_intake(request: web.Request) -> web.StreamResponse:
    intake_id = path_uuid(request)
    user = current_user(request)
    data = await form_data(request)
    base = revision_views.base_of(data)
    async with pool(request).acquire() as con:
        try:
            fields = forms.parse_intake_fields(data, await person_work.choices(con))
            changed = await revision_work.correct_intake(con, keys(request), intake_id,
                                                         fields, base, user.id)
        except (forms.FormInvalid, person_work.Refused, person_work.Conflict) as e:
            errors = e.errors if isinstance(e, forms.FormInvalid) else {"_form": str(e)}
            return await _form(
                request, con, intake_id, values=typed_values(data), base=base, errors=errors,
                found=await revisions.listing(con, "intake", intake_id),
                status=409 if isinstance(e, person_work.Conflict) else 422)
        except person_work.CaseError as e:
            raise case_error(e) from None
    log.info("intake corrected intake_id=%s user_id=%d fields=%s", intake_id, user.id,
             ",".join(changed))
    raise web.HTTPSeeOther(f"/intakes/{intake_id}/revisions?corrected=1")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/intakes/{id}/correct", correct_intake_page, name="intake-correct"),
        web.post("/intakes/{id}/correct", correct_intake, name="intake-correct-save"),
    ]
