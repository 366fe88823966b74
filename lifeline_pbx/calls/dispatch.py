"""Routes each ARI event to whoever owns its channel; takes calls back after a restart.

Owners: a caller's CallSession (inbound legs), the OfferDesk (operators' legs), a short
task for an operator's feature code, the distributor for endpoint (phone) states.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from lifeline_pbx.ari import events as ari
from lifeline_pbx.calls import model
from lifeline_pbx.calls.session import CallContext, CallSession
from lifeline_pbx.errors import AriError
from lifeline_pbx.prompts import tones
from lifeline_pbx.queues.acd import Acd, holding_bridge
from lifeline_pbx.queues.operator_state import feature_action
from lifeline_pbx.queues.picture import Talk, Waiter
from lifeline_pbx.queues.routing import Caller
from lifeline_pbx.tasks import TaskRegistry

log = logging.getLogger(__name__)


def endpoint_of(channel_name: str) -> str:
    """'PJSIP/op-a-0000001f' -> 'op-a'."""
    resource = channel_name.split("/", 1)[-1]
    return resource.rsplit("-", 1)[0]


class CallDispatcher:
    def __init__(self, ctx: CallContext, acd: Acd, tasks: TaskRegistry) -> None:
        self.ctx = ctx
        self.acd = acd
        self.tasks = tasks  # the app's: cancelled when it stops
        self.sessions: dict[str, CallSession] = {}
        self._confirmations: dict[str, asyncio.Event] = {}

    def on_event(self, event: ari.Event) -> None:
        if isinstance(event, ari.EndpointState):
            self.acd.endpoint_changed(event)
            return
        channel_id = ari.channel_id_of(event)
        if channel_id is None:
            return
        if self.acd.desk.owns(channel_id):
            self.acd.desk.on_event(event)
            return
        session = self.sessions.get(channel_id)
        if session is not None:
            session.queue.put_nowait(event)
        elif channel_id in self._confirmations:
            if isinstance(event, ari.PlaybackFinished | ari.StasisEnd):
                self._confirmations[channel_id].set()
        elif isinstance(event, ari.StasisStart):
            self._stasis_start(event)

    def _stasis_start(self, event: ari.StasisStart) -> None:
        kind = event.args[0] if event.args else ""
        if kind == "inbound":
            self.start(event.channel.id).queue.put_nowait(event)
        elif kind == "operator":
            self.tasks.spawn(self._feature_code(event.channel), "feature-code")

    def start(self, channel_id: str, call_id: uuid.UUID | None = None) -> CallSession:
        session = CallSession(self.ctx, channel_id, call_id)
        self.sessions[channel_id] = session
        task = self.tasks.spawn(session.run(), f"call-{channel_id}")
        task.add_done_callback(lambda _: self.sessions.pop(channel_id, None))
        return session

    async def _feature_code(self, channel: ari.Channel) -> None:
        ari_client = self.ctx.ari
        username = endpoint_of(channel.name)
        action = feature_action(channel.exten)
        played = self._confirmations[channel.id] = asyncio.Event()
        try:
            await ari_client.answer(channel.id)
            done = action is not None and await self.acd.operator_action(username, action)
            log.info("feature code operator=%s action=%s done=%s", username, action, done)
            tone = self.ctx.media_uri(tones.LANGUAGE, "confirm" if done else "refuse", "en")
            await ari_client.play(channel.id, [tone], f"fc-{channel.id}")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await played.wait()
        except AriError:
            log.warning("feature code channel gone operator=%s", username)
        finally:
            del self._confirmations[channel.id]
            with contextlib.suppress(AriError):
                await ari_client.hangup(channel.id)

    async def adopt(self, open_calls: dict[str, tuple[uuid.UUID, Any]]) -> int:
        """After a (re)connection: take back the calls Asterisk kept while we were away.

        open_calls maps caller channel ids to (call id, call row) of still-open calls.
        Callers in a queue bridge wait on in their place; bridged calls keep talking;
        callers caught in the IVR start it again; nobody is dropped.
        """
        bridged = await self._adopt_bridges(open_calls)
        adopted = len(bridged)
        for data in await self.ctx.ari.channels():
            dialplan = data.get("dialplan") or {}
            app_data = str(dialplan.get("app_data", ""))
            channel = ari.parse_channel(data)
            if (channel.id in bridged or channel.id in self.sessions
                    or dialplan.get("app_name") != "Stasis"
                    or not app_data.startswith(f"{self.ctx.ari.app},inbound")):
                continue
            call_id = open_calls[channel.id][0] if channel.id in open_calls else None
            self.start(channel.id, call_id).queue.put_nowait(
                ari.StasisStart(channel, ("inbound", channel.exten))
            )
            adopted += 1
        if adopted:
            log.info("adopted calls after reconnect count=%d", adopted)
        return adopted

    async def _adopt_bridges(self, open_calls: dict[str, tuple[uuid.UUID, Any]]) -> set[str]:
        taken: set[str] = set()
        for bridge in await self.ctx.ari.bridges():
            bridge_id = str(bridge.get("id", ""))
            channels = [str(c) for c in bridge.get("channels", [])]
            callers = [c for c in channels if c in open_calls and c not in self.sessions]
            for channel_id in callers:
                call_id, row = open_calls[channel_id]
                if bridge_id.startswith("queue-"):
                    await self._resume_waiting(channel_id, call_id, row)
                elif bridge_id == f"call-{call_id}":
                    operator = [c for c in channels if c != channel_id]
                    await self._resume_talking(channel_id, call_id, row, bridge_id, operator)
                else:
                    continue
                taken.add(channel_id)
        return taken

    async def _resumed_session(self, channel_id: str, call_id: uuid.UUID, row: Any,
                               phase: model.Phase) -> CallSession:
        found = await self.ctx.lines.find(row["did"])
        session = self.start(channel_id, call_id)
        session.queue.put_nowait(model.Resumed(
            found[0] if found else None, phase, row["language"] or self.ctx.default_language,
            row["priority"]))
        return session

    async def _resume_waiting(self, channel_id: str, call_id: uuid.UUID, row: Any) -> None:
        session = await self._resumed_session(channel_id, call_id, row, model.Phase.QUEUED)
        queue_id = int(row["queue_id"])
        entered = row["queued_at"].timestamp()
        caller = Caller(str(call_id), str(queue_id), row["language"], row["priority"], entered,
                        False, frozenset())
        self.acd.picture.waiting[call_id] = Waiter(session, caller, queue_id)
        log.info("queue place kept call=%s queue=%s", call_id, holding_bridge(queue_id))

    async def _resume_talking(self, channel_id: str, call_id: uuid.UUID, row: Any,
                              bridge_id: str, others: list[str]) -> None:
        session = await self._resumed_session(channel_id, call_id, row, model.Phase.CONNECTED)
        if not others:
            return
        data = await self.ctx.ari.channel(others[0])
        operator = endpoint_of(str(data.get("name", "")))
        self.acd.picture.talking[call_id] = Talk(session, operator, bridge_id, others[0],
                                                 int(row["queue_id"]))
        self.acd.desk.adopt_talking(call_id, operator, others[0])
