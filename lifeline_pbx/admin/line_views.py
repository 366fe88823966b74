"""Admin pages for lines: the list, one line's form (new or saved) with its closure days,
enable, disable, delete, and the preview of what a caller hears with each prompt playable
(through the prompts admin's audio route).

Every route needs the admin role. A refused change shows the form again with each
problem beside its field, having saved nothing; a change that worked redirects (303).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from aiohttp import web

from lifeline_pbx.admin import line_changes as changes
from lifeline_pbx.admin.forms import typed
from lifeline_pbx.admin.line_rules import MENU_ROWS, NEW_LINE, WEEKDAYS, as_form
from lifeline_pbx.errors import Invalid, NotFound
from lifeline_pbx.prompts import work as prompt_work
from lifeline_pbx.resources import CONFIG, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of
from lifeline_pbx.web.render import render

LINE_ID = r"{line_id:\d{1,18}}"
DAY = r"{day:\d{4}-\d{2}-\d{2}}"
TEMPLATE = "admin/line.html"
NOTICES = {"added": "Line added: it answers from the next call.",
           "saved": "Saved: in effect from the next call.", "unchanged": "Nothing changed.",
           "enabled": "Line enabled: it answers from the next call.",
           "disabled": "Line disabled: new calls hear 'not in service'; calls on it go on.",
           "deleted": "Line deleted.", "closed": "Closure added.",
           "reopened": "Closure day removed."}


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/admin/lines", lines_page, name="admin_lines"),
        web.get("/admin/lines/new", new_line_page, name="admin_line_new"),
        web.post("/admin/lines", line_add, name="admin_line_add"),
        web.get(f"/admin/lines/{LINE_ID}", line_page, name="admin_line"),
        web.post(f"/admin/lines/{LINE_ID}", line_save),
        web.post(f"/admin/lines/{LINE_ID}/disable", line_disable),
        web.post(f"/admin/lines/{LINE_ID}/enable", line_enable),
        web.post(f"/admin/lines/{LINE_ID}/delete", line_delete),
        web.post(f"/admin/lines/{LINE_ID}/closures", closure_add),
        web.post(f"/admin/lines/{LINE_ID}/closures/{DAY}/remove", closure_remove),
        web.get(f"/admin/lines/{LINE_ID}/preview", line_preview, name="admin_line_preview"),
    ]


def _notice(request: web.Request) -> str:
    return NOTICES.get(request.query.get("done", ""), "")


def _folder(request: web.Request) -> Path | None:
    return prompt_work.folder_of(request.app[CONFIG])


def _line_id(request: web.Request) -> int:
    return int(request.match_info["line_id"])


@require("admin")
async def lines_page(request: web.Request) -> web.StreamResponse:
    listed = await changes.lines_list(request.app[POOL])
    return render(request, "admin/lines.html", lines=listed.lines,
                  oncall_repeats=listed.oncall_repeats, notice=_notice(request))


def _form_page(request: web.Request, page: changes.LinePage, *, error: Invalid | None = None,
               values: dict[str, str] | None = None,
               closure: dict[str, str] | None = None) -> web.Response:
    """The line's form; with an error, again with the problems (of the closure form when
    `closure` holds what was typed there)."""
    shown = values or (as_form(page.line.settings) if page.line else NEW_LINE)
    return form_page(request, TEMPLATE, error, line=page.line, holidays=page.holidays,
                     values=shown, choices=page.choices, menu_rows=MENU_ROWS,
                     weekdays=WEEKDAYS, notice=_notice(request), closure=closure or {})


@require("admin")
async def new_line_page(request: web.Request) -> web.StreamResponse:
    return _form_page(request, await changes.line_page(request.app[POOL], None,
                                                       _folder(request)))


@require("admin")
async def line_add(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    try:
        line_id = await changes.create(request.app[POOL], current_user(request).id, form,
                                       _folder(request))
    except Invalid as e:
        return _form_page(request, page_of(e, changes.LinePage), error=e, values=typed(form))
    raise web.HTTPSeeOther(f"/admin/lines/{line_id}?done=added")


@require("admin")
async def line_page(request: web.Request) -> web.StreamResponse:
    return _form_page(request, await changes.line_page(request.app[POOL], _line_id(request),
                                                       _folder(request)))


@require("admin")
async def line_save(request: web.Request) -> web.StreamResponse:
    form, line_id = await form_data(request), _line_id(request)
    try:
        changed = await changes.update(request.app[POOL], current_user(request).id, line_id,
                                       form, _folder(request))
    except Invalid as e:
        return _form_page(request, page_of(e, changes.LinePage), error=e, values=typed(form))
    raise web.HTTPSeeOther(f"/admin/lines/{line_id}?done={'saved' if changed else 'unchanged'}")


async def _enabled(request: web.Request, enabled: bool) -> web.StreamResponse:
    line_id = _line_id(request)
    await changes.set_enabled(request.app[POOL], current_user(request).id, line_id, enabled)
    raise web.HTTPSeeOther(f"/admin/lines/{line_id}?done={'enabled' if enabled else 'disabled'}")


@require("admin")
async def line_disable(request: web.Request) -> web.StreamResponse:
    return await _enabled(request, False)


@require("admin")
async def line_enable(request: web.Request) -> web.StreamResponse:
    return await _enabled(request, True)


@require("admin")
async def line_delete(request: web.Request) -> web.StreamResponse:
    await changes.delete(request.app[POOL], current_user(request).id, _line_id(request))
    raise web.HTTPSeeOther("/admin/lines?done=deleted")


@require("admin")
async def closure_add(request: web.Request) -> web.StreamResponse:
    form, line_id = await form_data(request), _line_id(request)
    try:
        await changes.add_closure(request.app[POOL], current_user(request).id, line_id, form,
                                  _folder(request))
    except Invalid as e:
        errors = {f"closure_{k}": v for k, v in e.errors.items()}
        return _form_page(request, page_of(e, changes.LinePage), error=Invalid(errors),
                          closure=typed(form) or {"first": ""})
    raise web.HTTPSeeOther(f"/admin/lines/{line_id}?done=closed#closures")


@require("admin")
async def closure_remove(request: web.Request) -> web.StreamResponse:
    line_id = _line_id(request)
    try:
        day = date.fromisoformat(request.match_info["day"])
    except ValueError:
        raise NotFound("There is no such day.") from None
    await changes.remove_holiday(request.app[POOL], current_user(request).id, line_id, day)
    raise web.HTTPSeeOther(f"/admin/lines/{line_id}?done=reopened#closures")


@require("admin")
async def line_preview(request: web.Request) -> web.StreamResponse:
    shown = await changes.preview(request.app[POOL], _line_id(request), _folder(request))
    return render(request, "admin/line_preview.html", preview=shown, notice="")
