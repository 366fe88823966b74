"""Supervisors review voicemail: the list (with each message's intake), each message's
audio, and marking it reviewed (saving an intake from it does too: cases/voicemail_intake.py).

Every route needs the supervisor role (admins too). Listening, marking reviewed and the
review notes shown are audited (review.py). A message with no intake is marked reviewed
only with a reason (review_rules.py); a refused one shows the list again, the problem and
what was chosen on its row. The audio is opened from the vault only for the response, never
cached (Cache-Control: no-store).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from aiohttp import web

from lifeline_pbx.admin.forms import typed
from lifeline_pbx.errors import Invalid, NotFound
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.voicemail import review, review_rules, store
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of

SHOWS: tuple[store.Show, ...] = ("all", "unreviewed", "reviewed")


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/voicemail", voicemail_list, name="voicemail_list"),
        web.get("/voicemail/{id}/audio", voicemail_audio, name="voicemail_audio"),
        web.post("/voicemail/{id}/reviewed", voicemail_reviewed,
                name="voicemail_reviewed"),
    ]


def _id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["id"])
    except ValueError:
        raise NotFound("No such voicemail.") from None


def intake_link(vm: store.Voicemail) -> str:
    """The intake page, with hints it may use (facility, language); it may ignore them. It
    opens the voicemail's intake once there is one."""
    hints = {"language": vm.language, "voicemail": str(vm.id)}
    if vm.facility_id is not None:
        hints["facility_id"] = str(vm.facility_id)
    return "/intake?" + urlencode(hints)


def _show(raw: str) -> store.Show:
    return next((s for s in SHOWS if s == raw), "all")


def _list(request: web.Request, voicemails: list[store.Voicemail], show: store.Show, *,
          error: Invalid | None = None, refused: uuid.UUID | None = None,
          values: dict[str, str] | None = None) -> web.Response:
    """The list; after a refused "Mark reviewed", with the problem and what was chosen on
    that message's row."""
    return form_page(request, "voicemail/list.html", error, voicemails=voicemails, show=show,
                     shows=SHOWS, intake_link=intake_link, reasons=review_rules.REASONS,
                     said=review_rules.said, note_max=review_rules.NOTE_MAX,
                     refused=refused, values=values or {})


@require("supervisor")
async def voicemail_list(request: web.Request) -> web.StreamResponse:
    show = _show(request.query.get("show", "all"))
    async with request.app[POOL].acquire() as con:
        voicemails = await review.listing(con, request.app[KEY_RING],
                                          current_user(request).id, show)
    return _list(request, voicemails, show)


@require("supervisor")
async def voicemail_audio(request: web.Request) -> web.StreamResponse:
    voicemail_id = _id(request)
    user = current_user(request)
    async with request.app[POOL].acquire() as con:
        audio = await review.listen(con, request.app[KEY_RING], voicemail_id, user.id)
    return web.Response(body=audio, content_type="audio/wav",
                        headers={"Cache-Control": "no-store"})


@require("supervisor")
async def voicemail_reviewed(request: web.Request) -> web.StreamResponse:
    voicemail_id = _id(request)
    form = await form_data(request)
    show = _show(form.get("show", "all"))
    try:
        async with request.app[POOL].acquire() as con:
            await review.review_or_page(con, request.app[KEY_RING], voicemail_id,
                                        current_user(request).id, form, show)
    except Invalid as e:
        return _list(request, page_of(e, list), show, error=e, refused=voicemail_id,
                     values=typed(form, ("reason", "note")))
    raise web.HTTPSeeOther(f"/voicemail?show={show}")
