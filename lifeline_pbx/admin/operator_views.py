"""Admin pages for operators: their SIP account, languages, queues, web user, enabled.

A new account's secret is generated, shown once in the response with the settings to
type into the softphone, and stored only as its digest; so is a reset one. A refused
change shows the page again with each problem beside its field, having saved nothing.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDict

from lifeline_pbx.admin import staff_changes
from lifeline_pbx.cases.forms import CALLER_LANGUAGES
from lifeline_pbx.errors import Invalid, RequestError
from lifeline_pbx.operators import operator_rules, softphone
from lifeline_pbx.prompts import LANGUAGES
from lifeline_pbx.resources import CONFIG, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_again
from lifeline_pbx.web.render import render

OPERATOR_ID = r"{operator_id:\d{1,18}}"
LIST_TEMPLATE = "admin/operators.html"
EDIT_TEMPLATE = "admin/operator.html"
NOTICES = {
    "saved": "Saved: the next call uses it.", "unchanged": "Nothing changed.",
    "enabled": "Enabled: the phone can register again.",
    "disabled": "Disabled: no more calls are offered; a call in progress goes on, and the "
                "phone is signed off when it ends.",
    "user": "Web user changed; whoever's link changed was signed out.",
}
_NAMES = dict(CALLER_LANGUAGES)


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/admin/operators", operators_page, name="admin_operators"),
        web.post("/admin/operators", operator_create, name="admin_operator_create"),
        web.get(f"/admin/operators/{OPERATOR_ID}", operator_page, name="admin_operator"),
        web.post(f"/admin/operators/{OPERATOR_ID}", operator_save),
        web.post(f"/admin/operators/{OPERATOR_ID}/secret", operator_secret),
        web.post(f"/admin/operators/{OPERATOR_ID}/disable", operator_disable),
        web.post(f"/admin/operators/{OPERATOR_ID}/enable", operator_enable),
        web.post(f"/admin/operators/{OPERATOR_ID}/user", operator_user),
    ]


def _languages() -> list[tuple[str, str]]:
    return [(code, _NAMES.get(code, code)) for code in LANGUAGES]


def _values(form: MultiDict[str]) -> dict[str, Any]:
    return {"sip_username": form.get("sip_username", "").strip(),
            "display_name": form.get("display_name", "").strip(),
            "user": form.get("user", "").strip(),
            "languages": form.getall("languages", []), "queues": form.getall("queues", [])}


def _shown(request: web.Request, username: str, password: str) -> dict[str, Any]:
    """The secret, once, with the softphone's settings."""
    found = softphone.settings(username, request.app[CONFIG].sip_address, request.host)
    return {"settings": found, "password": password}


def _notice(request: web.Request) -> str:
    return NOTICES.get(request.query.get("done", ""), "")


async def _list_page(request: web.Request, *, error: RequestError | None = None,
                     values: dict[str, Any] | None = None,
                     shown: dict[str, Any] | None = None) -> web.Response:
    found = await staff_changes.operator_listing(request.app[POOL])
    context: dict[str, Any] = dict(
        operators=found.operators, queues=found.queues, free_users=found.free_users,
        languages=_languages(), queue_names=dict(found.queues),
        values=values or {"languages": [], "queues": []}, shown=shown,
        notice=_notice(request))
    if error is not None:
        return form_again(request, error, LIST_TEMPLATE, whole="form", **context)
    return render(request, LIST_TEMPLATE, errors={}, **context)


@require("admin")
async def operators_page(request: web.Request) -> web.StreamResponse:
    return await _list_page(request)


@require("admin")
async def operator_create(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    values = _values(form)
    try:
        new = operator_rules.parse_new(values["sip_username"], values["display_name"],
                                       values["languages"], values["queues"], values["user"])
        _, password = await staff_changes.create_operator(
            request.app[POOL], current_user(request).id, new)
    except Invalid as e:
        return await _list_page(request, error=e, values=values)
    return await _list_page(request, shown=_shown(request, new.sip_username, password))


def _operator_id(request: web.Request) -> int:
    return int(request.match_info["operator_id"])


async def _edit_page(request: web.Request, *, error: RequestError | None = None,
                     values: dict[str, Any] | None = None,
                     shown: dict[str, Any] | None = None) -> web.Response:
    pool = request.app[POOL]
    found = await staff_changes.operator(pool, _operator_id(request))
    listing = await staff_changes.operator_listing(pool)
    op = found.operator
    context: dict[str, Any] = dict(
        profile=found, queues=listing.queues, free_users=listing.free_users,
        languages=_languages(), shown=shown, notice=_notice(request),
        values=values or {"display_name": op.display_name, "languages": list(op.languages),
                          "queues": [str(q) for q in found.queue_ids]})
    if error is not None:
        return form_again(request, error, EDIT_TEMPLATE, whole="problem", **context)
    return render(request, EDIT_TEMPLATE, errors={}, **context)


@require("admin")
async def operator_page(request: web.Request) -> web.StreamResponse:
    return await _edit_page(request)


@require("admin")
async def operator_save(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    values = _values(form)
    operator_id = _operator_id(request)
    try:
        profile = operator_rules.parse_profile(values["display_name"], values["languages"],
                                               values["queues"])
        changed = await staff_changes.update_operator(
            request.app[POOL], current_user(request).id, operator_id, profile)
    except Invalid as e:
        return await _edit_page(request, error=e, values=values)
    done = "saved" if changed else "unchanged"
    raise web.HTTPSeeOther(f"/admin/operators/{operator_id}?done={done}")


@require("admin")
async def operator_secret(request: web.Request) -> web.StreamResponse:
    found, password = await staff_changes.reset_secret(
        request.app[POOL], current_user(request).id, _operator_id(request))
    return await _edit_page(request, shown=_shown(request, found.operator.sip_username, password))


async def _enabled(request: web.Request, enabled: bool) -> web.StreamResponse:
    operator_id = _operator_id(request)
    await staff_changes.set_operator_enabled(request.app[POOL], current_user(request).id,
                                             operator_id, enabled)
    done = "enabled" if enabled else "disabled"
    raise web.HTTPSeeOther(f"/admin/operators/{operator_id}?done={done}")


@require("admin")
async def operator_disable(request: web.Request) -> web.StreamResponse:
    return await _enabled(request, False)


@require("admin")
async def operator_enable(request: web.Request) -> web.StreamResponse:
    return await _enabled(request, True)


@require("admin")
async def operator_user(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    username = form.get("user", "").strip()
    operator_id = _operator_id(request)
    try:
        if problem := operator_rules.user_problem(username):
            raise Invalid(problem, "user")
        await staff_changes.link_user(request.app[POOL], current_user(request).id, operator_id,
                                      username or None)
    except Invalid as e:
        return await _edit_page(request, error=e)
    raise web.HTTPSeeOther(f"/admin/operators/{operator_id}?done=user")
