"""Routes each ARI event to its call's session; adopts calls left in Stasis by a restart."""

from __future__ import annotations

import asyncio
import logging
import uuid

from lifeline_pbx.ari import events as ari
from lifeline_pbx.calls.session import CallContext, CallSession

log = logging.getLogger(__name__)


class CallDispatcher:
    def __init__(self, ctx: CallContext) -> None:
        self.ctx = ctx
        self.sessions: dict[str, CallSession] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def on_event(self, event: ari.Event) -> None:
        channel_id = ari.channel_id_of(event)
        log.debug("ari event type=%s channel=%s", type(event).__name__, channel_id)
        if channel_id is None:
            return
        session = self.sessions.get(channel_id)
        if session is None:
            if not (isinstance(event, ari.StasisStart) and event.args[:1] == ("inbound",)):
                return
            session = self._start(channel_id)
        session.queue.put_nowait(event)

    def _start(self, channel_id: str, call_id: uuid.UUID | None = None) -> CallSession:
        session = CallSession(self.ctx, channel_id, call_id)
        self.sessions[channel_id] = session
        task = asyncio.create_task(session.run(), name=f"call-{session.call_id}")
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._finished(channel_id, t))
        return session

    def _finished(self, channel_id: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.sessions.pop(channel_id, None)

    async def adopt(self, open_calls: dict[str, uuid.UUID]) -> int:
        """After a (re)connection: take back inbound channels still in our Stasis app.

        open_calls maps channel ids to the ids of their still-open call rows, so an adopted
        call keeps its record.
        """
        adopted = 0
        for data in await self.ctx.ari.channels():
            dialplan = data.get("dialplan") or {}
            app_data = str(dialplan.get("app_data", ""))
            if dialplan.get("app_name") != "Stasis" or not app_data.startswith(
                f"{self.ctx.ari.app},inbound"
            ):
                continue
            channel = ari.parse_channel(data)
            if channel.id in self.sessions:
                continue
            session = self._start(channel.id, open_calls.get(channel.id))
            session.queue.put_nowait(ari.StasisStart(channel, ("inbound", channel.exten)))
            adopted += 1
        if adopted:
            log.info("adopted calls after reconnect count=%d", adopted)
        return adopted

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
