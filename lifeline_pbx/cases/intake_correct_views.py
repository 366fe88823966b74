"""A supervisor's page for correcting an intake's own fields at any time (facility,
language, triage, needs, needs note, family contact and its consent), as a new revision
like a report's correction (revision_views.py). Authors correct theirs during wrap-up by
saving the intake form again (intake_save.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Mapping
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import forms, intakes, revision_views, revision_work
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.cases.webutil import path_uuid
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import RequestError
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.errors import form_page, page_of

TEMPLATE = "cases/intake_correct.html"
TYPED = ("reason", "move_reports", "facility_id", "language", "triage", "needs_note",
         "family_name", "family_phone", "family_message", "family_consent",
         *(f"needs_{n}" for n in forms.NEEDS))


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


def _form(request: web.Request, intake_id: uuid.UUID, page: revision_work.IntakeFormPage, *,
          values: dict[str, str], base: int, error: RequestError | None = None) -> web.Response:
    context: dict[str, Any] = dict(
        intake_id=intake_id, values=values, base=base, revisions=page.revisions,
        facilities=page.facilities, reports=page.reports,
        caller_languages=forms.CALLER_LANGUAGES, needs=forms.NEEDS)
    return form_page(request, TEMPLATE, error, **context)


@require("supervisor")
async def correct_intake_page(request: web.Request) -> web.StreamResponse:
    intake_id = path_uuid(request)
    async with request.app[POOL].acquire() as con:
        found = await revision_work.intake_to_correct(con, request.app[KEY_RING], intake_id,
                                                      current_user(request).id)
    revisions = found.page.revisions
    return _form(request, intake_id, found.page, values=values_of(found.stored),
                 base=revisions[-1].number if revisions else 0)


@require("supervisor")
async def correct_intake(request: web.Request) -> web.StreamResponse:
    intake_id = path_uuid(request)

    def work(con: Conn, data: FormData, base: int) -> Awaitable[list[str]]:
        return revision_work.correct_intake_form(con, request.app[KEY_RING], intake_id, data,
                                                 base, current_user(request).id)

    def again(data: FormData, base: int, error: RequestError) -> web.Response:
        return _form(request, intake_id, page_of(error, revision_work.IntakeFormPage),
                     values=typed_values(data), base=base, error=error)

    return await revision_views.save_correction(
        request, "intake", work, again, f"/intakes/{intake_id}/revisions?corrected=1")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/intakes/{id}/correct", correct_intake_page, name="intake-correct"),
        web.post("/intakes/{id}/correct", correct_intake, name="intake-correct-save"),
    ]
