"""The shell around calls/flow.py for one call: ARI events in, ARI requests and records out.

Each call has its own worker task and queue, so events of one call are handled in order
while no call waits behind another call's round trips to Asterisk or PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls import flow, hours, marks, message_kept, model, records
from lifeline_pbx.calls.lines import LineDirectory
from lifeline_pbx.errors import AriError
from lifeline_pbx.escalation.runner import EscalatedCall
from lifeline_pbx.queues.handle import CallHandle
from lifeline_pbx.voicemail import shelf as voicemail_shelf

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resync:
    """Events were lost (the ARI connection dropped) and the call is still there: what it
    waited for may have happened meanwhile (calls/dispatch.py sends this on reconnect)."""


SessionEvent = ari.Event | model.FlowEvent | Resync


class QueuePort(Protocol):
    """What a call asks of the queues (queues/acd.py); they answer through the handle."""

    def enter(self, call: CallHandle, queue_id: int) -> None: ...
    def leave(self, call_id: uuid.UUID) -> None: ...
    async def record(self, call_id: uuid.UUID) -> None: ...
    async def warn_operator(self, call_id: uuid.UUID) -> None: ...


class EscalationPort(Protocol):
    """Ringing the on-call list for an emergency (escalation/runner.py)."""

    def start(self, call: EscalatedCall) -> None: ...
    def stop(self, call_id: uuid.UUID) -> None: ...

    def adopt(self, call: EscalatedCall, position: int, leg_id: uuid.UUID, channel_id: str,
              channel_name: str) -> None: ...
    async def music(self, channel_id: str) -> None: ...


@dataclass(frozen=True)
class CallContext:
    """What every call's shell needs; built once when the app starts."""

    ari: AriClient
    lines: LineDirectory
    writer: records.RecordWriter
    media_uri: Callable[[str, str, str], str]  # (language, prompt, default language) -> URI
    default_language: str
    queues: QueuePort
    escalations: EscalationPort | None = None  # None: an emergency goes to voicemail


def now() -> datetime:
    return datetime.now(UTC)


class CallSession:
    def __init__(self, ctx: CallContext, channel_id: str, call_id: uuid.UUID, *,
                 fresh: bool) -> None:
        """fresh: a new call, not one taken back after a restart (calls/marks.call_id_of)."""
        self.ctx = ctx
        self.channel_id = channel_id
        self.call_id = call_id
        self._fresh = fresh
        self.state = model.State()
        self.queue: asyncio.Queue[SessionEvent] = asyncio.Queue()
        self._prefix = f"{self.call_id.hex}."
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self.voicemail_name = ""  # the message's, once it is recorded (or taken back)
        self.answered_at = 0.0  # epoch seconds; the facility's time limit counts from it

    @property
    def ended(self) -> bool:
        return self.state.phase is model.Phase.ENDED

    def handle(self, language: str, priority: int) -> CallHandle:
        """What the queues see of this call; their outcomes come back as events."""
        return CallHandle(self.call_id, self.channel_id, self.state.line, language, priority,
                          self.queue.put_nowait, self.answered_at)

    async def run(self) -> None:
        try:
            while not self.ended:
                event = await self.queue.get()
                try:
                    await self._handle(event)
                except Exception as exc:  # the catch-all that keeps callers safe
                    log.exception("call handler failed call=%s", self.call_id)
                    await self._recover(exc)
        finally:
            for timer in self._timers.values():
                timer.cancel()

    async def _recover(self, exc: Exception) -> None:
        try:
            await self._decide(model.Failed(exc.__class__.__name__))
        except Exception:
            log.exception("call recovery failed call=%s; hanging up", self.call_id)
            with contextlib.suppress(AriError):
                await self.ctx.ari.hangup(self.channel_id)

    async def _handle(self, event: SessionEvent) -> None:
        translated = await self._translate(event)
        if translated is not None:
            await self._decide(translated)

    async def _translate(self, event: SessionEvent) -> model.FlowEvent | None:
        if isinstance(event, Resync):
            return await self._resynced()
        if not isinstance(event, ari.Event):
            return event
        if isinstance(event, ari.StasisStart):
            return await self._started(event.channel)
        if isinstance(event, ari.PlaybackFinished) and event.playback_id.startswith(self._prefix):
            return model.PromptFinished(
                event.playback_id.removeprefix(self._prefix), event.state == "done"
            )
        if isinstance(event, ari.DtmfReceived):
            return model.Digit(event.digit)
        if isinstance(event, ari.RecordingFinished):
            return await self._recorded(event)
        if isinstance(event, ari.HangupRequest):
            return model.HangupRequested(event.cause, event.pbx_shutdown)
        if isinstance(event, ari.StasisEnd):
            return model.Left(0)
        if isinstance(event, ari.ChannelDestroyed):
            return model.Left(event.cause)
        return None

    async def _resynced(self) -> model.FlowEvent | None:
        """A prompt or a message that ended while we heard nothing: the call goes on as if
        we had heard (without this the caller would wait in silence for an event that never
        comes)."""
        if self.state.phase is model.Phase.RECORDING:
            return await self._recording_ended_unseen()
        playing = self.state.playing
        if playing is None:
            return None
        try:
            await self.ctx.ari.request("GET", f"/playbacks/{self._prefix}{playing}")
        except AriError as exc:
            if exc.status == 404:
                log.info("prompt ended unseen call=%s", self.call_id)
                return model.PromptFinished(playing, True)
            raise
        return None

    async def _recorded(self, event: ari.RecordingFinished) -> model.RecordingFinished:
        """A message ended. Asterisk says "done" even when it could not write the file (a
        folder it cannot write to, a full disk): what its file holds decides the thanks or
        the apology (calls/message_kept.py)."""
        failed = event.failed
        if not failed:
            try:
                size = await self.ctx.ari.stored_recording_size(event.name)
                failed = not message_kept.kept(event.duration, size)
            except AriError as exc:  # not known to be lost: saved as usual
                log.warning("message not checked call=%s status=%d", self.call_id, exc.status)
        if failed:
            log.warning("message not recorded call=%s", self.call_id)
        return model.RecordingFinished(event.duration, failed)

    async def _recording_ended_unseen(self) -> model.FlowEvent | None:
        if await self.ctx.ari.recording_live(self.voicemail_name):
            return None
        log.info("message ended unseen call=%s", self.call_id)
        return model.RecordingFinished(0)  # its length is read from the file

    async def _started(self, channel: ari.Channel) -> model.Started:
        found = await self.ctx.lines.find(channel.exten)
        line = found[0] if found else None
        self.ctx.writer.put(
            records.CallOpened(
                call_id=self.call_id,
                channel_id=channel.id,
                channel_name=channel.name,
                did=channel.exten,
                line_id=line.id if line else None,
                facility_id=line.facility_id if line else None,
                caller_number=channel.caller_number,
                caller_name=channel.caller_name,
                at=now(),
                fresh=self._fresh,
            )
        )
        at = now()
        is_open = hours.is_open(found[1], at) if found else True
        closed = hours.closed_prompt(found[1], at) if found else hours.CLOSED_PROMPT
        opening = hours.spoken_opening(found[1], at) if found and not is_open else None
        log.info(
            "call started call=%s channel=%s line=%s open=%s",
            self.call_id, channel.id, line.id if line else "unknown", is_open,
        )
        return model.Started(line, self.ctx.default_language, is_open, closed, opening)

    async def _decide(self, event: model.FlowEvent) -> None:
        self.state, commands = flow.step(self.state, event)
        for command in commands:
            await self._execute(command)

    async def _execute(self, command: model.Command) -> None:
        try:
            await self._carry_out(command)
        except AriError as exc:
            if not exc.gone:
                raise
            # The channel went away under us; its StasisEnd event closes the call.
            log.info("call channel gone call=%s during=%s", self.call_id, type(command).__name__)

    async def _carry_out(self, command: model.Command) -> None:
        ctx, state = self.ctx, self.state
        if isinstance(command, model.Answer):
            await ctx.ari.answer(self.channel_id)
            self.answered_at = time.time()
            ctx.writer.put(records.CallAnswered(self.call_id, now()))
        elif isinstance(command, model.Play):
            default = state.line.default_language if state.line else ctx.default_language
            media = [ctx.media_uri(lang, name, default) for lang, name in command.prompts]
            await ctx.ari.play(self.channel_id, media, self._prefix + command.playback_id)
        elif isinstance(command, model.StopPlayback):
            with contextlib.suppress(AriError):
                await ctx.ari.stop_playback(self._prefix + command.playback_id)
        elif isinstance(command, model.StartTimer):
            self._start_timer(command.name, command.seconds)
        elif isinstance(command, model.CancelTimer):
            if timer := self._timers.pop(command.name, None):
                timer.cancel()
        elif isinstance(command, model.EnterQueue):
            queued_at = now()
            ctx.writer.put(records.CallQueued(self.call_id, queued_at, command.queue_id,
                                              command.language, command.priority))
            # Queued first: the offer's originate goes out beside the mark, not after it.
            ctx.queues.enter(self.handle(command.language, command.priority), command.queue_id)
            await self._mark(marks.Mark(self.call_id, command.queue_id, command.language,
                                        command.priority, queued_at.timestamp()))
        elif isinstance(command, model.LeaveQueue):
            ctx.queues.leave(self.call_id)
        elif isinstance(command, model.RecordBridge):
            await ctx.queues.record(self.call_id)
        elif isinstance(command, model.WarnOperator):
            await ctx.queues.warn_operator(self.call_id)
        elif isinstance(command, model.StartVoicemail):
            # A name of its own for each session's message: a caller taken back after a
            # restart and asked again records anew, not over what they had said (Asterisk
            # overwrites a namesake), and the vault still finds the first part.
            self.voicemail_name = self.voicemail_name or voicemail_shelf.recording_name(
                self.call_id)
            # Marked first: Asterisk runs a channel's requests one at a time, and a variable
            # set while the message is recorded would wait for its end.
            await self._mark(marks.Mark(self.call_id, language=state.language,
                                        priority=state.priority, voicemail=self.voicemail_name,
                                        reason=state.voicemail_reason))
            await self._record(command.max_seconds)
        elif isinstance(command, model.SaveVoicemail):
            self._save_voicemail(command)
        elif isinstance(command, model.Hangup):
            await ctx.ari.hangup(self.channel_id)
        elif isinstance(command, model.Escalate | model.StopEscalation | model.StartMusic):
            await self._escalation(command)
        elif isinstance(command, model.Note):
            ctx.writer.put(
                records.CallEvent(self.call_id, now(), command.kind, dict(command.detail))
            )
        else:
            self._close(command)

    async def _escalation(
        self, command: model.Escalate | model.StopEscalation | model.StartMusic
    ) -> None:
        escalations, line = self.ctx.escalations, self.state.line
        if isinstance(command, model.StartMusic):
            if escalations is not None:
                await escalations.music(self.channel_id)
        elif isinstance(command, model.StopEscalation):
            if escalations is not None:
                escalations.stop(self.call_id)
        elif escalations is None or line is None:
            self.queue.put_nowait(model.OnCallUnanswered(0))
        else:
            escalations.start(EscalatedCall(self.call_id, self.channel_id, line,
                                            self.queue.put_nowait, self.state.language))
            await self._mark(marks.Mark(self.call_id, language=self.state.language,
                                        priority=self.state.priority,
                                        escalated=command.reason))

    async def _record(self, max_seconds: int) -> None:
        try:
            await self.ctx.ari.record(self.channel_id, self.voicemail_name, beep=False,
                                      max_seconds=max_seconds, max_silence_seconds=20,
                                      terminate_on="#")
        except AriError as exc:
            if exc.gone:  # the caller hung up: their end closes the call
                raise
            with contextlib.suppress(AriError):
                if await self.ctx.ari.recording_live(self.voicemail_name):
                    return  # it runs after all (the answer was lost on the way)
            # As when Asterisk reports the recording failed: the caller hears the apology.
            log.warning("message not recorded call=%s status=%d", self.call_id, exc.status)
            self.queue.put_nowait(model.RecordingFinished(0, failed=True))

    async def _mark(self, mark: marks.Mark) -> None:
        """Written on the channel so a reconnect can take the call back without the database."""
        try:
            await self.ctx.ari.set_variable(self.channel_id, marks.VARIABLE, marks.mark_text(mark))
        except AriError as exc:
            log.warning("call mark not set call=%s status=%d", self.call_id, exc.status)

    def _start_timer(self, name: str, seconds: float) -> None:
        if old := self._timers.pop(name, None):
            old.cancel()
        loop = asyncio.get_running_loop()
        self._timers[name] = loop.call_later(
            seconds, self.queue.put_nowait, model.TimerFired(name)
        )

    def _save_voicemail(self, command: model.SaveVoicemail) -> None:
        line = self.state.line
        self.ctx.writer.put(
            records.VoicemailSaved(
                voicemail_id=uuid.uuid4(), call_id=self.call_id, at=now(),
                line_id=line.id if line else None,
                facility_id=line.facility_id if line else None,
                language=self.state.language, priority=self.state.priority,
                reason=command.reason, recording=self.voicemail_name, seconds=command.seconds,
            )
        )
        log.info("voicemail saved call=%s seconds=%d", self.call_id, command.seconds)

    def _close(self, command: model.Close) -> None:
        self.ctx.writer.put(
            records.CallClosed(
                self.call_id, now(), command.disposition, command.hangup_by, command.cause
            )
        )
        log.info(
            "call ended call=%s disposition=%s by=%s cause=%d",
            self.call_id, command.disposition, command.hangup_by, command.cause,
        )
