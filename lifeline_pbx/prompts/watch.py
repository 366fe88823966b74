"""Keeps the engine's view of the prompts folder current: LISTEN on lifeline_config, and
on 'prompts' (an upload, a revert: prompts/work.py) scan the folder again. After each
(re)LISTEN, the recordings the database keeps are written where missing (a new volume, a
restore) before the scan, since changes made while nobody listened were not heard.
"""

from __future__ import annotations

import asyncio
import logging
from typing import NoReturn

import asyncpg

from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.pg_listen import Listener
from lifeline_pbx.prompts import store, work
from lifeline_pbx.prompts.library import PromptLibrary

log = logging.getLogger(__name__)


class PromptWatch:
    def __init__(self, pool: asyncpg.Pool, dsn: str, library: PromptLibrary) -> None:
        self.pool = pool
        self.library = library
        self.listener = Listener(dsn, store.CHANNEL, self._notified, on_listen=self._listened,
                                 application_name="lifeline-prompts")
        self._wanted = asyncio.Event()
        self._materialise = False
        self.refreshed = 0  # how many scans were taken (tests wait on it)

    def _notified(self, payload: str) -> None:
        if payload == store.PAYLOAD:
            self._wanted.set()

    def _listened(self) -> None:
        self._materialise = True
        self._wanted.set()

    async def run(self) -> NoReturn:
        """Scan when asked, until cancelled (`listener.run()` is a task of its own)."""
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            await self._refresh()

    async def _refresh(self) -> None:
        folder = self.library.local_dir
        if self._materialise and folder is not None:
            try:
                await work.materialise(self.pool, folder)
                self._materialise = False
            except DATABASE_ERRORS as exc:
                log.warning("prompt recordings not checked: %s", type(exc).__name__)
        await asyncio.to_thread(self.library.refresh)
        self.refreshed += 1
