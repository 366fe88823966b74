"""The engine follows configuration changes without a restart.

Triggers (migrations/0019 for lines, 0020 for queues; prompts/work.py for prompts) send
NOTIFY 'lifeline_config' with the changed table's name as payload whenever a transaction
that changed it commits, whoever made the change (the web pages, the `lifeline` command,
psql). Each part of the engine registers a reload for the tables it reads (`on`); a
notification for one of them asks for that reload, and requests that arrive while it runs
are merged into one more run. After every (re)LISTEN every reload runs: notifications sent
while nobody listened are lost; and each runs once registered, whether or not the LISTEN
came first. A failed reload is retried with a growing wait, or at once on the next
notification.

A part is `current` while its last reload succeeded, no change is waiting to be loaded,
and the LISTEN connection is up: what it holds is then what the tables hold (up to the
moment a notification takes to arrive), and the engine may route from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from lifeline_pbx import backoff
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.pg_listen import Listener

log = logging.getLogger(__name__)

CHANNEL = "lifeline_config"
Reload = Callable[[], Awaitable[None]]


@dataclass
class _Registered:
    name: str
    tables: frozenset[str]
    reload: Reload
    wanted: asyncio.Event = field(default_factory=asyncio.Event)
    done: int = 0  # reloads completed
    loaded: bool = False  # the last reload succeeded and nothing changed since it began


class ConfigWatch:
    def __init__(self, listener: Listener) -> None:
        self._registered: list[_Registered] = []
        listener.on(CHANNEL, self._notified, on_listen=self._all)
        self.listening = listener.listening  # set while the LISTEN connection is up

    def on(self, name: str, tables: Iterable[str], reload: Reload) -> None:
        """Run `reload` once `run` starts, and after every change to one of `tables` (call
        before `run`).

        The first reload is asked for here: the LISTEN may have happened already (the
        engine registers its parts between awaits), and then nothing else would ask."""
        registered = _Registered(name, frozenset(tables), reload)
        self._registered.append(registered)
        _want(registered)

    def current(self, name: str) -> bool:
        """Whether the part registered under `name` holds what its tables hold now."""
        parts = [r for r in self._registered if r.name == name]
        return self.listening.is_set() and bool(parts) and all(r.loaded for r in parts)

    def reloads(self, name: str) -> int:
        """How many times the reload registered under `name` has completed."""
        return sum(r.done for r in self._registered if r.name == name)

    async def run(self) -> None:
        """Reload when asked, until cancelled."""
        async with asyncio.TaskGroup() as group:
            for registered in self._registered:
                group.create_task(self._apply(registered), name=f"reload-{registered.name}")

    def _notified(self, table: str) -> None:
        for registered in self._registered:
            if table in registered.tables:
                _want(registered)

    def _all(self) -> None:
        for registered in self._registered:
            _want(registered)

    async def _apply(self, registered: _Registered) -> None:
        failures = 0
        while True:
            await registered.wanted.wait()
            registered.wanted.clear()
            try:
                await registered.reload()
            except DATABASE_ERRORS as exc:
                failures += 1
                log.warning("reload %s failed error=%s", registered.name, type(exc).__name__)
            except Exception:  # the loop must outlive any one bad reload
                failures += 1
                log.exception("reload %s failed", registered.name)
            else:
                failures = 0
                registered.done += 1
                registered.loaded = not registered.wanted.is_set()
                log.info("configuration reloaded part=%s", registered.name)
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(backoff.delay(failures)):
                    await registered.wanted.wait()
            registered.wanted.set()


def _want(registered: _Registered) -> None:
    registered.loaded = False
    registered.wanted.set()
