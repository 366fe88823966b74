"""Offers answered and the talks they make: the caller and the operator bridged (once; a
bridge that failed puts the caller back in their place in the queue), an offer's other
ends, and a talk's end (the operator hung up, their phone was lost, or the caller left).
The offer desk's outcomes (queues/offers.Outcomes) as the distributor hands them on."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls import model, records
from lifeline_pbx.errors import AriError
from lifeline_pbx.queues import leg_end, offers, routing, staff_events
from lifeline_pbx.queues.bridges import call_bridge
from lifeline_pbx.queues.holding import Holding
from lifeline_pbx.queues.offers import Offer
from lifeline_pbx.queues.picture import (
    OPERATOR_LEFT,
    PHONE_LOST,
    CutOff,
    Picture,
    Talk,
    TalkEnd,
    Waiter,
)
from lifeline_pbx.queues.queue_log import QueueLog, at
from lifeline_pbx.queues.rounds import Rounds
from lifeline_pbx.queues.staff_shell import StaffShell
from lifeline_pbx.queues.watch import Watchers
from lifeline_pbx.tasks import TaskRegistry

log = logging.getLogger(__name__)
# How an offer's end reads in the queue log and what it means for the operator.
_MISSES = {offers.RING_NO_ANSWER: "ring_no_answer", offers.DECLINED: "declined"}
# A caller whose answered call could not be bridged this many times is given voicemail
# (with the apology of the busy prompt) rather than ringing more operators in vain.
BRIDGE_TRIES = 2


class Talks:
    def __init__(self, picture: Picture, ari_client: AriClient, holding: Holding,
                 rounds: Rounds, shell: StaffShell, queue_log: QueueLog,
                 writer: records.RecordWriter, watch: Watchers, tasks: TaskRegistry) -> None:
        self.picture = picture
        self.ari = ari_client
        self.holding = holding
        self.rounds = rounds
        self.shell = shell
        self.queue_log = queue_log
        self.writer = writer
        self.watch = watch
        self.tasks = tasks
        # Asked when an operator's leg of a talking call hangs up: True, someone else (a
        # warm transfer) carries the call on; False, the call ends as usual.
        self.carried_on: Callable[[Talk], bool] = lambda talk: False
        # Keys an operator presses on a call they took: (operator, digit).
        self.operator_keys: Callable[[str, str], None] = lambda operator, digit: None

    def asks_to_accept(self, operator: str) -> bool:
        """The operator's own setting, or that of the queue of the call ringing them."""
        call_id = self.picture.staff.ringing.get(operator)
        waiter = self.picture.waiting.get(call_id) if call_id else None
        queue_asks = waiter is not None and self.picture.policy(waiter.queue_id).accept_by_key
        return queue_asks or operator in self.picture.accept_by_key

    async def answered(self, offer: Offer) -> bool:
        """The operator took the call: bridge them with the caller, once."""
        pic = self.picture
        waiter = pic.waiting.pop(offer.call_id, None)
        if waiter is None:
            return False
        pic.bridging[offer.call_id] = waiter
        bridge_id = call_bridge(offer.call_id)
        try:
            # proxy_media keeps the audio in Asterisk's core (no native RTP relaying), so
            # the cut-off warning played to the operator's leg and the call recording
            # always work.
            await self.holding.ensure_bridge(bridge_id, "mixing,proxy_media")
            # Asterisk moves the caller out of the holding bridge itself (no
            # removeChannel); both legs in one request, added both or neither.
            await self.ari.add_to_bridge(bridge_id, waiter.call.channel_id, offer.channel_id)
        except AriError as exc:
            log.warning("call not bridged call=%s operator=%s status=%d", offer.call_id,
                        offer.operator, exc.status)
            # Before the caller can be offered again (their next bridge has the same id).
            await self.holding.back_on_hold(bridge_id, waiter)
            self._not_bridged(offer.call_id)
            return False
        if pic.bridging.pop(offer.call_id, None) is None:  # the caller left meanwhile
            await self.holding.drop_bridge(bridge_id)
            return False
        now = time.time()
        talk = Talk(waiter.call, offer.operator, bridge_id, offer.channel_id,
                    waiter.queue_id, now, now - waiter.caller.entered_at, waiter.cut_off)
        pic.talking[offer.call_id] = talk
        self.watch.talk_started(talk)
        operator_id = pic.operator_ids.get(offer.operator)
        self.writer.put(records.CallConnected(offer.call_id, at(now), operator_id))
        self.queue_log.event("connected", waiter.queue_id, offer.call_id,
                             operator=offer.operator, wait=now - waiter.caller.entered_at)
        self.queue_log.waited(waiter, "answered")
        self.shell.apply(staff_events.OfferAnswered(offer.operator, offer.call_id))
        waiter.call.deliver(model.Connected(offer.operator, waiter.call.since_answer(now)))
        return True

    def _not_bridged(self, call_id: uuid.UUID) -> None:
        """The caller is still in the holding bridge (Asterisk adds both legs or neither):
        back to their place in the queue (the same entry time), or after BRIDGE_TRIES to
        voicemail. The operator's leg is hung up as a withdrawn offer: not their miss."""
        waiter = self.picture.bridging.pop(call_id, None)
        if waiter is None:
            return  # the caller left meanwhile (leave() logged it)
        waiter.not_bridged += 1
        self.picture.waiting[call_id] = waiter
        if waiter.not_bridged >= BRIDGE_TRIES:
            self.rounds.give_back(call_id, "error")
        else:
            self.rounds.kick()

    async def ended(self, offer: Offer, outcome: str) -> None:
        if outcome == offers.LEFT and self.operator_left(offer.channel_id, offer.hangup):
            return
        if outcome in (offers.WITHDRAWN, offers.LEFT):
            self.shell.apply(staff_events.OfferWithdrawn(offer.operator, offer.call_id))
            return
        waiter = self.picture.waiting.get(offer.call_id)
        queue_id = waiter.queue_id if waiter else None
        if waiter is not None:
            waiter.caller = replace(waiter.caller,
                                    declined_by=waiter.caller.declined_by | {offer.operator})
        if outcome == offers.FAILED:
            self.queue_log.event("ring_no_answer", queue_id, offer.call_id,
                                 operator=offer.operator, detail="unreachable")
            self.shell.apply(staff_events.OfferFailed(offer.operator, offer.call_id, queue_id))
        else:
            self.queue_log.event(_MISSES[outcome], queue_id, offer.call_id,
                                 operator=offer.operator)
            self.shell.apply(staff_events.OfferMissed(offer.operator, offer.call_id, queue_id))

    def keyed(self, offer: Offer, digit: str) -> None:
        self.operator_keys(offer.operator, digit)

    def operator_left(self, channel_id: str, hangup: tuple[int, bool] | None) -> bool:
        """The operator's side of a talk ended, however the caller came to them (an offer
        answered, adopted after a restart, a warm transfer handed over): the one decision
        of what that means for the caller. hangup: (cause, soft) of the leg's first hang-up
        request, None when none was heard."""
        for call_id, talk in list(self.picture.talking.items()):
            if talk.operator_channel == channel_id:
                if self.carried_on(talk):
                    return True
                del self.picture.talking[call_id]
                if leg_end.after_leg(hangup) == leg_end.LOST:
                    self._operator_lost(talk, leg_end.reason(hangup))
                    return True
                talk.call.deliver(model.OperatorLeft())
                self.tasks.spawn(self.finish_talk(talk, TalkEnd(OPERATOR_LEFT),
                                                  hang_up_operator=False))
                return True
        return False

    def _operator_lost(self, talk: Talk, reason: str) -> None:
        """The operator's phone died mid-call: the caller goes back to their place in the
        queue (their first entry time: the front, unless someone waited longer), told why;
        the operator's talk ends (not their hang-up), and their phone counts as offline
        until Asterisk says it is back (queues/leg_end.py)."""
        call = talk.call
        now = time.time()
        entered_at = now - talk.waited if not talk.connected_at else (
            talk.connected_at - talk.waited)
        caller = routing.Caller(str(call.call_id), str(talk.queue_id), call.language,
                                call.priority, entered_at, False, frozenset({talk.operator}))
        # As a caller being bridged: leave() finds them there should they hang up meanwhile.
        self.picture.bridging[call.call_id] = Waiter(call, caller, talk.queue_id,
                                                     last_announced=now,
                                                     cut_off=CutOff(talk.operator, now))
        log.warning("operator's phone lost call=%s operator=%s reason=%s", call.call_id,
                    talk.operator, reason)
        self.watch.talk_ended(talk, self.picture.policy(talk.queue_id).wrapup,
                              TalkEnd(PHONE_LOST))
        self.shell.apply(staff_events.CallEnded(talk.operator, call.call_id, talk.queue_id))
        self.shell.step(staff_events.Registration(talk.operator, False))
        self.tasks.spawn(self._back_in_queue(talk, reason))

    async def _back_in_queue(self, talk: Talk, reason: str) -> None:
        waiter = self.picture.bridging.get(talk.call.call_id)
        try:
            if waiter is None:
                return  # the caller hung up meanwhile (leave() logged it)
            # Before the caller can be offered again (their next bridge has the same id).
            await self.holding.back_on_hold(talk.bridge_id, waiter)
        finally:
            # Told once on hold: the apology started on the caller's channel while it was
            # still in the call's bridge was cut off by the move.
            talk.call.deliver(model.OperatorLost(talk.operator, reason))
        if self.picture.bridging.pop(talk.call.call_id, None) is not None:
            self.picture.waiting[talk.call.call_id] = waiter
            self.rounds.kick()

    async def finish_talk(self, talk: Talk, end: TalkEnd, *, hang_up_operator: bool) -> None:
        self.watch.talk_ended(talk, self.picture.policy(talk.queue_id).wrapup, end)
        if hang_up_operator:
            with contextlib.suppress(AriError):
                await self.ari.hangup(talk.operator_channel)
        await self.holding.drop_bridge(talk.bridge_id)
        self.shell.apply(staff_events.CallEnded(talk.operator, talk.call.call_id,
                                                talk.queue_id))

