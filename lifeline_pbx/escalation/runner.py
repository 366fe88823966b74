"""The shell around escalation/oncall.py: rings a line's on-call list for one emergency
call through outbound/legs.py, and tells the caller's session how it went.

The call's session (calls/session.py) starts a run with Escalate and stops it with
StopEscalation (the caller hung up); the run answers with OnCallAccepted,
OnCallUnanswered or OnCallEnded. Each run is a task of its own with its own event queue;
the legs' channel events reach it through OutboundLegs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls import model, records
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.errors import AriError
from lifeline_pbx.escalation import oncall, oncall_rules
from lifeline_pbx.escalation import oncall_store as store
from lifeline_pbx.outbound.guard import Refusal
from lifeline_pbx.outbound.legs import NotPlaced, OutboundLegs, Placed, Request, Target
from lifeline_pbx.queues.snapshot import Escalated
from lifeline_pbx.tasks import TaskRegistry

log = logging.getLogger(__name__)
MOH_CLASS = "default"


@dataclass(frozen=True)
class EscalatedCall:
    call_id: uuid.UUID
    channel_id: str  # the caller's leg
    line: model.Line
    deliver: Callable[[model.FlowEvent], None] = field(compare=False, repr=False)
    language: str = ""  # the caller's, for the supervisors' board


@dataclass
class _Leg:
    leg_id: uuid.UUID
    channel_id: str
    finished: bool = False


class Escalations:
    """Every on-call run of this process, by call id."""

    def __init__(self, ari_client: AriClient, pool: asyncpg.Pool, legs: OutboundLegs,
                 writer: records.RecordWriter, media_uri: Callable[[str, str, str], str],
                 language: str, tasks: TaskRegistry) -> None:
        self.ari = ari_client
        self.pool = pool
        self.legs = legs
        self.writer = writer
        self.media_uri = media_uri
        self.language = language  # what the on-call people hear "press 1" in
        self.tasks = tasks
        self.runs: dict[uuid.UUID, OnCallRun] = {}

    def start(self, call: EscalatedCall) -> None:
        self._spawn(OnCallRun(self, call))

    def _spawn(self, run: OnCallRun, adopted: oncall.Run | None = None) -> None:
        call_id = run.call.call_id
        self.runs[call_id] = run
        task = self.tasks.spawn(run.run(adopted), f"oncall-{call_id}")
        task.add_done_callback(lambda _: self.runs.pop(call_id, None))

    def adopt(self, call: EscalatedCall, position: int, leg_id: uuid.UUID, channel_id: str,
              channel_name: str) -> None:
        """After a restart: the caller and the person who accepted are still bridged; this
        process lets the leg go when the caller hangs up, and the caller when it ends."""
        run = OnCallRun(self, call)
        run.legs[0] = _Leg(leg_id, channel_id)
        run._bridged = True
        self.legs.adopt(channel_id, channel_name, "oncall", run._leg_events(0))
        state = oncall.Run((oncall.Entry(position, 0),), index=0, stage=oncall.Stage.BRIDGED)
        self._spawn(run, state)

    def board(self) -> list[Escalated]:
        """Every run, for the supervisors' board (queues/snapshot.py)."""
        return [Escalated(run.call.call_id, run.call.line, run.call.language, run.state,
                          run.started) for run in list(self.runs.values())]

    def stop(self, call_id: uuid.UUID) -> None:
        run = self.runs.get(call_id)
        if run is not None:
            run.events.put_nowait(oncall.CallerGone())

    async def music(self, channel_id: str) -> None:
        await self.ari.request("POST", f"/channels/{channel_id}/moh", {"mohClass": MOH_CLASS})

    async def entries(self, line_id: int) -> list[oncall.Entry]:
        try:
            async with self.pool.acquire() as con:
                return await store.entries(con, line_id)
        except DATABASE_ERRORS as exc:
            log.error("on-call list unreadable line=%d: %s", line_id, type(exc).__name__)
            return []


class OnCallRun:
    def __init__(self, owner: Escalations, call: EscalatedCall) -> None:
        self.owner = owner
        self.call = call
        self.events: asyncio.Queue[oncall.Event] = asyncio.Queue()
        self.legs: dict[int, _Leg] = {}
        self.bridge_id = oncall.bridge_id(call.call_id)
        self._bridged = False
        self._timer: asyncio.TimerHandle | None = None
        self.state = oncall.Run(())  # the board's: where the run is now
        self.started = time.time()

    async def run(self, adopted: oncall.Run | None = None) -> None:
        state = adopted or oncall.Run(  # a list saved before repeats were refused: once each
            oncall_rules.once_each(await self.owner.entries(self.call.line.id)))
        event: oncall.Event = oncall.Begin()  # an adopted run, bridged already, ignores it
        cancelled = False
        try:
            while True:
                state, commands = oncall.step(state, event)
                self.state = state
                for command in commands:
                    await self._do(command)
                if state.stage is oncall.Stage.DONE:
                    return
                event = await self.events.get()
        except asyncio.CancelledError:
            # The app is stopping: Asterisk keeps the call as it is, for the next process to
            # take back (calls/adoption.py); nothing is torn down.
            cancelled = True
            raise
        except Exception:  # the caller must not wait in silence for a run that died
            log.exception("on-call run failed call=%s", self.call.call_id)
            for leg in self.legs.values():
                if not leg.finished:
                    with contextlib.suppress(AriError, *DATABASE_ERRORS):
                        await self.owner.legs.hang_up(leg.channel_id)
                        await self.owner.legs.finish(leg.leg_id, "failed")
            if state.stage is not oncall.Stage.BRIDGED:
                self.call.deliver(model.OnCallUnanswered(len(state.entries)))
        finally:
            if self._timer is not None:
                self._timer.cancel()
            if not cancelled:
                await self._clean_up()

    async def _clean_up(self) -> None:
        if self._bridged:
            with contextlib.suppress(AriError):
                await self.owner.ari.destroy_bridge(self.bridge_id)
        else:  # stopped (the call failed, or its caller hung up): no music left on
            await self._caller_music_off()

    async def _do(self, command: oncall.Command) -> None:
        if isinstance(command, oncall.Note):
            self.owner.writer.put(records.CallEvent(self.call.call_id, datetime.now(UTC),
                                                    command.kind, dict(command.detail)))
        elif isinstance(command, oncall.Ring):
            await self._ring(command)
        elif isinstance(command, oncall.Ask):
            await self._ask(command.leg)
        elif isinstance(command, oncall.HangUpLeg):
            await self._hang_up(command)
        elif isinstance(command, oncall.Bridge):
            await self._bridge(command)
        elif isinstance(command, oncall.GiveUp):
            await self._caller_music_off()
            self.call.deliver(model.OnCallUnanswered(command.tried))
        else:  # TalkEnded
            await self._finish(self.legs[command.leg], "accepted")
            self.call.deliver(model.OnCallEnded())

    async def _ring(self, command: oncall.Ring) -> None:
        entry, line = command.entry, self.call.line
        request = Request(
            purpose="oncall", call_id=self.call.call_id,
            target=Target(entry.operator, entry.operator_id, entry.number),
            ring_seconds=entry.ring_seconds,
            caller_id=f'"Emergency {line.facility_name[:40]}" <{line.did}>')
        result = await self.owner.legs.place(request, self._leg_events(command.leg))
        if isinstance(result, Placed):
            self.legs[command.leg] = _Leg(result.leg_id, result.channel_id)
        else:
            reason = result.value if isinstance(result, Refusal) else "not_placed"
            self.events.put_nowait(oncall.Refused(command.leg, reason))
        if isinstance(result, NotPlaced):
            log.info("on-call leg not placed call=%s position=%d", self.call.call_id,
                     entry.position)

    def _leg_events(self, leg: int) -> Callable[[ari.Event], None]:
        def handle(event: ari.Event) -> None:
            if isinstance(event, ari.StasisStart):
                self.events.put_nowait(oncall.Answered(leg))
            elif isinstance(event, ari.DtmfReceived):
                self.events.put_nowait(oncall.Pressed(leg, event.digit))
            elif isinstance(event, ari.ChannelDestroyed):
                self.events.put_nowait(oncall.LegGone(leg))

        return handle

    async def _ask(self, leg: int) -> None:
        found = self.legs[leg]
        await self.owner.legs.answered(found.leg_id)
        uri = self.owner.media_uri(self.owner.language, "accept-call", self.owner.language)
        try:
            await self.owner.ari.play(found.channel_id, [uri], f"ask-{found.channel_id}")
        except AriError as exc:
            if not exc.gone:
                raise
        loop = asyncio.get_running_loop()
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(oncall.ACCEPT_SECONDS, self.events.put_nowait,
                                      oncall.NoKey(leg))

    async def _hang_up(self, command: oncall.HangUpLeg) -> None:
        found = self.legs.get(command.leg)
        if found is None:
            return
        await self.owner.legs.hang_up(found.channel_id)
        await self._finish(found, command.outcome)

    async def _finish(self, leg: _Leg, outcome: str) -> None:
        leg.finished = True
        await self.owner.legs.finish(leg.leg_id, outcome)

    async def _bridge(self, command: oncall.Bridge) -> None:
        if self._timer is not None:
            self._timer.cancel()
        found = self.legs[command.leg]
        ari_client = self.owner.ari
        with contextlib.suppress(AriError):
            await ari_client.stop_playback(f"ask-{found.channel_id}")
        await self._caller_music_off()
        # Media through the PBX, as the queues' talk bridges: with two legs to the carrier,
        # a native RTP bridge carried nothing to the caller (test_escalation_sip.py).
        # The name keeps the position for a process taking the call back after a restart.
        await ari_client.create_bridge(self.bridge_id, "mixing,proxy_media",
                                       f"{self.bridge_id}:{command.position}")
        self._bridged = True
        await ari_client.add_to_bridge(self.bridge_id, self.call.channel_id, found.channel_id)
        # The call's row: answered now, by this operator (none for an outside number).
        self.owner.writer.put(records.CallConnected(self.call.call_id, datetime.now(UTC),
                                                    command.operator_id))
        self.call.deliver(model.OnCallAccepted(command.position, command.operator or ""))

    async def _caller_music_off(self) -> None:
        with contextlib.suppress(AriError):
            await self.owner.ari.request("DELETE", f"/channels/{self.call.channel_id}/moh")
