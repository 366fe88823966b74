"""Supervisors on live calls: listen, whisper or join, from their own phone.

A session is the supervisor's leg (an originate to their SIP account) and, to listen or
whisper, a snoop on each of the call's legs; they meet in a small mixing bridge of the
session's own. To join, the supervisor's leg goes into the call's bridge instead. The decisions are
in listen_rules.py; this module turns them into ARI requests and follows the legs' events.

The call itself is never touched: the snoops only tap its legs, and any failure
ends the supervisor's side alone (their leg, the snoop, the session's bridge). When the
call ends, the supervisor's leg is hung up. Each session writes its start, end or failure
on the call's timeline (call_events) and in the audit log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls import records
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.errors import AriError, Conflict, NotFound, Unavailable
from lifeline_pbx.queues.acd import Acd
from lifeline_pbx.queues.picture import Talk, TalkEnd
from lifeline_pbx.supervision import listen_rules
from lifeline_pbx.supervision.listen_rules import Supervisor
from lifeline_pbx.tasks import TaskRegistry

log = logging.getLogger(__name__)
CHANNEL_PREFIX = listen_rules.CHANNEL_PREFIX
SNOOP_PREFIX = listen_rules.SNOOP_PREFIX
APP_ARG = listen_rules.APP_ARG
RING_SECONDS = 30
STILL_RINGING = "Answer your phone first; then you can change the mode."
FAILED = ("The telephone system refused ({step}). The call goes on as it was; "
          "try again, or ask an admin to look at the PBX.")


@dataclass
class Session:
    id: str
    user_id: int
    phone: str
    call_id: uuid.UUID
    mode: str
    snoops: list[str] = field(default_factory=list)  # the current mode's snoop channels
    answered: bool = False
    ended: bool = False
    old_snoops: set[str] = field(default_factory=set)  # dropped by a change of mode
    events: asyncio.Queue[ari.Event] = field(default_factory=asyncio.Queue)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def channel_id(self) -> str:
        return f"{CHANNEL_PREFIX}{self.id}"

    @property
    def bridge_id(self) -> str:
        return f"{CHANNEL_PREFIX}{self.id}"

    def view(self) -> dict[str, object]:
        """What the supervisor's page shows of it."""
        return {"call_id": str(self.call_id), "mode": self.mode, "answered": self.answered}


def _at() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


class ListenIn:
    def __init__(self, ari_client: AriClient, acd: Acd, writer: records.RecordWriter,
                 pool: asyncpg.Pool, tasks: TaskRegistry) -> None:
        self.ari = ari_client
        self.acd = acd
        self.writer = writer
        self.pool = pool
        self.tasks = tasks
        self.sessions: dict[str, Session] = {}  # by session id
        self._channels: dict[str, Session] = {}  # the supervisor's leg and snoops -> session
        acd.watch.add(self)

    # --- what the dispatcher asks (calls/dispatch.ChannelOwner) --------------------------
    def owns(self, channel_id: str) -> bool:
        return channel_id in self._channels

    def channels(self) -> list[str]:
        return list(self._channels)

    def on_event(self, event: ari.Event) -> None:
        session = self._channels.get(ari.channel_id_of(event) or "")
        if session is not None:
            session.events.put_nowait(event)

    # --- the distributor's hooks (queues/watch.Watcher) ---------------------------------
    def talk_started(self, talk: Talk) -> None:
        pass

    def talk_ended(self, talk: Talk, wrapup: float, end: TalkEnd) -> None:
        for session in list(self.sessions.values()):
            if session.call_id == talk.call.call_id:
                self.tasks.spawn(self._hang_up(session.channel_id), "supervise-call-ended")

    def operator_changed(self, username: str, pause_reason: str | None) -> None:
        pass

    # --- what supervisors ask ---------------------------------------------------------
    def of_user(self, user_id: int) -> Session | None:
        return next((s for s in self.sessions.values() if s.user_id == user_id), None)

    def refusal(self, who: Supervisor, call_id: uuid.UUID, mode: str) -> str | None:
        talk = self.acd.picture.talking.get(call_id)
        mine = self.of_user(who.user_id)
        return listen_rules.refusal(who, mode, talk.operator if talk else None,
                                    self._phone(who.phone), mine is not None)

    async def start(self, who: Supervisor, call_id: uuid.UUID, mode: str) -> Session:
        """Ring the supervisor's phone to supervise the call in this mode (or change the
        mode of their session on it). Refused: Conflict or NotFound, nothing done. The
        PBX refused: Unavailable, with nothing left behind and the call untouched."""
        mine = self.of_user(who.user_id)
        if mine is not None and mine.call_id == call_id and mode in listen_rules.MODES:
            await self.switch(mine, mode)
            return mine
        reason = self.refusal(who, call_id, mode)
        if reason == listen_rules.NOT_LIVE:
            raise NotFound(reason)
        if reason is not None:
            raise Conflict(reason)
        talk = self.acd.picture.talking[call_id]
        assert who.phone is not None  # refusal() said so
        session = Session(uuid.uuid4().hex[:16], who.user_id, who.phone, call_id, mode)
        self.sessions[session.id] = session
        self._channels[session.channel_id] = session
        self.tasks.spawn(self._run(session), f"supervise-{session.id}")
        step = "bridge"
        try:
            async with session.lock:  # the legs' events wait until all is asked
                await self.ari.create_bridge(session.bridge_id, "mixing", session.bridge_id)
                step = "snoop"
                await self._snoops(session, talk, mode)
                step = "ring"
                await self.ari.originate(f"PJSIP/{who.phone}", channel_id=session.channel_id,
                                         caller_id=f'"Supervise: {mode}" <{mode}>',
                                         app_args=APP_ARG, timeout=RING_SECONDS)
        except AriError as exc:
            self._event(session, "supervision_failed", step=step, status=str(exc.status))
            log.warning("supervision not started call=%s mode=%s step=%s status=%s",
                        call_id, mode, step, exc.status)
            await self._end(session, reason="failed")
            raise Unavailable(FAILED.format(step=step)) from exc
        self._event(session, "supervision_ringing")
        return session

    async def switch(self, session: Session, mode: str) -> None:
        """Change the mode without ringing again. On a failure the session ends (the call
        goes on untouched) and Unavailable says so."""
        async with session.lock:
            if session.ended:
                raise NotFound(listen_rules.NOT_LIVE)
            talk = self.acd.picture.talking.get(session.call_id)
            if talk is None:
                raise NotFound(listen_rules.NOT_LIVE)
            old = session.mode
            if not session.answered:
                raise Conflict(STILL_RINGING)
            step = ""
            try:
                for step in listen_rules.switch_steps(old, mode):
                    await self._carry_out(step, session, talk, mode)
            except AriError as exc:
                self._event(session, "supervision_failed", step=step, status=str(exc.status))
                await self._hang_up(session.channel_id)
                raise Unavailable(FAILED.format(step=step)) from exc
            if old != mode:
                session.mode = mode
                self._event(session, "supervision_mode", previous=old)
                self._audit(session, "mode")

    async def stop(self, user_id: int) -> bool:
        """Hang up the supervisor's leg; False when they supervise nothing."""
        session = self.of_user(user_id)
        if session is None:
            return False
        await self._hang_up(session.channel_id)
        return True

    # --- the session's legs -------------------------------------------------------------
    def _phone(self, phone: str | None) -> listen_rules.PhoneState:
        if phone is None:
            return listen_rules.PhoneState()
        pic = self.acd.picture
        busy = (any(t.operator == phone for t in pic.talking.values())
                or any(o.operator == phone for o in self.acd.desk.offers.values())
                or any(s.phone == phone for s in self.sessions.values()))
        op = pic.operators.get(phone)
        return listen_rules.PhoneState(
            busy, op is not None and op.logged_in and not op.paused and bool(op.queues))

    async def _snoops(self, session: Session, talk: Talk, mode: str) -> None:
        """The mode's snoops, in place of the current ones (which the caller then drops).
        On a refusal, those made are hung up and the current ones stay."""
        legs = {listen_rules.CALLER: talk.call.channel_id,
                listen_rules.OPERATOR: talk.operator_channel}
        previous, made = session.snoops, list[str]()
        session.snoops = made
        try:
            for tap in listen_rules.snoops_for(mode):
                snoop_id = f"{SNOOP_PREFIX}{uuid.uuid4().hex[:16]}"
                # Known before it exists: its first event may come before the request returns.
                self._channels[snoop_id] = session
                made.append(snoop_id)
                await self.ari.snoop(legs[tap.leg], snoop_id, tap.spy, tap.whisper,
                                     app_args=APP_ARG)
        except AriError:
            session.snoops = previous
            for snoop_id in made:
                self._channels.pop(snoop_id, None)
                await self._hang_up(snoop_id)
            raise
        session.old_snoops.update(previous)

    async def _carry_out(self, step: str, session: Session, talk: Talk, mode: str) -> None:
        if step == listen_rules.NEW_SNOOP:
            await self._snoops(session, talk, mode)
        elif step == listen_rules.DROP_SNOOP:
            if mode == "join":  # nothing new replaced them
                session.old_snoops.update(session.snoops)
                session.snoops = []
            for dropped in list(session.old_snoops):
                await self._hang_up(dropped)
        elif step == listen_rules.JOIN_CALL:
            await self.ari.add_to_bridge(talk.bridge_id, session.channel_id)
        elif step == listen_rules.LEAVE_CALL:
            await self.ari.add_to_bridge(session.bridge_id, session.channel_id)

    async def _run(self, session: Session) -> None:
        while not session.ended:
            event = await session.events.get()
            try:
                async with session.lock:
                    await self._handle(session, event)
            except Exception:
                log.exception("supervision handler failed call=%s", session.call_id)
                await self._hang_up(session.channel_id)
                await self._end(session, reason="error")

    async def _handle(self, session: Session, event: ari.Event) -> None:
        channel_id = ari.channel_id_of(event)
        ended = isinstance(event, ari.StasisEnd | ari.ChannelDestroyed)
        if channel_id == session.channel_id:
            if isinstance(event, ari.StasisStart):
                await self._answered(session)
            elif ended:
                await self._end(session, reason="hung up" if session.answered else "no answer")
        elif channel_id is not None and channel_id in session.old_snoops:
            if ended:
                session.old_snoops.discard(channel_id)
                self._channels.pop(channel_id, None)
        elif channel_id is not None and channel_id in session.snoops:
            if isinstance(event, ari.StasisStart):
                await self.ari.add_to_bridge(session.bridge_id, channel_id)
            elif ended:  # a leg of the call is gone: the call is ending
                self._channels.pop(channel_id, None)
                session.snoops.remove(channel_id)
                await self._hang_up(session.channel_id)

    async def _answered(self, session: Session) -> None:
        talk = self.acd.picture.talking.get(session.call_id)
        if talk is None:  # the call ended while the phone rang
            await self._hang_up(session.channel_id)
            return
        target = talk.bridge_id if session.mode == "join" else session.bridge_id
        try:
            await self.ari.add_to_bridge(target, session.channel_id)
        except AriError as exc:
            self._event(session, "supervision_failed", step="bridge", status=str(exc.status))
            await self._hang_up(session.channel_id)
            return
        session.answered = True
        self._event(session, "supervision_started")
        self._audit(session, "started")

    async def _end(self, session: Session, *, reason: str) -> None:
        if session.ended:
            return
        session.ended = True
        self.sessions.pop(session.id, None)
        for channel_id in [k for k, s in self._channels.items() if s is session]:
            del self._channels[channel_id]
            if channel_id != session.channel_id:
                await self._hang_up(channel_id)
        await self._hang_up(session.channel_id)
        with contextlib.suppress(AriError):
            await self.ari.destroy_bridge(session.bridge_id)
        if reason != "failed":
            self._event(session, "supervision_ended", reason=reason)
        if session.answered:
            self._audit(session, "ended")
        session.events.put_nowait(ari.StasisEnd(ari.Channel("", "", "", "", "", "", "")))

    async def _hang_up(self, channel_id: str) -> None:
        with contextlib.suppress(AriError):
            await self.ari.hangup(channel_id)

    # --- what is written ----------------------------------------------------------------
    def _event(self, session: Session, kind: str, **detail: str) -> None:
        self.writer.put(records.CallEvent(session.call_id, _at(), kind, {
            "mode": session.mode, "user_id": str(session.user_id), **detail}))

    def _audit(self, session: Session, what: str) -> None:
        self.tasks.spawn(self._write_audit(session.user_id, session.call_id,
                                           (session.mode, what)), "supervise-audit")

    async def _write_audit(self, user_id: int, call_id: uuid.UUID,
                           fields: tuple[str, ...]) -> None:
        try:
            async with self.pool.acquire() as con:
                await audit.record(con, user_id, "supervise", "call", call_id, fields)
        except DATABASE_ERRORS as exc:
            log.error("supervision audit entry lost call=%s user_id=%d error=%s", call_id,
                      user_id, exc.__class__.__name__)
