"""The shell around transfers/rules.py: an operator's warm transfer, conference and relay
legs.

A warm transfer puts the caller in a holding bridge of their own (music), rings the other
operator's phone (an outbound leg to their SIP account), and brings them into the call's
talk bridge, where the operator talks to them alone. Complete: the caller joins them, the
distributor hands the call to the other phone (queues/acd.hand_over) and the operator's leg
is hung up (they go to wrap-up). Return, or the other party hangs up: the caller comes back
to the talk bridge and the music stops.

A conference leg is an outbound leg through the trunk (outbound/legs.py: guarded,
recorded, audited) that joins the call's own talk bridge when answered, so the caller,
the operator and the third party hear each other; it is hung up when the call ends or the
operator drops it. A relay call rings the operator's phone first, then, once they answer,
the number through the trunk, in a bridge of their own: the caller is never on it.

Each operator has at most one such side at a time; its legs' events are handled in order
by a task of its own. Log lines carry ids, never a number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls import records
from lifeline_pbx.calls.model import Line
from lifeline_pbx.errors import AriError, Conflict, Unavailable
from lifeline_pbx.operators.display import operator_name
from lifeline_pbx.outbound import guard
from lifeline_pbx.outbound.guard import Recent, Refusal
from lifeline_pbx.outbound.legs import OutboundLegs, Placed, Request, Target
from lifeline_pbx.queues import queue_store
from lifeline_pbx.queues.acd import Acd
from lifeline_pbx.queues.picture import OUTSIDE, Talk, TalkEnd
from lifeline_pbx.tasks import TaskRegistry
from lifeline_pbx.transfers import relay_notes, rules, told
from lifeline_pbx.transfers.rules import Ask, Facts
from lifeline_pbx.transfers.told import Outcome

log = logging.getLogger(__name__)
RING_SECONDS = 45  # an outside number (a conference, a relay call, a transfer out)
NOT_PLACED = "The telephone system could not place the call; try again."
NOTHING_OPEN = "You have no transfer, conference or relay call open."
NOT_NOW = "Wait until they answer; then you can complete the transfer."


@dataclass(frozen=True)
class Asker:
    username: str  # the operator's SIP account
    user_id: int
    supervisor: bool = False


@dataclass
class _Leg:
    leg_id: uuid.UUID
    channel_id: str
    answered: bool = False
    ended: bool = False
    answered_at: float = 0.0  # monotonic
    hangup: tuple[int, bool] | None = None  # (cause, soft) of its first hang-up request


@dataclass
class Side:
    """An operator's conference or relay call."""

    ask: Ask
    operator: str
    operator_id: int | None
    user_id: int
    call_id: uuid.UUID | None
    number: str = ""
    supervisor: bool = False
    follow_up_id: uuid.UUID | None = None  # a relay call placed for this follow-up
    legs: list[_Leg] = field(default_factory=list)
    events: asyncio.Queue[tuple[int, ari.Event]] = field(default_factory=asyncio.Queue)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # events and operator's asks
    done: bool = False
    target: str = ""  # warm transfer: the other operator's SIP account
    stage: rules.Stage = rules.Stage.RINGING
    handed: bool = False  # warm transfer completed: the leg is the call's operator side
    outcome: Outcome = Outcome.RINGING  # warm transfer: as the operator's console was told
    words: str = ""
    told: int = 0  # how many times: a console shows no older word after a newer
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    @property
    def hold_bridge(self) -> str:  # warm transfer: where the caller waits
        return f"hold-{self.id}"

    @property
    def shown(self) -> str:
        """Whom a transfer goes to, as the timeline says it: an operator, or "outside"
        (never the number)."""
        return "outside" if self.ask is Ask.OUT else self.target

    @property
    def bridge_id(self) -> str:  # a relay call's own bridge
        return f"relay-{self.legs[0].leg_id.hex}"

    def view(self) -> dict[str, object]:
        return {"kind": self.ask.value, "answered": any(leg.answered for leg in self.legs),
                "to": self.shown or None, "id": self.id, "told": self.told,
                "open": self.outcome in told.OPEN, "outcome": self.outcome.value,
                "words": self.words, "unasked": self.outcome in told.UNASKED}


class Transfers:
    def __init__(self, ari_client: AriClient, acd: Acd, legs: OutboundLegs,
                 writer: records.RecordWriter, tasks: TaskRegistry) -> None:
        self.ari = ari_client
        self.acd = acd
        self.legs = legs
        self.writer = writer
        self.tasks = tasks
        self.sides: dict[str, Side] = {}  # by operator
        acd.watch.add(self)
        acd.talks.carried_on = self._carried_on
        acd.talks.operator_keys = self._keyed
        # Keys an operator presses on their call with no transfer open.
        self.other_keys: Callable[[str, str], None] = lambda operator, digit: None
        # A message to an operator's consoles (console/live.LiveHub.publish).
        self.tell: Callable[[str, dict[str, object]], None] = lambda operator, message: None

    # --- the distributor's hooks (queues/watch.Watcher) ---------------------------------
    def talk_started(self, talk: Talk) -> None:
        pass

    def talk_ended(self, talk: Talk, wrapup: float, end: TalkEnd) -> None:
        for side in list(self.sides.values()):
            # Unattended: the operator's talk ended, not the call (the caller hanging up
            # hangs up the ringing leg, which stands for the operator's side now).
            if (side.call_id == talk.call.call_id and not side.handed
                    and side.stage is not rules.Stage.UNATTENDED):
                self.tasks.spawn(self._call_gone(side), "side-call-ended")

    def operator_changed(self, username: str, pause_reason: str | None) -> None:
        pass

    def _carried_on(self, talk: Talk) -> bool:
        """The operator hung up during their warm transfer: hand the caller over if they
        have talked to the other party; else the call ends as usual."""
        side = self.sides.get(talk.operator)
        if (side is None or side.ask not in rules.HANDING or side.call_id != talk.call.call_id
                or rules.warm_step(side.stage, rules.Event.OPERATOR_GONE, side.ask)[1] == (
                    rules.Step.REFUSE,)):
            return False
        self.tasks.spawn(self._operator_gone(side), "transfer-operator-gone")
        return True

    def _keyed(self, operator: str, digit: str) -> None:
        """The phone's keys during a warm transfer: # completes, * returns; with nothing
        open, the feature codes that start one (transfers/phone_keys.py)."""
        side = self.sides.get(operator)
        event = rules.PHONE_KEYS.get(digit)
        if side is None:
            self.other_keys(operator, digit)
        elif side.ask in rules.HANDING and event is not None:
            self.tasks.spawn(self._pressed(side, event), "transfer-key")

    async def _pressed(self, side: Side, event: rules.Event) -> None:
        async with side.lock:
            if not side.done and not side.handed:
                await self._warm(side, event)  # refused in its stage: nothing happens

    async def _operator_gone(self, side: Side) -> None:
        async with side.lock:
            if not side.done and not side.handed:
                await self._warm(side, rules.Event.OPERATOR_GONE)

    # --- what operators ask -------------------------------------------------------------
    def _talk(self, side: Side) -> Talk | None:
        """The call the side is about, while it is talking with someone."""
        return self.acd.picture.talking.get(side.call_id) if side.call_id else None

    def _facts(self, who: Asker, call_id: uuid.UUID | None, number: str) -> Facts:
        talk = self.acd.picture.talking.get(call_id) if call_id else None
        line = talk.call.line if talk else None
        return Facts(mine=talk is not None and talk.operator == who.username,
                     three_way_allowed=line is not None and line.three_way_allowed,
                     transfer_allowed=line is not None and line.transfer_allowed,
                     side_open=who.username in self.sides, number=number)

    async def conference(self, who: Asker, call_id: uuid.UUID, number: str) -> Side:
        """Bring the number into the operator's call. Refused (policy, not their call, a
        number the guard refuses): Conflict with the reason, and nothing placed."""
        reason = rules.refusal(Ask.CONFERENCE, self._facts(who, call_id, number))
        if reason is not None:
            log.info("conference refused call=%s", call_id)
            raise Conflict(reason)
        side = self._side(Ask.CONFERENCE, who, call_id, number)
        await self._place(side, "conference", Target(number=number), self._line_id(call_id))
        self._note(side, "conference_ringing")
        return side

    def _line_id(self, call_id: uuid.UUID) -> str:
        """The caller id an outside party sees: the facility's line the call came in on."""
        line = self.acd.picture.talking[call_id].call.line
        return f'"{line.facility_name[:40]}" <{line.did}>' if line else ""

    def free(self) -> frozenset[str]:
        """Whom a call may be handed to now: the operators and supervisors whose phone is
        registered and on nothing (no call, no offer, no leg, no transfer of theirs)."""
        pic = self.acd.picture
        staff = pic.staff
        return frozenset(u for u in staff.online
                         if u in pic.operators and u not in staff.talking
                         and u not in staff.ringing and not self.acd.engaged(u)
                         and u not in self.sides)

    def free_for(self, asker: str) -> list[str]:
        """Whom this operator's call may be handed to now, sorted (never themselves)."""
        return sorted(self.free() - {asker})

    def names(self, usernames: Iterable[str]) -> dict[str, str]:
        """How these operators are named to others (operators/display.py)."""
        return {u: operator_name(u, self.acd.picture.names) for u in usernames}

    async def warm(self, who: Asker, call_id: uuid.UUID, target: str) -> Side:
        """Hold the caller and ring the other phone. Refused (not their call, the other
        one busy): Conflict, nothing changed."""
        facts = replace(self._facts(who, call_id, ""),
                        target_free=target in self.free_for(who.username))
        reason = rules.refusal(Ask.WARM, facts)
        if reason is not None:
            raise Conflict(reason)
        side = self._side(Ask.WARM, who, call_id, "")
        side.target = target
        talk = self.acd.picture.talking[call_id]
        name = talk.call.line.facility_name[:30] if talk.call.line else ""
        # Rung as long as the call's queue rings an operator: the caller hears music meanwhile.
        ring = round(self.acd.picture.policy(talk.queue_id).ring_timeout)
        await self._hold_and_ring(side, Target(target, self.acd.picture.operator_ids.get(target)),
                                  f'"Transfer: {name}" <transfer>', ring)
        return side

    async def transfer_out(self, who: Asker, call_id: uuid.UUID, number: str) -> Side:
        """Hold the caller and ring the number through the trunk; the operator talks to
        them first, then completes or returns. Refused (the line's policy, not their call,
        a number the guard refuses): Conflict, the caller back with them, no INVITE."""
        reason = rules.refusal(Ask.OUT, self._facts(who, call_id, number))
        if reason is not None:
            log.info("transfer out refused call=%s", call_id)
            raise Conflict(reason)
        # The number is judged before the caller is put on hold; its limits again when
        # it is placed.
        early = guard.decide(self.legs.policy, number, self.acd.picture.operator_ids.get(
            who.username), Recent(0))
        side = self._side(Ask.OUT, who, call_id, number)
        if isinstance(early, Refusal):
            await self._place(side, "transfer", Target(number=number), "")
        await self._hold_and_ring(side, Target(number=number), self._line_id(call_id))
        return side

    async def _hold_and_ring(self, side: Side, target: Target, caller_id: str,
                             ring_seconds: int = RING_SECONDS) -> None:
        """The caller to a holding bridge of their own (music), then the other party rung;
        any failure puts the caller back with the operator."""
        talk = self.acd.picture.talking[side.call_id] if side.call_id else None
        assert talk is not None
        async with side.lock:
            try:
                await self.ari.create_bridge(side.hold_bridge, "holding", side.hold_bridge)
                await self.ari.bridge_moh(side.hold_bridge)
                await self.ari.add_to_bridge(side.hold_bridge, talk.call.channel_id)
            except AriError as exc:
                log.warning("transfer not started call=%s status=%d", side.call_id,
                            exc.status)
                await self._resume(side, failed=True)
                raise Unavailable(self._tell(side, Outcome.NOT_PLACED)) from exc
            try:
                await self._place(side, "transfer", target, caller_id, ring_seconds)
            except Conflict as exc:  # the guard's limits, counted again
                await self._resume(side, failed=True)
                raise Conflict(self._tell(side, Outcome.NOT_PLACED, exc.message)) from exc
            except Unavailable as exc:
                await self._resume(side, failed=True)
                raise Unavailable(self._tell(side, Outcome.NOT_PLACED)) from exc
        self._note(side, "transfer_ringing", to=side.shown)
        self._tell(side, Outcome.RINGING)

    async def complete(self, username: str) -> Side:
        return await self._warm_event(username, rules.Event.COMPLETE)

    async def back(self, username: str) -> Side:
        return await self._warm_event(username, rules.Event.RETURN)

    async def _warm_event(self, username: str, event: rules.Event) -> Side:
        side = self.sides.get(username)
        if side is None or side.ask not in rules.HANDING:
            raise Conflict(NOTHING_OPEN)
        async with side.lock:
            if not await self._warm(side, event):
                raise Conflict(NOT_NOW)
        return side

    async def _warm(self, side: Side, event: rules.Event, cause: int = 0) -> bool:
        """The warm transfer's next step; False when refused in its stage. cause: why the
        other party's leg ended (GONE)."""
        before = side.stage
        side.stage, steps = rules.warm_step(side.stage, event, side.ask)
        leg = side.legs[0] if side.legs else None
        for step in steps:
            if step is rules.Step.REFUSE:
                return False
            if step is rules.Step.CONSULT and leg is not None:
                await self._consult(side, leg)
            elif step is rules.Step.HANG_UP_OTHER and leg is not None and not leg.ended:
                await self.legs.hang_up(leg.channel_id)
            elif step is rules.Step.RESUME:
                await self._resume(side)
            elif step is rules.Step.HAND_OVER and leg is not None:
                await self._hand_over(side, leg, joined=before is not rules.Stage.UNATTENDED)
            elif step is rules.Step.UNATTEND and leg is not None:
                self._unattend(side, leg)
            elif step is rules.Step.REQUEUE:
                self._requeue(side)
                with contextlib.suppress(AriError):
                    await self.ari.destroy_bridge(side.hold_bridge)
        outcome = told.outcome(before, side.stage, event, leg is not None and leg.answered,
                               cause)
        if outcome is not None:
            self._tell(side, outcome)
        return True

    async def _consult(self, side: Side, leg: _Leg) -> None:
        talk = self._talk(side)
        if talk is not None:
            await self.ari.add_to_bridge(talk.bridge_id, leg.channel_id)
            self._note(side, "transfer_consulting", to=side.shown)

    async def _resume(self, side: Side, *, failed: bool = False) -> None:
        talk = self._talk(side)
        if talk is not None:
            with contextlib.suppress(AriError):
                await self.ari.add_to_bridge(talk.bridge_id, talk.call.channel_id)
            self._note(side, "transfer_failed" if failed else "transfer_returned",
                       to=side.shown)
        with contextlib.suppress(AriError):
            await self.ari.destroy_bridge(side.hold_bridge)
        if not side.legs or all(leg.ended for leg in side.legs):
            self._close(side)

    async def _hand_over(self, side: Side, leg: _Leg, *, joined: bool) -> None:
        """The caller joins the other party (in the talk bridge already unless the
        operator left before they answered); the operator's leg is hung up."""
        talk = self._talk(side)
        if talk is None:  # the caller hung up meanwhile
            await self.legs.hang_up(leg.channel_id)
            return
        if joined:
            await self.ari.add_to_bridge(talk.bridge_id, talk.call.channel_id)
        else:
            await self.ari.add_to_bridge(talk.bridge_id, talk.call.channel_id, leg.channel_id)
        with contextlib.suppress(AriError):
            await self.ari.destroy_bridge(side.hold_bridge)
        side.handed = True  # before: the hand-over ends the operator's talk (talk_ended)
        if side.ask is Ask.WARM:
            handed = self.acd.hand_over(talk.call.call_id, side.target, leg.channel_id)
        else:  # out: handed already when the operator left while it rang
            handed = talk.operator == OUTSIDE or self.acd.hand_out(talk.call.call_id,
                                                                  leg.channel_id)
        if not handed:
            side.handed = False
            return
        if self.sides.get(side.operator) is side:  # free for their next call
            del self.sides[side.operator]
        self._note(side, "transfer_completed", to=side.shown)
        if talk.operator != OUTSIDE:
            with contextlib.suppress(AriError):
                await self.ari.hangup(talk.operator_channel)

    def _unattend(self, side: Side, leg: _Leg) -> None:
        """Out: the operator hung up while the number rang; the ringing leg stands for the
        call's operator side (the caller hanging up hangs it up) and they go to wrap-up."""
        if side.call_id is not None and self.acd.hand_out(side.call_id, leg.channel_id):
            self._note(side, "transfer_unattended", to=side.shown)

    def _requeue(self, side: Side) -> None:
        """Out, with the operator gone: the number did not answer, so the caller queues
        again (their queue, language and priority), never left with the music alone."""
        talk = self._talk(side)
        if talk is not None:
            self._note(side, "transfer_failed", to=side.shown)
            self.acd.requeue(talk.call.call_id, talk.queue_id, talk.call.language)

    async def _call_gone(self, side: Side) -> None:
        async with side.lock:
            if side.handed or side.done:
                return
            if side.ask in rules.HANDING:
                await self._warm(side, rules.Event.CALLER_GONE)
                with contextlib.suppress(AriError):
                    await self.ari.destroy_bridge(side.hold_bridge)
            else:
                await self._hang_up_all(side)

    def to_queue(self, who: Asker, call_id: uuid.UUID, queue_id: int | None,
                 language: str) -> None:
        """Send the caller to another queue, in `language` (empty: theirs), keeping their
        priority; the operator's leg is hung up. Refused: Conflict, nothing changed."""
        talk = self.acd.picture.talking.get(call_id)
        language = language or (talk.call.language if talk else "")
        known = (queue_id is not None and queue_id in self.acd.picture.policies
                 and language in self.languages(talk.call.line if talk else None))
        reason = rules.refusal(Ask.QUEUE, replace(self._facts(who, call_id, ""),
                                                  queue_known=known))
        if reason is not None:
            raise Conflict(reason)
        assert queue_id is not None and talk is not None
        self._event(call_id, "transfer_queue", {"user_id": str(who.user_id),
                                                "queue_id": str(queue_id)})
        self.acd.requeue(call_id, queue_id, language)

    def languages(self, line: Line | None) -> set[str]:
        """What a caller may be queued in: the line's menu, and what operators speak."""
        spoken = {lang for op in self.acd.picture.operators.values() for lang in op.languages}
        return spoken | {lang for _, lang in line.languages} if line else spoken

    async def choices(self, who: Asker, call_id: uuid.UUID) -> dict[str, object]:
        """What the console offers on the operator's call: whom to transfer to, which
        queues and languages, and whether the line allows a third party."""
        facts = self._facts(who, call_id, "")
        if not facts.mine:
            raise Conflict(rules.NOT_YOURS)
        talk = self.acd.picture.talking[call_id]
        async with self.legs.pool.acquire() as con:
            queues = await queue_store.names(con)
        operators = self.free_for(who.username)
        return {
            "operators": operators,
            "names": self.names(operators),
            "queues": [{"id": q, "name": name} for q, name in queues],
            "languages": sorted(self.languages(talk.call.line)),
            "language": talk.call.language,
            "three_way": facts.three_way_allowed,
            "three_way_off": rules.THREE_WAY_OFF,
            "transfer_out": facts.transfer_allowed,
            "transfer_off": rules.TRANSFER_OFF,
            "side": self.sides[who.username].view() if who.username in self.sides else None,
        }

    async def relay(self, who: Asker, number: str,
                    follow_up_id: uuid.UUID | None = None) -> Side:
        """Ring the operator's phone, then the number, together on a call of their own;
        for a follow-up (theirs, or any for a supervisor), its end is noted there."""
        reason = rules.refusal(Ask.RELAY, self._facts(who, None, number))
        if reason is not None:
            raise Conflict(reason)
        if follow_up_id is not None:
            await relay_notes.check(self.legs.pool, follow_up_id, who.user_id, who.supervisor)
        side = self._side(Ask.RELAY, who, None, number)
        side.follow_up_id, side.supervisor = follow_up_id, who.supervisor
        # The number is judged now, so the operator hears of a refusal before their phone
        # rings; the limits are counted again when it is placed.
        early = guard.decide(self.legs.policy, number, side.operator_id, Recent(0))
        if isinstance(early, Refusal):
            await self._place(side, "callback", Target(number=number), "")
        await self._place(side, "callback", Target(who.username, side.operator_id),
                          '"Relay call" <relay>')
        return side

    async def hang_up(self, username: str) -> None:
        side = self.sides.get(username)
        if side is None:
            raise Conflict(NOTHING_OPEN)
        if side.ask in rules.HANDING:
            await self.back(username)
            return
        await self._hang_up_all(side)

    # --- the side's legs ----------------------------------------------------------------
    def _side(self, ask: Ask, who: Asker, call_id: uuid.UUID | None, number: str) -> Side:
        side = Side(ask, who.username, self.acd.picture.operator_ids.get(who.username),
                    who.user_id, call_id, number)
        self.sides[who.username] = side
        self.tasks.spawn(self._run(side), f"{ask.value}-{who.username}")
        return side

    async def _place(self, side: Side, purpose: str, target: Target, caller_id: str,
                     ring_seconds: int = RING_SECONDS) -> None:
        index = len(side.legs)
        request = Request(purpose, side.call_id, target, ring_seconds, caller_id,
                          requested_by=side.operator_id, actor=side.user_id,
                          follow_up_id=side.follow_up_id if target.number else None)
        result = await self.legs.place(
            request, lambda event: side.events.put_nowait((index, event)))
        if isinstance(result, Placed):
            side.legs.append(_Leg(result.leg_id, result.channel_id))
            return
        if not side.legs:  # nothing else of this side lives
            self._close(side)
        if isinstance(result, Refusal):
            raise Conflict(result.message)
        raise Unavailable(NOT_PLACED)

    async def _run(self, side: Side) -> None:
        while not side.done:
            index, event = await side.events.get()
            if index < 0:  # closed
                return
            try:
                async with side.lock:
                    await self._handle(side, side.legs[index], index, event)
            except Exception:
                log.exception("%s failed operator_leg=%d", side.ask.value, index)
                await self._failed(side)

    async def _failed(self, side: Side) -> None:
        """A side whose step failed ends; a caller still on hold for it comes back to their
        operator (or, theirs gone, to their queue), never left with the music."""
        if side.ask in rules.HANDING and not side.handed and side.stage is not rules.Stage.DONE:
            unattended = side.stage is rules.Stage.UNATTENDED
            side.stage = rules.Stage.DONE  # the legs' ends that follow change nothing
            if unattended:
                self._requeue(side)
                with contextlib.suppress(AriError):
                    await self.ari.destroy_bridge(side.hold_bridge)
            else:
                await self._resume(side, failed=True)
            self._tell(side, Outcome.FAILED)
        await self._hang_up_all(side)

    async def _handle(self, side: Side, leg: _Leg, index: int, event: ari.Event) -> None:
        if side.ask in rules.HANDING:
            await self._warm_leg(side, leg, event)
            return
        if isinstance(event, ari.StasisStart) and not leg.answered:
            leg.answered, leg.answered_at = True, time.monotonic()
            await self.legs.answered(leg.leg_id)
            if side.ask is Ask.CONFERENCE:
                await self._join_call(side, leg)
            elif index == 0:  # the operator answered: now the number
                await self.ari.create_bridge(side.bridge_id, "mixing,proxy_media",
                                             side.bridge_id)
                await self.ari.add_to_bridge(side.bridge_id, leg.channel_id)
                try:
                    await self._place(side, "callback", Target(number=side.number), "")
                except (Conflict, Unavailable):  # refused meanwhile (a limit): end it
                    await self._hang_up_all(side)
            else:
                await self.ari.add_to_bridge(side.bridge_id, leg.channel_id)
        elif isinstance(event, ari.ChannelDestroyed) and not leg.ended:
            leg.ended = True
            await self.legs.finish(leg.leg_id, "ended" if leg.answered else "no_answer")
            if side.ask is Ask.CONFERENCE:
                self._note(side, "conference_left")
            elif index == 1 and side.follow_up_id is not None:  # the number's leg
                seconds = round(time.monotonic() - leg.answered_at) if leg.answered else 0
                await relay_notes.write(self.legs.pool, self.legs.keys, side.follow_up_id,
                                        side.user_id, side.supervisor, leg.answered, seconds)
            await self._hang_up_all(side)

    async def _warm_leg(self, side: Side, leg: _Leg, event: ari.Event) -> None:
        if isinstance(event, ari.StasisStart) and not leg.answered:
            leg.answered = True
            await self.legs.answered(leg.leg_id)
            await self._warm(side, rules.Event.ANSWERED)
        elif isinstance(event, ari.HangupRequest):
            leg.hangup = leg.hangup or (event.cause, event.soft)
        elif isinstance(event, ari.ChannelDestroyed) and not leg.ended:
            leg.ended = True
            await self.legs.finish(leg.leg_id, "ended" if leg.answered else "no_answer")
            if side.handed:  # the call's operator side hung up, or their phone was lost
                self.acd.operator_gone(leg.channel_id,
                                       leg.hangup if side.ask is Ask.WARM else None)
                self._close(side)
            else:
                await self._warm(side, rules.Event.GONE, event.cause)
                if side.stage is rules.Stage.DONE:
                    self._close(side)

    async def _join_call(self, side: Side, leg: _Leg) -> None:
        talk = self._talk(side)
        if talk is None:  # the call ended while it rang
            await self.legs.hang_up(leg.channel_id)
            return
        await self.ari.add_to_bridge(talk.bridge_id, leg.channel_id)
        self._note(side, "conference_joined")

    async def _hang_up_all(self, side: Side) -> None:
        for leg in side.legs:
            if not leg.ended:
                await self.legs.hang_up(leg.channel_id)
        if all(leg.ended for leg in side.legs):
            if side.ask is Ask.RELAY and side.legs:
                with contextlib.suppress(AriError):
                    await self.ari.destroy_bridge(side.bridge_id)
            self._close(side)

    def _close(self, side: Side) -> None:
        side.done = True
        if self.sides.get(side.operator) is side:
            del self.sides[side.operator]
        side.events.put_nowait((-1, ari.StasisEnd(ari.Channel("", "", "", "", "", "", ""))))

    def _tell(self, side: Side, outcome: Outcome, reason: str = "") -> str:
        """The operator's consoles told where their transfer stands; the words, for an
        answer that says the same."""
        to = operator_name(side.target, self.acd.picture.names) if side.target else ""
        side.outcome, side.words = outcome, told.words(outcome, to, reason)
        side.told += 1
        self.tell(side.operator, {"type": "transfer",
                                  "call_id": str(side.call_id) if side.call_id else None,
                                  **side.view(), "server_time": time.time()})
        return side.words

    def _note(self, side: Side, kind: str, **detail: str) -> None:
        if side.call_id is not None:
            self._event(side.call_id, kind, {"user_id": str(side.user_id), **detail})

    def _event(self, call_id: uuid.UUID, kind: str, detail: dict[str, str]) -> None:
        self.writer.put(records.CallEvent(call_id, datetime.now(UTC), kind, detail))
