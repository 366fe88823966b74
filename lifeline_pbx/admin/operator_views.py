"""Admin pages for operators: their SIP account, languages, queues, web user, enabled.

A new account's secret is generated, shown once in the response with the settings to
type into the softphone, and stored only as its digest; so is a reset one. A refused
change shows the page again with each problem beside its field, having saved nothing.
The languages offered are the languages table's (Languages, in the admin).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDict

from lifeline_pbx.admin import operator_changes as changes
from lifeline_pbx.admin.forms import text
from lifeline_pbx.errors import Invalid, RequestError
from lifeline_pbx.operators import softphone
from lifeline_pbx.resources import CONFIG, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of

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


def _values(form: MultiDict[str]) -> dict[str, Any]:
    """The form as sent (operator_rules reads it)."""
    return {"sip_username": text(form, "sip_username"),
            "display_name": text(form, "display_name"), "user": text(form, "user"),
            "languages": form.getall("languages", []), "queues": form.getall("queues", [])}


def _shown(request: web.Request, secret: changes.Secret[Any]) -> dict[str, Any]:
    """The secret, once, with the softphone's settings."""
    username = secret.profile.operator.sip_username
    found = softphone.settings(username, request.app[CONFIG].sip_address, request.host)
    return {"settings": found, "password": secret.password}


def _context(request: web.Request, choices: changes.Choices,
             shown: dict[str, Any] | None) -> dict[str, Any]:
    """What both operator pages show: the form's choices, a secret shown once, a notice."""
    return dict(queues=choices.queues, free_users=choices.free_users,
                languages=choices.languages, shown=shown,
                notice=NOTICES.get(request.query.get("done", ""), ""))


def _list_page(request: web.Request, page: changes.OperatorsPage, *,
               error: RequestError | None = None, values: dict[str, Any] | None = None,
               shown: dict[str, Any] | None = None) -> web.Response:
    context = _context(request, page.choices, shown)
    context.update(operators=page.operators, queue_names=dict(page.choices.queues),
                   values=values or {"languages": [], "queues": []})
    return form_page(request, LIST_TEMPLATE, error, whole="form", **context)


@require("admin")
async def operators_page(request: web.Request) -> web.StreamResponse:
    return _list_page(request, await changes.listing(request.app[POOL]))


@require("admin")
async def operator_create(request: web.Request) -> web.StreamResponse:
    values = _values(await form_data(request))
    try:
        secret = await changes.create(request.app[POOL], current_user(request).id, values)
    except Invalid as e:
        return _list_page(request, page_of(e, changes.OperatorsPage), error=e, values=values)
    return _list_page(request, secret.page, shown=_shown(request, secret))


def _operator_id(request: web.Request) -> int:
    return int(request.match_info["operator_id"])


def _edit_page(request: web.Request, page: changes.OperatorPage, *,
               error: RequestError | None = None, values: dict[str, Any] | None = None,
               shown: dict[str, Any] | None = None) -> web.Response:
    op = page.profile.operator
    context = _context(request, page.choices, shown)
    context.update(profile=page.profile, values=values or {
        "display_name": op.display_name, "languages": list(op.languages),
        "queues": [str(q) for q in page.profile.queue_ids]})
    return form_page(request, EDIT_TEMPLATE, error, whole="problem", **context)


@require("admin")
async def operator_page(request: web.Request) -> web.StreamResponse:
    return _edit_page(request, await changes.page(request.app[POOL], _operator_id(request)))


@require("admin")
async def operator_save(request: web.Request) -> web.StreamResponse:
    values, operator_id = _values(await form_data(request)), _operator_id(request)
    try:
        changed = await changes.update(request.app[POOL], current_user(request).id,
                                       operator_id, values)
    except Invalid as e:
        return _edit_page(request, page_of(e, changes.OperatorPage), error=e, values=values)
    done = "saved" if changed else "unchanged"
    raise web.HTTPSeeOther(f"/admin/operators/{operator_id}?done={done}")


@require("admin")
async def operator_secret(request: web.Request) -> web.StreamResponse:
    secret = await changes.reset_secret(request.app[POOL], current_user(request).id,
                                        _operator_id(request))
    return _edit_page(request, secret.page, shown=_shown(request, secret))


async def _enabled(request: web.Request, enabled: bool) -> web.StreamResponse:
    operator_id = _operator_id(request)
    await changes.set_enabled(request.app[POOL], current_user(request).id, operator_id,
                              enabled)
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
    username, operator_id = text(await form_data(request), "user"), _operator_id(request)
    try:
        await changes.link_user(request.app[POOL], current_user(request).id, operator_id,
                                username)
    except Invalid as e:
        return _edit_page(request, page_of(e, changes.OperatorPage), error=e)
    raise web.HTTPSeeOther(f"/admin/operators/{operator_id}?done=user")
