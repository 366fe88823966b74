"""LISTEN on the app's PostgreSQL channels over one connection, for the app's lifetime.

The features that follow a table (the operators' accounts, the configuration, the alerts)
each register a channel with `on`; one connection listens to all of them, so an app holds
one listening backend, not one per feature. The listener holds its own connection (a
pooled one would be handed to others), checks it every `keepalive` seconds, and reconnects
with a growing wait when it is lost. After each (re)LISTEN of a channel it calls that
channel's `on_listen`: notifications sent while nobody listened are lost, so the owner
catches up by reading the current state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.db import DATABASE_ERRORS

log = logging.getLogger(__name__)
KEEPALIVE = 30.0
APPLICATION_NAME = "lifeline-listen"  # the LISTEN connection's application_name


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class _Channel:
    on_notify: Callable[[str], None]
    on_listen: Callable[[], None]


class Listener:
    def __init__(self, dsn: str, *, keepalive: float = KEEPALIVE) -> None:
        self.dsn = dsn
        self._channels: dict[str, _Channel] = {}
        self._keepalive = keepalive
        self._wake = asyncio.Event()  # a channel was added, or the connection was lost
        self.listening = asyncio.Event()  # set while every channel on() named is listened

    def on(self, channel: str, on_notify: Callable[[str], None], *,
           on_listen: Callable[[], None] = _nothing) -> None:
        """Call on_notify with each notification's payload on channel (before or after
        `run` starts: a channel added while connected is listened at once)."""
        if channel in self._channels:
            raise ValueError(f"channel {channel} is listened already")
        self._channels[channel] = _Channel(on_notify, on_listen)
        self.listening.clear()
        self._wake.set()

    async def run(self) -> NoReturn:
        """Listen until cancelled."""
        await backoff.keep_running(self._listen_once, what="listen",
                                   expected=DATABASE_ERRORS)

    async def _listen_once(self, up: Callable[[], None]) -> None:
        """LISTEN on one connection; return when it is lost."""
        con = await asyncpg.connect(self.dsn, timeout=10,
                                    server_settings={"application_name": APPLICATION_NAME})
        try:
            lost = asyncio.Event()

            def dropped(_con: object) -> None:
                lost.set()
                self._wake.set()

            con.add_termination_listener(dropped)
            listened: set[str] = set()
            up()
            while not lost.is_set():
                self._wake.clear()
                for name in [n for n in self._channels if n not in listened]:
                    await con.add_listener(name, self._notified)
                    listened.add(name)
                    log.info("listening channel=%s", name)
                    self._channels[name].on_listen()
                if self._wake.is_set():
                    continue  # a channel added meanwhile
                self.listening.set()
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._keepalive):
                        await self._wake.wait()
                if not self._wake.is_set():
                    await con.execute("SELECT 1", timeout=5)
            log.warning("listen connection lost channels=%s", ",".join(sorted(listened)))
        finally:
            self.listening.clear()
            con.terminate()

    def _notified(self, _con: object, _pid: int, channel: str, payload: object) -> None:
        self._channels[channel].on_notify(str(payload))
