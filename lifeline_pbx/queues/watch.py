"""Who else wants to know what the call distributor does (the operator console, a wallboard).

The distributor calls these hooks synchronously from its own code paths; a watcher must
return at once (spawn a task for any I/O) and its errors never reach the distributor.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from lifeline_pbx.queues.picture import Talk, TalkEnd

log = logging.getLogger(__name__)


class Watcher(Protocol):
    def talk_started(self, talk: Talk) -> None:
        """The caller was bridged with the operator."""

    def talk_ended(self, talk: Talk, wrapup: float, end: TalkEnd) -> None:
        """The operator's talk ended (`end`: how); they have `wrapup` seconds before the
        next offer."""

    def operator_changed(self, username: str, pause_reason: str | None) -> None:
        """Logged in/out, paused (with the reason; None: unchanged), resumed, wrap-up."""


class Watchers:
    """Fans each hook out to every registered watcher; a failing watcher is only logged."""

    def __init__(self) -> None:
        self._watchers: list[Watcher] = []

    def add(self, watcher: Watcher) -> None:
        self._watchers.append(watcher)

    def remove(self, watcher: Watcher) -> None:
        if watcher in self._watchers:
            self._watchers.remove(watcher)

    def talk_started(self, talk: Talk) -> None:
        for watcher in list(self._watchers):
            try:
                watcher.talk_started(talk)
            except Exception:
                log.exception("watcher failed hook=talk_started call=%s", talk.call.call_id)

    def talk_ended(self, talk: Talk, wrapup: float, end: TalkEnd) -> None:
        for watcher in list(self._watchers):
            try:
                watcher.talk_ended(talk, wrapup, end)
            except Exception:
                log.exception("watcher failed hook=talk_ended call=%s", talk.call.call_id)

    def operator_changed(self, username: str, pause_reason: str | None) -> None:
        for watcher in list(self._watchers):
            try:
                watcher.operator_changed(username, pause_reason)
            except Exception:
                log.exception("watcher failed hook=operator_changed operator=%s", username)
