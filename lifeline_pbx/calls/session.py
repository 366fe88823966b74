"""The shell around calls/flow.py for one call: ARI events in, ARI requests and records out.

Each call has its own worker task and queue, so events of one call are handled in order
while no call waits behind another call's round trips to Asterisk or PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls import flow, records
from lifeline_pbx.calls.lines import LineDirectory
from lifeline_pbx.errors import AriError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallContext:
    """What every call's shell needs; built once when the app starts."""

    ari: AriClient
    lines: LineDirectory
    writer: records.RecordWriter
    media_uri: Callable[[str, str], str]  # (language, prompt) -> ARI media URI
    default_language: str


def _now() -> datetime:
    return datetime.now(UTC)


class CallSession:
    def __init__(self, ctx: CallContext, channel_id: str, call_id: uuid.UUID | None = None) -> None:
        self.ctx = ctx
        self.channel_id = channel_id
        self.call_id = call_id or uuid.uuid4()
        self.state = flow.State()
        self.queue: asyncio.Queue[ari.Event] = asyncio.Queue()
        self._prefix = f"{self.call_id.hex}."

    @property
    def ended(self) -> bool:
        return self.state.phase is flow.Phase.ENDED

    async def run(self) -> None:
        while not self.ended:
            event = await self.queue.get()
            try:
                await self._handle(event)
            except Exception as exc:  # the catch-all that keeps callers safe
                log.exception("call handler failed call=%s", self.call_id)
                await self._recover(exc)

    async def _recover(self, exc: Exception) -> None:
        try:
            await self._decide(flow.Failed(exc.__class__.__name__))
        except Exception:
            log.exception("call recovery failed call=%s; hanging up", self.call_id)
            with contextlib.suppress(AriError):
                await self.ctx.ari.hangup(self.channel_id)

    async def _handle(self, event: ari.Event) -> None:
        translated = await self._translate(event)
        if translated is not None:
            await self._decide(translated)

    async def _translate(self, event: ari.Event) -> flow.FlowEvent | None:
        if isinstance(event, ari.StasisStart):
            return await self._started(event.channel)
        if isinstance(event, ari.PlaybackFinished) and event.playback_id.startswith(self._prefix):
            return flow.PromptFinished(
                event.playback_id.removeprefix(self._prefix), event.state == "done"
            )
        if isinstance(event, ari.HangupRequest):
            return flow.HangupRequested(event.cause)
        if isinstance(event, ari.StasisEnd):
            return flow.Left(0)
        if isinstance(event, ari.ChannelDestroyed):
            return flow.Left(event.cause)
        return None

    async def _started(self, channel: ari.Channel) -> flow.Started:
        did = channel.exten
        line = await self.ctx.lines.find(did)
        self.ctx.writer.put(
            records.CallOpened(
                call_id=self.call_id,
                channel_id=channel.id,
                channel_name=channel.name,
                did=did,
                line_id=line.id if line else None,
                facility_id=line.facility_id if line else None,
                caller_number=channel.caller_number,
                caller_name=channel.caller_name,
                at=_now(),
            )
        )
        log.info(
            "call started call=%s channel=%s line=%s",
            self.call_id, channel.id, line.id if line else "unknown",
        )
        return flow.Started(line, self.ctx.default_language)

    async def _decide(self, event: flow.FlowEvent) -> None:
        self.state, commands = flow.step(self.state, event)
        for command in commands:
            await self._execute(command)

    async def _execute(self, command: flow.Command) -> None:
        ctx = self.ctx
        try:
            if isinstance(command, flow.Answer):
                await ctx.ari.answer(self.channel_id)
                ctx.writer.put(records.CallAnswered(self.call_id, _now()))
            elif isinstance(command, flow.Play):
                await ctx.ari.play(
                    self.channel_id,
                    ctx.media_uri(command.language, command.prompt),
                    self._prefix + command.playback_id,
                )
            elif isinstance(command, flow.Hangup):
                await ctx.ari.hangup(self.channel_id)
            elif isinstance(command, flow.Note):
                ctx.writer.put(
                    records.CallEvent(self.call_id, _now(), command.kind, dict(command.detail))
                )
            else:
                ctx.writer.put(
                    records.CallClosed(
                        self.call_id, _now(), command.disposition, command.hangup_by,
                        command.cause,
                    )
                )
                log.info(
                    "call ended call=%s disposition=%s by=%s cause=%d",
                    self.call_id, command.disposition, command.hangup_by, command.cause,
                )
        except AriError as exc:
            if not exc.gone:
                raise
            # The channel went away under us; its StasisEnd event closes the call.
            log.info("call channel gone call=%s during=%s", self.call_id, type(command).__name__)
