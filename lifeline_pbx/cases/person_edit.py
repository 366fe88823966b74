"""A supervisor corrects a person's record: names and spellings, date of birth, country,
languages and current facility. The A-number is not edited here (merging fixes a wrong
one), and a record merged into another cannot be edited (its kept record can)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import anumber, edit_marks, forms, held_at, people, person_work
from lifeline_pbx.cases.webutil import path_uuid
from lifeline_pbx.errors import Invalid
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_again, page_of
from lifeline_pbx.web.render import render

log = logging.getLogger(__name__)
TEMPLATE = "cases/person_edit.html"


def _context(page: person_work.EditPage) -> dict[str, Any]:
    return {
        "person_id": page.person.id, "a_number": anumber.display(page.person.a_number),
        "opened": page.opened, "facilities": page.facilities,
        "caller_languages": [(c, n) for c, n in forms.CALLER_LANGUAGES if c != "other"],
        "facility_changes": held_at.KINDS,
    }


def _values(person: people.Person) -> dict[str, Any]:
    """The record as the form's fields hold it."""
    dob = person.date_of_birth
    return {
        "person_names": "\n".join(person.names),
        "person_dob": dob.isoformat() if dob else "",
        "person_country": person.country,
        "person_facility": "" if person.facility_id is None else str(person.facility_id),
        "person_languages": list(person.languages),
    }


@require("supervisor")
async def edit_page(request: web.Request) -> web.StreamResponse:
    person_id = path_uuid(request)
    async with request.app[POOL].acquire() as con:
        page = await person_work.edit_page(con, request.app[KEY_RING], person_id,
                                           current_user(request).id)
    return render(request, TEMPLATE, values=_values(page.person), errors={}, typed={},
                  **_context(page))


@require("supervisor")
async def edit_save(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    person_id = path_uuid(request)
    data = await form_data(request)
    try:
        async with request.app[POOL].acquire() as con:
            changed = await person_work.save_person_form(con, request.app[KEY_RING], person_id,
                                                         data, user.id)
    except (Invalid, edit_marks.Changed) as e:
        page = page_of(e, person_work.EditPage)
        typed: dict[str, Any] = {k: v for k, v in data.items() if k.startswith("person_")}
        typed["person_languages"] = list(data.getall("person_languages", ()))
        if isinstance(e, Invalid):  # the form again as typed, each problem beside its field
            return form_again(request, e, TEMPLATE, values=typed, typed={}, **_context(page))
        # Changed meanwhile: the form holds the record as it is now, what was typed below.
        return form_again(request, e, TEMPLATE, values=_values(page.person), typed=typed,
                          **_context(page))
    log.info("person edited person_id=%s user_id=%d fields=%s", person_id, user.id,
             ",".join(changed) or "-")
    raise web.HTTPSeeOther(f"/people/{person_id}?edited={'1' if changed else '0'}")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/people/{id}/edit", edit_page, name="person-edit"),
        web.post("/people/{id}/edit", edit_save, name="person-edit-save"),
    ]
