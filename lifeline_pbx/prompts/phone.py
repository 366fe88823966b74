"""Recording a prompt by phone: the admin picks the prompt in the browser (arm), then dials
the feature code from the phone of the SIP account linked to their user. The phone hears
the prompt as it sounds now (so they know which one), a beep, and records; # ends it.
The recording goes through the same conversion, audit and NOTIFY as an upload, in the
admin's name. A phone that dials the code with nothing armed hears the refusal tone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg

from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls.adoption import endpoint_of
from lifeline_pbx.errors import AriError, Invalid, RequestError
from lifeline_pbx.prompts import convert, store, tones, work

log = logging.getLogger(__name__)
CODE = "*9"
ARMED_MINUTES = 10
PLAY_TIMEOUT = 60.0
MediaUri = Callable[[str, str, str], str]  # (language, name, default language) -> media


async def arm(pool: asyncpg.Pool, user_id: int, operator: str | None, language: str,
              name: str) -> None:
    """The next call of the user's phone to CODE records this prompt."""
    if not operator:
        raise Invalid("Your user has no SIP account to call from: an admin links one on "
                      "the Users page.", "phone")
    async with pool.acquire() as con:
        await work.checked(con, language, name)
        if not await store.request_by_phone(con, user_id, operator, language, name,
                                            ARMED_MINUTES):
            raise Invalid("Your SIP account no longer exists.", "phone")


class PhoneRecorder:
    def __init__(self, ari_client: AriClient, pool: asyncpg.Pool, folder: Path | None,
                 media_uri: MediaUri) -> None:
        self.ari = ari_client
        self.pool = pool
        self.folder = folder
        self.media_uri = media_uri

    async def __call__(self, channel: ari.Channel, events: asyncio.Queue[ari.Event]) -> None:
        operator = endpoint_of(channel.name)
        async with self.pool.acquire() as con:
            request = await store.take_phone_request(con, operator)
        await self.ari.answer(channel.id)
        if request is None:
            log.info("prompt by phone: nothing armed operator=%s", operator)
            await self._play(channel.id, events, [self._tone("refuse")])
            return
        name = f"prompt-{uuid.uuid4().hex}"
        try:
            played = [self.media_uri(request.language, request.name, request.language),
                      self._tone("beep")]
            if not await self._play(channel.id, events, played):
                return
            await self.ari.record(channel.id, name, max_seconds=int(convert.MAX_SECONDS),
                                  terminate_on="#")
            await _wait(events, lambda e: isinstance(e, ari.RecordingFinished) and e.name == name,
                        convert.MAX_SECONDS + 10)
            data = await self.ari.stored_recording_file(name)
            ok = await self._save(request, data)
        except AriError as exc:
            log.warning("prompt by phone failed operator=%s status=%s", operator, exc.status)
            return
        finally:
            with contextlib.suppress(AriError):
                await self.ari.delete_stored_recording(name)
        with contextlib.suppress(AriError):
            await self._play(channel.id, events, [self._tone("confirm" if ok else "refuse")])

    async def _save(self, request: store.PhoneRequest, data: bytes) -> bool:
        try:
            await work.upload(self.pool, request.user_id, self.folder, request.language,
                              request.name, data, source="phone")
        except RequestError as exc:
            log.info("prompt by phone refused language=%s name=%s: %s", request.language,
                     request.name, type(exc).__name__)
            return False
        log.info("prompt by phone saved language=%s name=%s", request.language, request.name)
        return True

    def _tone(self, tone: str) -> str:
        return self.media_uri(tones.LANGUAGE, tone, "en")

    async def _play(self, channel_id: str, events: asyncio.Queue[ari.Event],
                    media: list[str]) -> bool:
        """Play to the end; False if the phone hung up first."""
        playback = f"pp-{uuid.uuid4().hex[:12]}"
        await self.ari.play(channel_id, media, playback)
        found = await _wait(events, lambda e: isinstance(e, ari.PlaybackFinished)
                            and e.playback_id == playback, PLAY_TIMEOUT)
        return found is not None


async def _wait(events: asyncio.Queue[ari.Event], wanted: Callable[[ari.Event], bool],
                timeout: float) -> ari.Event | None:
    """The first wanted event; None when the channel left (or nothing came in time)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while True:
                event = await events.get()
                if wanted(event):
                    return event
                if isinstance(event, ari.StasisEnd | ari.ChannelDestroyed):
                    return None
    return None
