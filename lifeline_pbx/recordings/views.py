"""Listening to a recorded call, from the call's page. Supervisors only (admins too),
checked on the server; each listen is audited (listen.py); the audio is opened from the
vault for the response alone and never cached (Cache-Control: no-store)."""

from __future__ import annotations

from aiohttp import web

from lifeline_pbx.cases.webutil import path_uuid
from lifeline_pbx.recordings import listen
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import current_user, require


def routes() -> list[web.AbstractRouteDef]:
    return [web.get("/calls/{id}/recordings/{recording}/audio", recording_audio,
                    name="call_recording_audio")]


@require("supervisor")
async def recording_audio(request: web.Request) -> web.StreamResponse:
    call_id, recording_id = path_uuid(request), path_uuid(request, "recording")
    async with request.app[POOL].acquire() as con:
        audio = await listen.listen(con, request.app[KEY_RING], call_id, recording_id,
                                    current_user(request).id)
    return web.Response(body=audio, content_type="audio/wav",
                        headers={"Cache-Control": "no-store"})
