"""Web views for taking an intake during a call: the form's context, saving it (or a
one-click outcome), drafts as the operator types, and the repeat-caller lookup."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Mapping
from functools import partial
from typing import Any

from aiohttp import web

from lifeline_pbx.cases import (
    anumber,
    binding,
    drafts,
    forms,
    intake_save,
    intake_work,
    pages,
)
from lifeline_pbx.cases.webutil import ok, query
from lifeline_pbx.errors import Conflict, Invalid
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data, json_object
from lifeline_pbx.web.calls import bridged_operator, call_written
from lifeline_pbx.web.errors import answers_json, form_again, json_wanted, page_of, problems
from lifeline_pbx.web.keys import CurrentUser
from lifeline_pbx.web.render import render
from lifeline_pbx.web.times import hotline_clock, when

log = logging.getLogger(__name__)

MAX_DRAFT_FIELDS = 100
MAX_DRAFT_CHARS = 64_000
OUTCOME_LABELS = (("silent", "Silent"), ("hung_up", "Hung up"),
                  ("wrong_number", "Wrong number"), ("test_call", "Test call"))


def intake_context(choices: intake_work.Choices) -> dict[str, Any]:
    """What web/templates/cases/intake_form.html needs (the console page includes it)."""
    return {
        "categories": choices.categories,
        "partners": choices.partners,
        "facilities": choices.facilities,
        "assignees": choices.assignees,
        "caller_languages": forms.CALLER_LANGUAGES,
        "severities": forms.SEVERITIES,
        "outcomes": OUTCOME_LABELS,
        "intake_values": {},
        "intake_consents": {},
        "intake_errors": {},
        "intake_link": "",
        "intake_binding": binding_text(binding.STANDALONE),
        "max_reports": forms.MAX_REPORTS,
        "unfinished": (),
    }


@require("operator")
async def intake_page(request: web.Request) -> web.StreamResponse:
    """The intake form on its own page (without the console): standalone, or for the
    voicemail named in the address, or that voicemail's intake if it has one (someone
    else's: the author's form reopens theirs), or for a call of the user's named in the
    address (from their list of unfinished intakes). Never bound to an earlier call by
    itself."""
    user = current_user(request)
    voicemail_id = _uuid(query(request, "voicemail"), "The voicemail")
    call_id = _call_id(query(request, "call_id"))
    async with request.app[POOL].acquire() as con:
        page = await intake_work.page(con, request.app[KEY_RING], user.id,
                                      user.at_least("supervisor"), voicemail_id, call_id)
    if page.elsewhere is not None:
        raise web.HTTPSeeOther(page.elsewhere)
    bound, context = page.bound, intake_context(page.choices)
    values = prefill(request.query, context)
    if bound.voicemail_id is not None:
        values.update(prefill({"facility_id": str(bound.facility_id or ""),
                               "language": bound.language}, context),
                      voicemail_id=str(bound.voicemail_id), call_id=str(bound.call_id))
    elif bound.call_id is not None:
        values["call_id"] = str(bound.call_id)
    key = uuid.uuid4()  # the form's key; its first report block's follows from it
    context.update(intake_values={**values, "intake_id": str(key),
                                  "report_id": str(forms.report_key(key, 1))},
                   intake_binding=binding_text(bound), voicemail=page.voicemail,
                   unfinished=page.unfinished)
    return render(request, "cases/intake_page.html", **context)


def binding_text(bound: binding.Binding, whose: str = "your") -> str:
    """`whose`: whose call it was ("Ana's", for a supervisor finishing Ana's draft)."""
    at = f" at {when(bound.at)}" if bound.at else ""
    if bound.on_call:
        return f"Intake for the emergency call{at}, taken from the on-call list."
    return {"call": f"Intake for {whose} call{at}.",
            "voicemail": f"Intake for the voicemail left{at}.",
            "standalone": "Standalone intake: not linked to any call."}[bound.kind]


def prefill(params: Mapping[str, str], context: dict[str, Any]) -> dict[str, str]:
    """Facility and language from the address (e.g. the link from a voicemail), if valid."""
    values: dict[str, str] = {}
    if params.get("facility_id", "") in {str(i) for i, _ in context["facilities"]}:
        values["facility_id"] = values["person_facility"] = params["facility_id"]
    if params.get("language", "") in {code for code, _ in context["caller_languages"]}:
        values["language"] = params["language"]
    return values


@require("operator")
@answers_json
async def open_intake(request: web.Request) -> web.StreamResponse:
    """Bind a form: ?call_id= (a call put through to you), ?voicemail=, or neither
    (standalone). Answers the form's key and the fields to show."""
    user = current_user(request)
    call_id = _uuid(query(request, "call_id"), "The call")
    voicemail_id = _uuid(query(request, "voicemail"), "The voicemail")
    async with request.app[POOL].acquire() as con:
        opened = await intake_work.open_form(
            con, request.app[KEY_RING], user.id, user.at_least("supervisor"), call_id,
            voicemail_id, partial(bridged_here, request, user))
    bound, form = opened.bound, opened.form
    return web.json_response({
        "intake_id": str(form.key), "kind": bound.kind, "saved": form.saved,
        "fields": form.fields,
        "draft_at": when(form.draft_at) if form.draft_at else None,
        "revision": str(form.revision),
        "call_id": str(bound.call_id or ""),
        "voicemail_id": str(bound.voicemail_id or ""), "facility_id": bound.facility_id,
        "language": bound.language, "binding": binding_text(bound),
        "at": when(bound.at) if bound.at else None})


async def bridged_here(request: web.Request, user: CurrentUser,
                       call_id: uuid.UUID | None) -> bool:
    """The call is bridged to this user's phone now, by the distributor's live picture.
    If not, the caller is about to read the call's row: it returns once the row holds what
    the engine knows (its operator, say, when the intake is saved just after the caller
    hung up), not before the record writer committed it (calls/records.py written)."""
    if call_id is None:
        return False
    if (user.operator_username is not None
            and bridged_operator(request.app, call_id) == user.operator_username):
        return True
    await call_written(request.app, call_id)
    return False


@require("operator")
async def save_intake(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    data = await form_data(request)
    try:
        async with request.app[POOL].acquire() as con:
            saved = await intake_work.save(con, request.app[KEY_RING], user.id,
                                           user.at_least("supervisor"), data,
                                           partial(bridged_here, request, user))
    except (Invalid, Conflict) as e:
        context = intake_context(page_of(e, intake_work.Choices))
        consents = {k: data.getall(k, []) for k in data if k.startswith("report_consent")}
        context.update(intake_values={k: v for k, v in data.items() if k != "csrf_token"},
                       intake_consents=consents, intake_errors=problems(e),
                       intake_link=e.link, voicemail=None)
        return form_again(request, e, "cases/intake_page.html", **context)
    log.info("intake saved intake_id=%s user_id=%d reports=%d follow_up=%s changed=%s",
             saved.intake_id, user.id, len(saved.report_ids), saved.follow_up_id is not None,
             saved.changed)
    return ok(request, {"intake_id": str(saved.intake_id), "changed": saved.changed,
                        "saved_at": hotline_clock(dt.datetime.now(dt.UTC))}, "/console")


@require("operator")
@answers_json
async def save_outcome(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    form = forms.parse_outcome(await form_data(request))
    async with request.app[POOL].acquire() as con:
        changed = await intake_work.save_outcome(con, request.app[KEY_RING], user.id,
                                                 user.at_least("supervisor"), form,
                                                 partial(bridged_here, request, user))
    log.info("call outcome saved intake_id=%s outcome=%s user_id=%d changed=%s", form.key,
             form.outcome, user.id, changed)
    return ok(request, {"intake_id": str(form.key), "changed": changed}, "/console")


@require("operator")
@answers_json
async def undo_outcome(request: web.Request) -> web.StreamResponse:
    """Undo a one-click outcome (wrap-up): the intake it made goes; the audit log keeps both."""
    user = current_user(request)
    intake_id = _uuid((await form_data(request)).get("intake_id"), "The outcome")
    if intake_id is None:
        raise Invalid("Which outcome?", "intake_id")
    async with request.app[POOL].acquire() as con:
        await intake_save.undo_outcome(con, user.id, intake_id)
    log.info("call outcome undone intake_id=%s user_id=%d", intake_id, user.id)
    return web.json_response({"ok": True, "intake_id": str(intake_id)})


def _draft_fields(raw: object) -> dict[str, str | list[str]]:
    if not isinstance(raw, dict) or len(raw) > MAX_DRAFT_FIELDS:
        raise Invalid(f"A draft is an object of at most {MAX_DRAFT_FIELDS} fields.")
    fields: dict[str, str | list[str]] = {}
    for name, value in raw.items():
        ok_list = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if not isinstance(name, str) or len(name) > 64 or not (isinstance(value, str)
                                                                 or ok_list):
            raise Invalid("A draft field must be text.")
        if name != "csrf_token":
            fields[name] = value
    if len(json.dumps(fields)) > MAX_DRAFT_CHARS:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_DRAFT_CHARS, actual_size=0)
    return fields


def _uuid(value: object, label: str) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Invalid(f"{label} is not valid.") from None


def _call_id(value: object) -> uuid.UUID | None:
    return _uuid(value, "The call id")


@require("operator")
@answers_json
async def save_draft(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    body = await json_object(request)
    call_id = _call_id(body.get("call_id"))
    fields = _draft_fields(body.get("fields"))
    base = _uuid(body.get("base"), "The draft's revision")
    revision = _uuid(body.get("revision"), "The draft's revision")
    async with request.app[POOL].acquire() as con:
        await binding.save_draft(con, request.app[KEY_RING], user.id, user.at_least("supervisor"),
                                 call_id, fields, partial(bridged_here, request, user),
                                 base, revision)
    return web.json_response({"ok": True})


@require("operator")
@answers_json
async def discard_draft(request: web.Request) -> web.StreamResponse:
    """The signed-in user's own draft for a call (none named: their draft not on any call)
    deleted, as they asked on the form."""
    user = current_user(request)
    call_id = _call_id((await json_object(request)).get("call_id"))
    async with request.app[POOL].acquire() as con:
        gone = await intake_work.discard_draft(con, user.id, call_id)
    log.info("draft discarded user_id=%d call_id=%s found=%s", user.id, call_id, gone)
    return web.json_response({"ok": True, "discarded": gone})


@require("operator")
@answers_json
async def get_draft(request: web.Request) -> web.StreamResponse:
    """The signed-in user's own draft for a call (none named: their standalone draft);
    never anyone else's, and never another call's."""
    user = current_user(request)
    async with request.app[POOL].acquire() as con:
        draft = await drafts.get(con, request.app[KEY_RING], user.id,
                                 _call_id(query(request, "call_id")))
    if draft is None:
        return web.json_response({"draft": None})
    return web.json_response({"draft": {
        "call_id": str(draft.call_id) if draft.call_id else None, "fields": draft.body,
        "updated_at": draft.updated_at.isoformat()}})


@require("operator")
async def lookup(request: web.Request) -> web.StreamResponse:
    """The earlier record of the A-number typed: for a supervisor, anyone's; for an
    operator, only as call_lookup.py allows for their call."""
    user = current_user(request)
    supervisor = user.at_least("supervisor")
    normal = anumber.normalise(query(request, "a_number"))
    call_id = _call_id(query(request, "call_id"))
    as_json = json_wanted(request)
    async with request.app[POOL].acquire() as con:
        found = await intake_work.lookup(con, request.app[KEY_RING], normal, user.id, supervisor,
                                         call_id, partial(bridged_here, request, user),
                                         with_needs=not as_json)
    if as_json:
        return web.json_response(pages.history_json(found.history, normal))
    return render(request, "cases/history_panel.html", history=found.history,
                  family_needs=found.family_needs, supervisor=supervisor,
                  a_number=anumber.display(normal), today=dt.date.today())


@require("operator")
async def unfinished(request: web.Request) -> web.StreamResponse:
    """The user's unfinished intakes on calls, as the console lists them while idle: it asks
    again when it sets a call's unsaved form aside."""
    async with request.app[POOL].acquire() as con:
        found = await intake_work.unfinished(con, request.app[KEY_RING], current_user(request).id)
    return render(request, "cases/_unfinished.html", unfinished=found)


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/intake", intake_page, name="intake"),
        web.post("/intakes", save_intake, name="intake-save"),
        web.get("/intakes/open", open_intake, name="intake-open"),
        web.get("/intakes/unfinished", unfinished, name="intakes-unfinished"),
        web.post("/intakes/outcome", save_outcome, name="intake-outcome"),
        web.post("/intakes/undo", undo_outcome, name="intake-undo"),
        web.get("/drafts", get_draft, name="drafts"),
        web.post("/drafts", save_draft, name="draft-save"),
        web.post("/drafts/discard", discard_draft, name="draft-discard"),
        web.get("/people/lookup", lookup, name="people-lookup"),
    ]
