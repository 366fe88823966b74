"""Admin pages for spike rules: the list with a new-rule form and the latest alerts, one
rule's page to change or delete it.

Every route needs the admin role. A refused form is shown again with each problem beside
its field, having saved nothing; a change that worked redirects (303).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from lifeline_pbx.admin.forms import typed
from lifeline_pbx.alerts import rule_changes as changes
from lifeline_pbx.alerts import spike_rules
from lifeline_pbx.alerts.rule_changes import RulePage, RulesPage
from lifeline_pbx.errors import Invalid
from lifeline_pbx.resources import POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of

RULE_ID = r"{rule_id:\d{1,18}}"
FORM_FIELDS = (*spike_rules.FIELDS, "enabled")
NOTICES = {"added": "Rule added: it is checked whenever a report is saved.",
           "saved": "Saved.", "unchanged": "Nothing changed.",
           "deleted": "Rule deleted, with the alerts it raised."}


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/admin/alerts", rules_list, name="admin_alerts"),
        web.post("/admin/alerts", rule_add, name="admin_alert_add"),
        web.get(f"/admin/alerts/{RULE_ID}", rule_edit, name="admin_alert"),
        web.post(f"/admin/alerts/{RULE_ID}", rule_save),
        web.post(f"/admin/alerts/{RULE_ID}/delete", rule_delete),
    ]


def _notice(request: web.Request) -> str:
    return NOTICES.get(request.query.get("done", ""), "")


def _rule_id(request: web.Request) -> int:
    return int(request.match_info["rule_id"])


def _list(request: web.Request, page: RulesPage, *, error: Invalid | None = None,
          values: dict[str, str] | None = None) -> web.Response:
    context: dict[str, Any] = dict(
        page=page, values=values or spike_rules.DEFAULTS, bounds=spike_rules.BOUNDS,
        notice=_notice(request))
    return form_page(request, "admin/alerts.html", error, **context)


def _edit(request: web.Request, page: RulePage, *, error: Invalid | None = None,
          values: dict[str, str] | None = None) -> web.Response:
    context: dict[str, Any] = dict(
        page=page, values=values or spike_rules.as_form(page.rule.settings),
        bounds=spike_rules.BOUNDS, notice=_notice(request))
    return form_page(request, "admin/alert_rule.html", error, **context)


@require("admin")
async def rules_list(request: web.Request) -> web.StreamResponse:
    return _list(request, await changes.rules_page(request.app[POOL]))


@require("admin")
async def rule_add(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    try:
        await changes.create(request.app[POOL], current_user(request).id, form)
    except Invalid as e:
        return _list(request, page_of(e, RulesPage), error=e, values=typed(form, FORM_FIELDS))
    raise web.HTTPSeeOther("/admin/alerts?done=added")


@require("admin")
async def rule_edit(request: web.Request) -> web.StreamResponse:
    return _edit(request, await changes.rule_page(request.app[POOL], _rule_id(request)))


@require("admin")
async def rule_save(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    rule_id = _rule_id(request)
    try:
        changed = await changes.update(request.app[POOL], current_user(request).id, rule_id,
                                       form)
    except Invalid as e:
        return _edit(request, page_of(e, RulePage), error=e, values=typed(form, FORM_FIELDS))
    raise web.HTTPSeeOther(f"/admin/alerts/{rule_id}?done={'saved' if changed else 'unchanged'}")


@require("admin")
async def rule_delete(request: web.Request) -> web.StreamResponse:
    await changes.delete(request.app[POOL], current_user(request).id, _rule_id(request))
    raise web.HTTPSeeOther("/admin/alerts?done=deleted")
