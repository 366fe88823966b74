"""LISTEN on one PostgreSQL channel for the app's lifetime.

The listener holds its own connection (a pooled one would be handed to others), checks it
every `keepalive` seconds, and reconnects with a growing wait when it is lost. After each
(re)LISTEN it calls `on_listen`: notifications sent while nobody listened are lost, so the
owner catches up by reading the current state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import NoReturn

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.db import DATABASE_ERRORS

log = logging.getLogger(__name__)
KEEPALIVE = 30.0


def _nothing() -> None:
    pass


class Listener:
    def __init__(self, dsn: str, channel: str, on_notify: Callable[[str], None], *,
                 on_listen: Callable[[], None] = _nothing, application_name: str = "",
                 keepalive: float = KEEPALIVE) -> None:
        self.dsn = dsn
        self.channel = channel
        self._on_notify = on_notify
        self._on_listen = on_listen
        self._settings = {"application_name": application_name} if application_name else {}
        self._keepalive = keepalive
        self.listening = asyncio.Event()  # set while the LISTEN connection is up

    async def run(self) -> NoReturn:
        """Listen until cancelled."""
        await backoff.keep_running(self._listen_once, what=f"listen channel={self.channel}",
                                   expected=DATABASE_ERRORS)

    async def _listen_once(self, up: Callable[[], None]) -> None:
        """LISTEN on one connection; return when it is lost."""
        con = await asyncpg.connect(self.dsn, timeout=10, server_settings=self._settings)
        try:
            lost = asyncio.Event()
            con.add_termination_listener(lambda _con: lost.set())
            await con.add_listener(self.channel, self._notified)
            self.listening.set()
            up()
            log.info("listening channel=%s", self.channel)
            self._on_listen()
            while not lost.is_set():
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._keepalive):
                        await lost.wait()
                if not lost.is_set():
                    await con.execute("SELECT 1", timeout=5)
            log.warning("listen connection lost channel=%s", self.channel)
        finally:
            self.listening.clear()
            con.terminate()

    def _notified(self, _con: object, _pid: int, _channel: str, payload: object) -> None:
        self._on_notify(str(payload))
