"""Routes each ARI event to whoever owns its channel; takes calls back after a reconnect.

Owners: a caller's CallSession (inbound legs), the distributor (operators' legs), a short
task for an operator's feature code, the distributor for endpoint (phone) states.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

import asyncpg

from lifeline_pbx.ari import events as ari
from lifeline_pbx.calls import adoption, marks, model, records
from lifeline_pbx.calls.adoption import endpoint_of
from lifeline_pbx.calls.session import CallContext, CallSession, Resync
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.errors import AriError
from lifeline_pbx.escalation.runner import EscalatedCall
from lifeline_pbx.outbound.legs import APP_ARG, OutboundLegs
from lifeline_pbx.prompts import tones
from lifeline_pbx.queues.acd import Acd
from lifeline_pbx.queues.bridges import holding_bridge
from lifeline_pbx.queues.operator_state import feature_action
from lifeline_pbx.supervision import listen_rules
from lifeline_pbx.tasks import TaskRegistry

log = logging.getLogger(__name__)
# A feature code that runs a conversation of its own (recording a prompt by phone): it gets
# the channel and every later event of it.
Conversation = Callable[[ari.Channel, "asyncio.Queue[ari.Event]"], Awaitable[None]]


class ChannelOwner(Protocol):
    """Another holder of channels in the app (supervisors' legs, outbound legs): gets their
    events."""

    def owns(self, channel_id: str) -> bool: ...

    def channels(self) -> list[str]: ...

    def on_event(self, event: ari.Event) -> None: ...


class CallDispatcher:
    def __init__(self, ctx: CallContext, acd: Acd, tasks: TaskRegistry) -> None:
        self.ctx = ctx
        self.acd = acd
        self.tasks = tasks  # the app's: cancelled when it stops
        self.sessions: dict[str, CallSession] = {}
        self._confirmations: dict[str, asyncio.Event] = {}
        self.conversations: dict[str, Conversation] = {}  # feature code -> who handles it
        self._talking: dict[str, asyncio.Queue[ari.Event]] = {}
        self.owners: list[ChannelOwner] = []
        self.outbound: OutboundLegs | None = None  # closes the records of legs let go

    def on_event(self, event: ari.Event) -> None:
        if isinstance(event, ari.EndpointState):
            self.acd.following.endpoint_changed(event)
            return
        channel_id = ari.channel_id_of(event)
        if channel_id is None:
            return
        if self.acd.owns_channel(channel_id):
            self.acd.on_channel_event(event)
            return
        for owner in self.owners:
            if owner.owns(channel_id):
                owner.on_event(event)
                return
        session = self.sessions.get(channel_id)
        if session is not None:
            session.queue.put_nowait(event)
        elif channel_id in self._talking:
            self._talking[channel_id].put_nowait(event)
        elif channel_id in self._confirmations:
            if isinstance(event, ari.PlaybackFinished | ari.StasisEnd):
                self._confirmations[channel_id].set()
        elif isinstance(event, ari.StasisStart):
            self._stasis_start(event)

    def _stasis_start(self, event: ari.StasisStart) -> None:
        kind = event.args[0] if event.args else ""
        if kind == "inbound":
            self.start(event.channel.id, marks.call_id_of(event.channel),
                       fresh=True).queue.put_nowait(event)
        elif kind == "operator" and event.channel.exten in self.conversations:
            self.tasks.spawn(self._conversation(event.channel), "feature-conversation")
        elif kind == "operator":
            self.tasks.spawn(self._feature_code(event.channel), "feature-code")
        elif kind == listen_rules.APP_ARG:
            log.info("stray supervisor's leg channel=%s; hanging up", event.channel.id)
            self.tasks.spawn(self._hang_up(event.channel.id), "stray-supervise")
        elif kind in ("offer", APP_ARG):
            # Answered, but no offer here rings it (placed before a restart, hung up by the
            # adoption as it was answered): the operator must not sit in silence.
            log.info("stray offer answered channel=%s; hanging up", event.channel.id)
            self.tasks.spawn(self._hang_up(event.channel.id), "stray-offer")

    def start(self, channel_id: str, call_id: uuid.UUID, *, fresh: bool) -> CallSession:
        session = CallSession(self.ctx, channel_id, call_id, fresh=fresh)
        self.sessions[channel_id] = session
        task = self.tasks.spawn(session.run(), f"call-{channel_id}")
        task.add_done_callback(lambda _: self.sessions.pop(channel_id, None))
        return session

    async def _hang_up(self, channel_id: str) -> None:
        with contextlib.suppress(AriError):
            await self.ctx.ari.hangup(channel_id)

    async def _conversation(self, channel: ari.Channel) -> None:
        events = self._talking[channel.id] = asyncio.Queue()
        try:
            await self.conversations[channel.exten](channel, events)
        finally:
            del self._talking[channel.id]
            with contextlib.suppress(AriError):
                await self.ctx.ari.hangup(channel.id)

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

    # --- after a (re)connection ----------------------------------------------------------
    async def adopt(self, pool: asyncpg.Pool | None = None) -> int:
        """Take back the calls Asterisk kept while we were away; how many were taken.

        Read from Asterisk alone (calls/adoption.py); `pool` only enriches channels that
        carry no mark, and a database that does not answer drops nobody.

        Every wait comes first (the survey, hanging up stray operators' legs, the lines);
        then the picture is rebuilt in one go, with no wait in between: the distributor runs
        its rounds meanwhile, and must never see a waiting caller before the operators who
        are talking (it would ring them), nor ring a phone still ringing for the dead app.
        """
        held = self._held()
        survey = await adoption.survey(self.ctx.ari, held, pool)
        newer = self._held()
        steps = adoption.plan(survey, self.ctx.ari.app, held, newer)
        self._resync(survey, held)
        for step in steps:
            if isinstance(step, adoption.HangUp | adoption.EndLeg):
                with contextlib.suppress(AriError):
                    await self.ctx.ari.hangup(step.channel_id)
            elif isinstance(step, adoption.Talking) and step.back_from:
                await self._back_from_hold(step)
        lines = {did: await self.ctx.lines.find(did) for did in {
            s.channel.exten for s in steps if isinstance(s, adoption.Taken)
            and not isinstance(s, adoption.Restart)}}
        adopted = 0
        for step in steps:
            if isinstance(step, adoption.Gone):
                self._gone(step.channel_id)
            elif isinstance(step, adoption.Taken):
                found = lines.get(step.channel.exten) if not isinstance(
                    step, adoption.Restart) else None
                self._take(step, found[0] if found else None)
                adopted += 1
        ended = [s for s in steps if isinstance(s, adoption.EndLeg)]
        if ended:
            self.tasks.spawn(self._close_legs(ended), "legs-let-go")
        if adopted:
            log.info("adopted calls after reconnect count=%d", adopted)
        return adopted

    async def _back_from_hold(self, step: adoption.Talking) -> None:
        with contextlib.suppress(AriError):
            await self.ctx.ari.add_to_bridge(step.bridge_id, step.channel.id)
        with contextlib.suppress(AriError):
            await self.ctx.ari.destroy_bridge(step.back_from)

    async def _close_legs(self, ended: list[adoption.EndLeg]) -> None:
        if self.outbound is None:
            return
        for step in ended:
            if step.leg_id is not None:
                with contextlib.suppress(*DATABASE_ERRORS):
                    await self.outbound.finish(step.leg_id, step.outcome)

    def _held(self) -> list[str]:
        return [*self.sessions, *self.acd.legs(),
                *(c for owner in self.owners for c in owner.channels())]

    def _resync(self, survey: adoption.Survey, held: list[str]) -> None:
        """Calls we held that are still there: tell each that events were lost. (An
        operator's leg answered while we were away is hung up by Asterisk itself: the
        app's Stasis is not there to enter.)"""
        for channel_id in adoption.still_held(survey, held):
            session = self.sessions.get(channel_id)
            if session is not None:
                session.queue.put_nowait(Resync())

    def _gone(self, channel_id: str) -> None:
        session = self.sessions.get(channel_id)
        if session is None:
            self.acd.channel_gone(channel_id)
        elif not session.state.left:  # a voicemail still being written knows already
            # Its end was not heard: how it ended (who, the cause) is unknown; say so.
            self.ctx.writer.put(records.CallEvent(session.call_id, datetime.now(UTC),
                                                  "ended_unseen", {}))
            session.queue.put_nowait(model.Left(0))

    def _take(self, step: adoption.Taken, line: model.Line | None) -> None:
        if isinstance(step, adoption.Restart) or (
                isinstance(step, adoption.Escalating | adoption.OnCall) and line is None):
            call_id = step.call_id if isinstance(step, adoption.Restart) else step.mark.call_id
            session = self.start(step.channel.id, call_id or marks.call_id_of(step.channel),
                                 fresh=False)
            session.queue.put_nowait(ari.StasisStart(step.channel, ("inbound", step.channel.exten)))
            return
        mark = step.mark
        language = mark.language or (line.default_language if line else self.ctx.default_language)
        queue_id = mark.queue_id or (line.queue_id if line else None) or 0
        phase = (model.Phase.QUEUED if isinstance(step, adoption.Waiting)
                 else model.Phase.ESCALATING if isinstance(step, adoption.Escalating)
                 else model.Phase.ONCALL if isinstance(step, adoption.OnCall)
                 else model.Phase.RECORDING if isinstance(step, adoption.Recording)
                 else model.Phase.CONNECTED)
        session = self.start(step.channel.id, mark.call_id, fresh=False)
        # A caller's leg is answered as it arrives: the facility's clock runs from then.
        session.answered_at = ari.created_epoch(step.channel)
        session.queue.put_nowait(model.Resumed(line, phase, language, mark.priority,
                                               mark.escalated, mark.reason))
        if isinstance(step, adoption.Escalating):
            return
        if isinstance(step, adoption.Recording):
            session.voicemail_name = mark.voicemail  # saved under its own name
            if not step.live:  # it ended while nobody heard: saved now
                session.queue.put_nowait(model.RecordingFinished(0))
            return
        if isinstance(step, adoption.OnCall):
            escalations = self.ctx.escalations
            if step.leg_id is None or escalations is None or line is None:
                session.queue.put_nowait(model.OnCallEnded())  # they hung up while we were away
            else:
                escalations.adopt(EscalatedCall(mark.call_id, step.channel.id, line,
                                                session.queue.put_nowait, language),
                                  step.position,
                                  step.leg_id, step.leg_channel, step.leg_name)
            return
        # The session learns its line from Resumed, later: the handle needs it now (the
        # operator's phone shows the facility).
        call = dataclasses.replace(session.handle(language, mark.priority), line=line)
        if isinstance(step, adoption.Waiting):
            self.acd.adopt_waiting(call, step.queue_id, mark.queued_at or time.time())
            log.info("queue place kept call=%s queue=%s", mark.call_id,
                     holding_bridge(step.queue_id))
        elif step.operator:
            self.acd.adopt_talking(call, step.operator, step.bridge_id, step.operator_channel,
                                   queue_id)
        else:
            session.queue.put_nowait(model.OperatorLeft())  # the operator left while we were away
