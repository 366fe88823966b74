"""Admin pages for languages and prompts: the languages, the coverage table (every prompt x
every language), one prompt's page (play, upload, back to synthesised, record by phone) and
its audio. Admin only, every route.

An upload is the file's bytes as the request body (the page's script sends the chosen file
with the CSRF header; `curl --data-binary @file` does the same), read up to the size limit
by web/bodies.upload_body: the form reader there keeps to small forms.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from lifeline_pbx.admin.forms import typed
from lifeline_pbx.errors import Invalid, RequestError
from lifeline_pbx.prompts import convert, coverage, phone, store, work
from lifeline_pbx.resources import CONFIG, POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data, upload_body
from lifeline_pbx.web.errors import answers_json, form_page, page_of
from lifeline_pbx.web.render import render

LANGUAGE = r"{language:[a-z]{2,3}(?:-[a-z0-9]{2,8})?}"
PROMPT = LANGUAGE + r"/{name:[a-z][a-z0-9-]{0,39}}"
NOTICES = {
    "added": "Language added.", "saved": "Language saved.", "unchanged": "Nothing changed.",
    "uploaded": "Recording saved: callers hear it from the next call on.",
    "reverted": "Recording removed: the synthesised prompt plays again.",
    "removed": "Recording removed: this prompt is now missing in this language.",
    "phone": "Dial {code} from your phone, listen, and speak after the beep; press # to end.",
}


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/admin/languages", languages_page, name="admin_languages"),
        web.post("/admin/languages", language_add, name="admin_language_add"),
        web.post(f"/admin/languages/{LANGUAGE}", language_edit),
        web.get("/admin/prompts", coverage_page, name="admin_prompts"),
        web.get(f"/admin/prompts/{PROMPT}", prompt_page),
        web.get(f"/admin/prompts/{PROMPT}/audio", prompt_audio),
        web.post(f"/admin/prompts/{PROMPT}/upload", prompt_upload),
        web.post(f"/admin/prompts/{PROMPT}/revert", prompt_revert),
        web.post(f"/admin/prompts/{PROMPT}/phone", prompt_phone),
    ]


def _notice(request: web.Request) -> str:
    return NOTICES.get(request.query.get("done", ""), "").replace("{code}", phone.CODE)


def _folder(request: web.Request) -> Path | None:
    return work.folder_of(request.app[CONFIG])


# Languages


def _languages_page(request: web.Request, languages: list[store.Language], *,
                    error: RequestError | None = None,
                    values: dict[str, str] | None = None) -> web.Response:
    return form_page(request, "admin/languages.html", error, whole="form",
                     languages=languages, values=values or {}, notice=_notice(request))


@require("admin")
async def languages_page(request: web.Request) -> web.StreamResponse:
    return _languages_page(request, await work.languages(request.app[POOL]))


@require("admin")
async def language_add(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    try:
        await work.add_language(request.app[POOL], current_user(request).id, form)
    except Invalid as e:
        return _languages_page(request, page_of(e, work.LanguagesPage).languages, error=e,
                               values=typed(form, ("code", "name", "menu_label")))
    raise web.HTTPSeeOther("/admin/languages?done=added")


@require("admin")
async def language_edit(request: web.Request) -> web.StreamResponse:
    code = request.match_info["language"]
    form = await form_data(request)
    try:
        changed = await work.edit_language(request.app[POOL], current_user(request).id, code,
                                           form)
    except Invalid as e:
        problems = {f"{field}:{code}": message for field, message in e.errors.items()}
        return _languages_page(request, page_of(e, work.LanguagesPage).languages,
                               error=Invalid(problems))
    raise web.HTTPSeeOther(f"/admin/languages?done={'saved' if changed else 'unchanged'}")


# Coverage and prompts


@require("admin")
async def coverage_page(request: web.Request) -> web.StreamResponse:
    found = await work.coverage_table(request.app[POOL], _folder(request))
    return render(request, "admin/prompts.html", coverage=found, notice=_notice(request),
                  count=coverage.counts)


def _prompt_key(request: web.Request) -> tuple[str, str]:
    return request.match_info["language"], request.match_info["name"]


@require("admin")
async def prompt_page(request: web.Request) -> web.StreamResponse:
    found = await work.prompt(request.app[POOL], _folder(request), *_prompt_key(request))
    return render(request, "admin/prompt.html", prompt=found, notice=_notice(request),
                  max_mb=convert.MAX_BYTES // (1024 * 1024), accepted=convert.ACCEPTED,
                  phone_code=phone.CODE, has_phone=bool(current_user(request).operator_username),
                  errors={})


@require("admin")
async def prompt_audio(request: web.Request) -> web.StreamResponse:
    data = await work.audio(request.app[POOL], _folder(request), *_prompt_key(request))
    return web.Response(body=data, content_type="audio/wav")


@answers_json
@require("admin")
async def prompt_upload(request: web.Request) -> web.StreamResponse:
    """The file as the body; answers JSON (the page's script shows it)."""
    language, name = _prompt_key(request)
    data = await upload_body(request, convert.MAX_BYTES, convert.FIELD)
    made = await work.upload(request.app[POOL], current_user(request).id, _folder(request),
                             language, name, data)
    return web.json_response({"ok": True, "format": made.original_format,
                              "duration_ms": made.duration_ms,
                              "next": f"/admin/prompts/{language}/{name}?done=uploaded"})


@require("admin")
async def prompt_revert(request: web.Request) -> web.StreamResponse:
    language, name = _prompt_key(request)
    now = await work.revert(request.app[POOL], current_user(request).id, _folder(request),
                            language, name)
    done = "reverted" if now is coverage.State.SYNTHESISED else "removed"
    raise web.HTTPSeeOther(f"/admin/prompts/{language}/{name}?done={done}")


@require("admin")
async def prompt_phone(request: web.Request) -> web.StreamResponse:
    language, name = _prompt_key(request)
    user = current_user(request)
    await phone.arm(request.app[POOL], user.id, user.operator_username, language, name)
    raise web.HTTPSeeOther(f"/admin/prompts/{language}/{name}?done=phone")
