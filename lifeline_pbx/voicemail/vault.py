"""The vault: voicemail audio moves from the PBX's disk into the database, sealed.

For each voicemail without audio: fetch the recording over ARI, seal it under
place('voicemail_audio', 'audio', id), store it, then delete it from Asterisk, so no
plaintext voice stays on the PBX. A recording still being written is left for the next
pass. One that Asterisk does not have (404) is retried during GRACE, then logged once and
stored as bytes=0 (migrations/0005), so it is not asked for forever.

Runs as a background task beside the call engine and never in the call path: its errors
are logged (ids only) and retried with a growing wait; a call never waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import uuid
import wave
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import DATABASE_ERRORS, Conn
from lifeline_pbx.errors import AriError
from lifeline_pbx.voicemail import store

log = logging.getLogger(__name__)
EVERY = 3.0  # seconds between passes when all is well
MAX_WAIT = 60.0  # the longest wait after repeated failures
GRACE = timedelta(minutes=2)  # a 404 this soon after the voicemail may be a slow file
RETRYABLE = (*DATABASE_ERRORS, AriError)


def wav_seconds(audio: bytes) -> int:
    """How long a WAV file plays, rounded; 0 if it is not one. Asterisk reports 0 s for a
    message cut by the caller's hang-up, which is how most messages end."""
    try:
        with wave.open(io.BytesIO(audio)) as wav:
            frames: int = wav.getnframes()
            rate: int = wav.getframerate()
            return round(frames / rate)
    except (wave.Error, EOFError, ZeroDivisionError):
        return 0


def audio_place(voicemail_id: uuid.UUID) -> str:
    return place("voicemail_audio", "audio", voicemail_id)


class Vault:
    def __init__(self, pool: asyncpg.Pool, ari: AriClient, keys: KeyRing, *,
                 every: float = EVERY, grace: timedelta = GRACE) -> None:
        self.pool = pool
        self.ari = ari
        self.keys = keys
        self.every = every
        self.grace = grace
        self._wake = asyncio.Event()
        # Test hook: called with the plaintext audio just before it is sealed.
        self.fetched: Callable[[uuid.UUID, bytes], None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                moved = await self.sweep()
                if moved:
                    log.info("voicemail vault moved=%d", moved)
                failures = 0
            except RETRYABLE as exc:
                failures += 1
                log.warning("voicemail vault pass failed error=%s retry_in=%.0fs",
                            type(exc).__name__, self._wait(failures))
            wait = self._wait(failures)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _wait(self, failures: int) -> float:
        """The sweep interval, or longer after failures (doubling, up to MAX_WAIT)."""
        return max(self.every, backoff.delay(failures, first=self.every, cap=MAX_WAIT))

    async def sweep(self) -> int:
        """One pass: move what waits, finish deletes that did not go through; how many moved."""
        async with self.pool.acquire() as con:
            waiting = await store.pending(con)
            undeleted = await store.still_on_pbx(con)
        moved = 0
        for vm in waiting:
            moved += await self._move(vm)
        for vm in undeleted:
            await self._remove(vm)
        return moved

    async def _move(self, vm: store.Pending) -> int:
        audio = await self._fetch(vm)
        if audio is None:
            return 0
        if self.fetched is not None:
            self.fetched(vm.id, audio)
        sealed = self.keys.seal_bytes(audio, audio_place(vm.id))
        async with self.pool.acquire() as con:
            await store.store_audio(con, vm.id, sealed, len(audio), wav_seconds(audio))
        await self._remove(vm)
        return 1

    async def _fetch(self, vm: store.Pending) -> bytes | None:
        """The audio; None when it is not (yet, or ever) there."""
        if await self._still_recording(vm.recording):
            return None
        try:
            audio = await self.ari.stored_recording_file(vm.recording)
        except AriError as exc:
            if exc.status != 404:
                raise
            audio = b""
        if audio:
            return audio
        if datetime.now(UTC) - vm.created_at >= self.grace:  # not there, nor coming
            async with self.pool.acquire() as con:
                await store.mark_missing(con, vm.id)
            log.warning("voicemail recording not on the PBX voicemail_id=%s", vm.id)
            with contextlib.suppress(AriError):  # an empty file, if that is what it was
                await self.ari.delete_stored_recording(vm.recording)
        return None

    async def _still_recording(self, name: str) -> bool:
        try:
            await self.ari.live_recording(name)
        except AriError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    async def _remove(self, vm: store.Pending) -> None:
        try:
            await self.ari.delete_stored_recording(vm.recording)
        except AriError as exc:
            if exc.status != 404:
                raise
        async with self.pool.acquire() as con:
            await store.mark_removed(con, vm.id)


async def open_audio(con: Conn, keys: KeyRing, voicemail_id: uuid.UUID) -> bytes | None:
    """The WAV in clear, or None when the vault has none for it."""
    sealed = await store.sealed_audio(con, voicemail_id)
    return keys.open_bytes(sealed, audio_place(voicemail_id)) if sealed is not None else None
