"""Supervisors review voicemail: the list (with each message's intake), each message's
audio, and marking it reviewed (saving an intake from it does too: cases/voicemail_intake.py).

Every route needs the supervisor role (admins too). Listening and marking reviewed are
audited (review.py). The audio is opened from the vault only for the response, never
cached (Cache-Control: no-store).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from aiohttp import web

from lifeline_pbx.errors import NotFound
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.voicemail import review, store
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.render import render

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


@require("supervisor")
async def voicemail_list(request: web.Request) -> web.StreamResponse:
    raw = request.query.get("show", "all")
    show: store.Show = next((s for s in SHOWS if s == raw), "all")
    async with request.app[POOL].acquire() as con:
        voicemails = await store.listing(con, show)
    return render(request, "voicemail/list.html", voicemails=voicemails, show=show,
                  shows=SHOWS, intake_link=intake_link)


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
    user = current_user(request)
    async with request.app[POOL].acquire() as con:
        await review.mark_reviewed(con, voicemail_id, user.id, audit_if_already=True)
    raise web.HTTPSeeOther("/voicemail")
