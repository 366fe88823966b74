"""The vault: recorded voice moves from the PBX's disk into the database, sealed.

Asterisk writes voicemail messages and recorded calls as plain WAV files on its own disk.
Each kind has a shelf (its table and SQL: voicemail/shelf.py, recordings/shelf.py); for
each recording a shelf lists, the vault fetches the file over ARI, seals it under the
shelf's place for that row, stores it, then deletes it from Asterisk, so no plaintext
voice stays on the PBX. A recording still being written is left for the next pass. One
that Asterisk does not have (404) is retried during GRACE, then logged once and marked
missing, so it is not asked for forever. A file on the PBX that no row names (its row's
write was lost with the app) is given a row where its kind allows, and moved like the rest.

Runs as a background task beside the call engine and never in the call path: its errors
are logged (ids only) and retried with a growing wait; a call never waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import logging
import uuid
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import DATABASE_ERRORS, Conn
from lifeline_pbx.errors import AriError

log = logging.getLogger(__name__)
EVERY = 3.0  # seconds between passes when all is well
ORPHANS_EVERY = 100  # passes between two looks at every file on the PBX (about 5 minutes)
MAX_WAIT = 60.0  # the longest wait after repeated failures
GRACE = timedelta(minutes=2)  # a 404 this soon after the recording began may be a slow file
RETRYABLE = (*DATABASE_ERRORS, AriError)


@dataclass(frozen=True)
class Pending:
    """A recording that is (or was) on the PBX and whose row is not done with it."""

    id: uuid.UUID
    recording: str  # Asterisk's name for it
    created_at: datetime


class Shelf(Protocol):
    """One kind of recording: where its rows are, and what the vault writes on them."""

    kind: str  # in log lines: "voicemail", "call recording"

    def place(self, row_id: uuid.UUID) -> str:
        """Where its audio is sealed (crypto.place): sealed for one row, it opens for no other."""

    async def pending(self, con: Conn) -> list[Pending]:
        """Not fetched yet."""

    async def still_on_pbx(self, con: Conn) -> list[Pending]:
        """Stored (or found missing), but the delete on Asterisk is not confirmed yet."""

    async def store(self, con: Conn, row_id: uuid.UUID, sealed: bytes, size: int,
                    seconds: int) -> None: ...

    async def missing(self, con: Conn, row_id: uuid.UUID) -> None:
        """Asterisk has none: marked so that it is not asked for again."""

    async def removed(self, con: Conn, row_id: uuid.UUID) -> None: ...

    async def adopt(self, con: Conn, names: Sequence[str]) -> int:
        """Of the recordings on the PBX, give those of its kind that have no row one (their
        row was lost: the app killed before its write committed); how many."""


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


class Vault:
    def __init__(self, pool: asyncpg.Pool, ari: AriClient, keys: KeyRing,
                 shelves: Sequence[Shelf], *, every: float = EVERY,
                 grace: timedelta = GRACE) -> None:
        self.pool = pool
        self.ari = ari
        self.keys = keys
        self.shelves = tuple(shelves)
        self.every = every
        self.grace = grace
        # Per kind, how many recordings the last pass found on the PBX to move or delete
        # (each list read up to its shelf's batch): a number that stays above 0 says the
        # vault is stuck (the metrics' lifeline_recordings_on_pbx).
        self.on_pbx = {shelf.kind: 0 for shelf in self.shelves}
        self._wake = asyncio.Event()
        # Test hook: called with the plaintext audio just before it is sealed.
        self.fetched: Callable[[uuid.UUID, bytes], None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        for passes in itertools.count():  # a look for orphans that fails costs one sweep
            try:
                if passes % ORPHANS_EVERY == 0:
                    await self.adopt_orphans()
                await self.sweep()
                failures = 0
            except RETRYABLE as exc:
                failures += 1
                log.warning("recording vault pass failed error=%s retry_in=%.0fs",
                            type(exc).__name__, self._wait(failures))
            wait = self._wait(failures)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _wait(self, failures: int) -> float:
        """The sweep interval, or longer after failures (doubling, up to MAX_WAIT)."""
        return max(self.every, backoff.delay(failures, first=self.every, cap=MAX_WAIT))

    async def sweep(self) -> int:
        """One pass over every shelf: move what waits, finish deletes that did not go
        through; how many moved."""
        moved = 0
        for shelf in self.shelves:
            async with self.pool.acquire() as con:
                waiting = await shelf.pending(con)
                undeleted = await shelf.still_on_pbx(con)
            self.on_pbx[shelf.kind] = len(waiting) + len(undeleted)
            count = 0
            for item in waiting:
                count += await self._move(shelf, item)
            for item in undeleted:
                await self._remove(shelf, item)
            if count:
                log.info("recording vault moved=%d kind=%s", count, shelf.kind)
            moved += count
        return moved

    async def adopt_orphans(self) -> int:
        """Rows for recordings on the PBX that none names, where a shelf can make one: the
        next sweep moves them. At start and every ORPHANS_EVERY passes (it lists every file)."""
        names = await self.ari.stored_recordings()
        adopted = 0
        async with self.pool.acquire() as con:
            for shelf in self.shelves:
                count = await shelf.adopt(con, names)
                if count:
                    log.warning("recording vault adopted=%d kind=%s", count, shelf.kind)
                adopted += count
        return adopted

    async def _move(self, shelf: Shelf, item: Pending) -> int:
        audio = await self._fetch(shelf, item)
        if audio is None:
            return 0
        if self.fetched is not None:
            self.fetched(item.id, audio)
        sealed = self.keys.seal_bytes(audio, shelf.place(item.id))
        async with self.pool.acquire() as con:
            await shelf.store(con, item.id, sealed, len(audio), wav_seconds(audio))
        await self._remove(shelf, item)
        return 1

    async def _fetch(self, shelf: Shelf, item: Pending) -> bytes | None:
        """The audio; None when it is not (yet, or ever) there."""
        if await self.ari.recording_live(item.recording):
            return None
        try:
            audio = await self.ari.stored_recording_file(item.recording)
        except AriError as exc:
            if exc.status != 404:
                raise
            audio = b""
        if audio:
            return audio
        if datetime.now(UTC) - item.created_at >= self.grace:  # not there, nor coming
            async with self.pool.acquire() as con:
                await shelf.missing(con, item.id)
            log.warning("recording not on the PBX kind=%s id=%s", shelf.kind, item.id)
            with contextlib.suppress(AriError):  # an empty file, if that is what it was
                await self.ari.delete_stored_recording(item.recording)
        return None

    async def _remove(self, shelf: Shelf, item: Pending) -> None:
        try:
            await self.ari.delete_stored_recording(item.recording)
        except AriError as exc:
            if exc.status != 404:
                raise
        async with self.pool.acquire() as con:
            await shelf.removed(con, item.id)
