"""The supervisors' live feed: spike alerts and new voicemails, pushed to every open
supervisor screen (the queue view and the console) over a WebSocket.

Fed by PostgreSQL's notifications (watch.py), not by the call engine: the voicemail may
have been left on another node, the alert fired by another process, and the web UI runs
without the engine too. Each screen is a console Subscription (console/live.py): a
bounded queue, closed when it falls behind; the screen reconnects to a fresh snapshot,
which is also what a screen gets first.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

import asyncpg

from lifeline_pbx.alerts import store
from lifeline_pbx.alerts.store import Alert
from lifeline_pbx.console.live import Subscription
from lifeline_pbx.console.messages import Message
from lifeline_pbx.voicemail import store as voicemails
from lifeline_pbx.voicemail.store import Voicemail
from lifeline_pbx.web.times import day, when

log = logging.getLogger(__name__)
VOICEMAILS_SHOWN = 20


def alert_message(alert: Alert) -> Message:
    return {
        "type": "alert", "id": alert.id, "facility_id": alert.facility_id,
        "facility": alert.facility, "category": alert.category,
        "category_label": alert.category_label, "reports": alert.reports,
        "window_days": alert.window_days, "window_start": alert.window_start.timestamp(),
        "window_end": alert.window_end.timestamp(), "fired_at": alert.fired_at.timestamp(),
        "first_day": day(alert.window_start),  # shown as written: the hotline's clock
    }


def voicemail_message(vm: Voicemail) -> Message:
    """A voicemail as the feed shows it: where, when, which language, whether urgent."""
    return {
        "type": "voicemail", "id": str(vm.id), "facility": vm.facility, "line": vm.line,
        "language": vm.language, "emergency": vm.emergency, "reason": vm.reason,
        "created_at": vm.created_at.timestamp(), "left": when(vm.created_at),
    }


def snapshot_message(alerts: list[Alert], waiting: list[Voicemail]) -> Message:
    return {"type": "snapshot", "alerts": [alert_message(a) for a in alerts],
            "voicemails": [voicemail_message(v) for v in waiting],
            "server_time": time.time()}


async def snapshot(pool: asyncpg.Pool) -> list[Message]:
    """What a screen that just (re)connected shows: current alerts, unreviewed voicemail."""
    async with pool.acquire() as con:
        alerts = await store.current_alerts(con)
        waiting = await voicemails.newest_unreviewed(con, VOICEMAILS_SHOWN)
    return [snapshot_message(alerts, waiting)]


class SupervisorFeed:
    def __init__(self) -> None:
        self._subs: set[Subscription] = set()

    def __len__(self) -> int:
        return len(self._subs)

    @contextlib.contextmanager
    def subscribe(self, username: str) -> Iterator[Subscription]:
        sub = Subscription(username)
        self._subs.add(sub)
        try:
            yield sub
        finally:
            self._subs.discard(sub)

    def publish(self, message: Message) -> None:
        for sub in list(self._subs):
            if not sub.put(message):
                log.warning("supervisor screen too slow, closing it user=%s", sub.username)
                self._subs.discard(sub)
                sub.close()

    def close_all(self) -> None:
        for sub in list(self._subs):
            sub.close()
