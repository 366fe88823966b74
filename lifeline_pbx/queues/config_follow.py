"""The call distributor follows queues' settings and memberships as admins change them.

The queues and operator_queues tables NOTIFY 'lifeline_config' with their name when a
statement changes them (migrations/0020_queue_admin.sql); other configuration tables may
notify the same channel with theirs, which this ignores. On each notification, and after
each (re)LISTEN (notifications sent while nobody listened are lost), `reload` runs: the
distributor reads operators, memberships and queue policies again (queues/acd.Acd.reload),
so the next offer rings with the new settings. Notifications that arrive during a reload
are merged into one more; a failed reload is retried with a growing wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from lifeline_pbx import backoff
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.pg_listen import Listener

log = logging.getLogger(__name__)

CHANNEL = "lifeline_config"
TABLES = frozenset({"queues", "operator_queues"})
LISTENER_NAME = "lifeline-queue-config"  # application_name of the LISTEN connection


class QueueConfigFollower:
    def __init__(self, dsn: str, reload: Callable[[], Awaitable[None]]) -> None:
        self._reload = reload
        self._wanted = asyncio.Event()
        self._listener = Listener(dsn, CHANNEL, self._notified, on_listen=self.request,
                                  application_name=LISTENER_NAME)
        self.listening = self._listener.listening
        self.reloads = 0  # reloads done without an error

    def request(self) -> None:
        self._wanted.set()

    def _notified(self, payload: str) -> None:
        if payload in TABLES:
            self.request()

    async def run(self) -> None:
        """Listen and reload until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._listener.run(), name="queue-config-listen")
            group.create_task(self._apply(), name="queue-config-apply")

    async def _apply(self) -> None:
        failures = 0
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            if await self._reload_once():
                failures = 0
                continue
            failures += 1
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(backoff.delay(failures)):
                    await self._wanted.wait()
            self._wanted.set()

    async def _reload_once(self) -> bool:
        try:
            await self._reload()
        except DATABASE_ERRORS as exc:
            log.warning("queue settings not reloaded error=%s", exc.__class__.__name__)
            return False
        except Exception:  # the loop must outlive any one bad reload
            log.exception("queue settings reload failed")
            return False
        self.reloads += 1
        log.info("queue settings reloaded")
        return True
