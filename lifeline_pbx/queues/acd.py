"""The call distributor: holds callers in queue bridges and rings operators' phones.

Decisions come from queues/routing.py (who is offered which caller) and queues/staff.py
(how an operator's state changes), both pure; this module keeps the live picture, turns
decisions into ARI requests, and records queue events. Calls are seen only through their
handles (queues/handle.py). Operators' state is saved in PostgreSQL
(queues/operator_state.py, in the background) so a restart keeps it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import UTC, datetime

from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls import model, records
from lifeline_pbx.errors import AriError
from lifeline_pbx.prompts import tones
from lifeline_pbx.queues import (
    leg_end,
    more_time,
    offers,
    operator_state,
    phones,
    routing,
    staff,
)
from lifeline_pbx.queues.bridges import call_bridge, holding_bridge
from lifeline_pbx.queues.handle import CallHandle
from lifeline_pbx.queues.offers import Offer, OfferDesk
from lifeline_pbx.queues.picture import Picture, Talk, Waiter
from lifeline_pbx.queues.watch import Watchers
from lifeline_pbx.tasks import TaskRegistry

log = logging.getLogger(__name__)
TICK = 1.0
FOLLOW_CHECK = 30.0  # seconds between two checks of the phones' subscriptions and states
# The tables the distributor reads its queues and memberships from: a change reloads it.
QUEUE_TABLES = frozenset({"queues", "operator_queues"})
# How an offer's end reads in the queue log and what it means for the operator.
_MISSES = {offers.RING_NO_ANSWER: "ring_no_answer", offers.DECLINED: "declined"}
# A caller whose answered call could not be bridged this many times is given voicemail
# (with the apology of the busy prompt) rather than ringing more operators in vain.
BRIDGE_TRIES = 2
# The talk's operator once a transfer handed the caller to an outside number: no SIP
# username can look like it (operators/store.USERNAME).
OUTSIDE = "(outside)"


class Acd:
    def __init__(self, ari_client: AriClient, store: operator_state.Store,
                 writer: records.RecordWriter, media_uri: Callable[[str, str], str],
                 tasks: TaskRegistry) -> None:
        self.ari = ari_client
        self.tasks = tasks
        self.store = store
        self.writer = writer
        self.media_uri = media_uri
        self.picture = Picture()
        self.desk = OfferDesk(ari_client, lambda: media_uri("en", "accept-call"), self, tasks)
        self.watch = Watchers()  # the operator console and other live views
        # Pause reasons given since start, by SIP username: ahead of what the database holds
        # (the store writes in the background; the live views must not show an older one).
        self.pause_reasons: dict[str, str] = {}
        self._kick = asyncio.Event()
        self.empty_grace = routing.EMPTY_GRACE
        self.waited: Callable[[Waiter, str], None] = lambda waiter, outcome: None  # metrics
        self._held: set[str] = set()  # holding bridges made, their music on
        self._reloading = asyncio.Lock()
        self._followed: set[str] = set()  # operators' endpoints subscribed to
        # Phones' state events heard so far, and for each endpoint the count at its last:
        # a listing asked before an event must not undo what the event said.
        self._heard = 0
        self._heard_at: dict[str, int] = {}
        # Asked when an operator's leg of a talking call hangs up: True, someone else (a
        # warm transfer) carries the call on; False, the call ends as usual.
        self.carried_on: Callable[[Talk], bool] = lambda talk: False
        # Keys an operator presses on a call they took: (operator, digit).
        self.operator_keys: Callable[[str, str], None] = lambda operator, digit: None

    # --- what calls ask (calls/session.QueuePort) -------------------------------------
    def enter(self, call: CallHandle, queue_id: int) -> None:
        now = time.time()
        self._wait(call, queue_id, now)
        self.queue_event("entered", queue_id, call.call_id)
        # The round now, not at the queue loop's next turn: measured under load, that turn
        # came 0.4 ms after the entry (2.4 ms at the 99th percentile), behind the caller's
        # own next steps. The offer's originate then goes before the hold's request.
        self._round_safely(now)
        self.tasks.spawn(self._hold(call, queue_id))

    def leave(self, call_id: uuid.UUID) -> None:
        bridging = self.picture.bridging.pop(call_id, None)
        waiter = self.picture.waiting.pop(call_id, None) or bridging
        if waiter is not None:
            self.queue_event("abandoned", waiter.queue_id, call_id,
                              wait=time.time() - waiter.caller.entered_at)
            self.waited(waiter, "abandoned")
            self.desk.cancel_for(call_id)
        talk = self.picture.talking.pop(call_id, None)
        if talk is not None:
            self.tasks.spawn(self._finish_talk(talk, hang_up_operator=True))

    async def record(self, call_id: uuid.UUID) -> None:
        talk = self.picture.talking.get(call_id)
        if talk is not None:
            # Named for this bridging: a caller put through again (sent to another queue) is
            # recorded anew, not over the first part (recordings overwrite their namesake).
            # The row keeps the last name, the call's timeline every one.
            name = talk.bridge_id
            await self.ari.record_bridge(talk.bridge_id, name)
            self.writer.put(records.CallRecorded(call_id, name))
            self.writer.put(records.CallEvent(call_id, _at(time.time()), "recorded",
                                              {"name": name}))

    async def warn_operator(self, call_id: uuid.UUID) -> None:
        talk = self.picture.talking.get(call_id)
        if talk is not None:
            media = [self.media_uri(tones.LANGUAGE, "warning")]
            await self.ari.play(talk.operator_channel, media, f"warn-{call_id.hex}")

    # --- what the dispatcher asks ------------------------------------------------------
    def owns_channel(self, channel_id: str) -> bool:
        """An operator's leg (an offer, or a bridged call's operator side)."""
        return self.desk.owns(channel_id)

    def legs(self) -> list[str]:
        """The operators' legs held now (offers ringing, and calls' operator sides)."""
        return list(self.desk.offers)

    def on_channel_event(self, event: ari.Event) -> None:
        self.desk.on_event(event)

    def adopt_waiting(self, call: CallHandle, queue_id: int, entered_at: float) -> None:
        """After a restart: Asterisk kept this caller in the queue's holding bridge."""
        self._wait(call, queue_id, entered_at)
        self.kick()

    def adopt_talking(self, call: CallHandle, operator: str, bridge_id: str,
                      operator_channel: str, queue_id: int) -> None:
        """After a restart: Asterisk still bridges this caller with the operator."""
        self.picture.talking[call.call_id] = Talk(call, operator, bridge_id, operator_channel,
                                                  queue_id)
        self._step(staff.TalkAdopted(operator, call.call_id))
        self.desk.adopt_talking(call.call_id, operator, operator_channel)

    def channel_gone(self, channel_id: str) -> None:
        """Asterisk no longer has this operator leg (its end was missed)."""
        self.desk.gone(channel_id)

    def _wait(self, call: CallHandle, queue_id: int, entered_at: float) -> None:
        caller = routing.Caller(str(call.call_id), str(queue_id), call.language, call.priority,
                                entered_at, False, frozenset())
        self.picture.waiting[call.call_id] = Waiter(call, caller, queue_id)

    # --- legs placed by others (transfers, on-call runs) -------------------------------
    def engage(self, username: str, purpose: str) -> None:
        """A leg for `purpose` (outbound/legs.Request) rings or holds this operator's phone:
        busy for routing, and the live views say on what."""
        self.picture.engaged.setdefault(username, []).append(purpose)
        self.watch.operator_changed(username, None)

    def release(self, username: str, purpose: str) -> None:
        """That leg ended: back to what they were (ready, paused, or wrap-up still due)."""
        purposes = self.picture.engaged.get(username, [])
        if purpose in purposes:
            purposes.remove(purpose)
        if not purposes:
            self.picture.engaged.pop(username, None)
            self.kick()
        self.watch.operator_changed(username, None)

    def hand_over(self, call_id: uuid.UUID, operator: str, channel_id: str) -> bool:
        """A warm transfer completed: the call's operator side is now this phone's leg (its
        owner reports its end through operator_gone); the operator who handed it over goes
        to wrap-up. False: the call is no longer talking."""
        old = self.picture.talking.get(call_id)
        if old is None:
            return False
        new = replace(old, operator=operator, operator_channel=channel_id)
        self.picture.talking[call_id] = new
        self.watch.talk_ended(old, self.picture.policy(old.queue_id).wrapup)
        self._apply(staff.CallEnded(old.operator, call_id, old.queue_id))
        if operator != OUTSIDE:
            self._apply(staff.TalkAdopted(operator, call_id))
        self.watch.talk_started(new)
        return True

    def hand_out(self, call_id: uuid.UUID, channel_id: str) -> bool:
        """As hand_over, to a leg through the trunk (a transfer to an outside number): the
        caller's call stays the hotline's, with no operator on it."""
        return self.hand_over(call_id, OUTSIDE, channel_id)

    def requeue(self, call_id: uuid.UUID, queue_id: int, language: str) -> bool:
        """The operator sends the caller to another queue: their talk ends (their leg hung
        up, wrap-up) and the call queues again (calls/flow.py keeps its priority)."""
        talk = self.picture.talking.pop(call_id, None)
        if talk is None:
            return False
        self.tasks.spawn(self._finish_talk(talk, hang_up_operator=True))
        talk.call.deliver(model.Requeued(queue_id, language))
        return True

    def operator_gone(self, channel_id: str) -> None:
        """A leg handed a call (hand_over) hung up: as when an operator's own leg does."""
        self._operator_left(channel_id)

    def engaged(self, username: str) -> bool:
        return username in self.picture.engaged

    def free(self, now: float) -> list[routing.Operator]:
        engaged = self.picture.engaged
        return [op for op in self.picture.staff.free(now) if op.id not in engaged]

    # --- the loop --------------------------------------------------------------------
    def kick(self) -> None:
        self._kick.set()

    async def run(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TICK):
                    await self._kick.wait()
            self._kick.clear()
            self._round_safely(time.time())

    def _round_safely(self, now: float) -> None:
        try:
            self._round(now)
        except Exception:
            log.exception("queue round failed")

    def _round(self, now: float) -> None:
        pic = self.picture
        if not pic.waiting:
            pic.unstaffed.clear()
            return
        ringing = self.desk.ringing_calls()
        # A copy only for a caller whose offer is ringing: rounds run at every change in
        # the queues, and a copy of every waiting caller each round (dataclasses.replace,
        # some 10 us each) grew with the backlog.
        callers = {c: w.caller if w.caller.ringing == (c in ringing)
                   else replace(w.caller, ringing=c in ringing) for c, w in pic.waiting.items()}
        queues = sorted({w.queue_id for w in pic.waiting.values()})
        unstaffed = self._left_empty(queues, now)
        for waiting_id, caller in callers.items():
            held = pic.waiting[waiting_id]
            line = held.call.line
            policy = routing.for_line(pic.policy(held.queue_id), line.max_wait if line else None)
            reason = routing.leaves(caller, now, policy, unstaffed.get(held.queue_id))
            if reason is not None:
                self._give_back(waiting_id, reason)
            elif routing.announcement_due(held.last_announced, caller.entered_at, now, policy):
                held.last_announced = now
                self.tasks.spawn(self._announce(held, now))
        for queue_id in queues:
            in_queue = [c for c_id, c in callers.items()
                        if c_id in pic.waiting and pic.waiting[c_id].queue_id == queue_id]
            if all(c.ringing for c in in_queue):
                continue  # every caller's phone offer is ringing: nobody to assign
            policy = pic.policy(queue_id)
            free = self.free(now)  # again for each queue: the last one's offers ring
            for call_id, username in routing.assign(in_queue, free, now, policy):
                waiter = pic.waiting.get(uuid.UUID(call_id))
                if waiter is not None:
                    self._offer(waiter, username, policy, now)

    def _left_empty(self, queues: list[int], now: float) -> dict[int, str]:
        """The queues whose callers are given back now for want of anyone to ring, with
        the reason: nobody to ring for empty_grace (a phone back or a login within it
        keeps them waiting). Once per queue with callers, not per caller."""
        pic = self.picture
        since: dict[int, float] = {}
        leaving: dict[int, str] = {}
        for queue_id in queues:
            nobody = routing.nobody_to_ring(str(queue_id), pic.operators, pic.online)
            started, reason = routing.unstaffed(nobody, pic.unstaffed.get(queue_id),
                                                now, self.empty_grace)
            if started is not None:
                since[queue_id] = started
            if reason is not None:
                leaving[queue_id] = reason
        pic.unstaffed = since
        return leaving

    def _offer(self, waiter: Waiter, username: str, policy: routing.Policy, now: float) -> None:
        """Each offer rings in its own task: the round never waits for an originate."""
        self.picture.staff, decisions = staff.step(
            self.picture.staff, staff.OfferPlaced(username, waiter.call.call_id), now)
        if not any(isinstance(d, staff.Ring) for d in decisions):
            return
        line = waiter.call.line
        dial = offers.Dial(
            offers.caller_id(line.facility_name if line else "", waiter.caller.language,
                             line.did if line else ""),
            policy.ring_timeout)
        self.desk.place(waiter.call.call_id, username, dial)

    def _give_back(self, call_id: uuid.UUID, reason: str) -> None:
        waiter = self.picture.waiting.pop(call_id, None)
        if waiter is None:
            return
        self.desk.cancel_for(call_id)
        kind = "timeout" if reason == "max_wait" else "voicemail"
        self.queue_event(kind, waiter.queue_id, call_id,
                          wait=time.time() - waiter.caller.entered_at, detail=reason)
        self.waited(waiter, kind)
        self.tasks.spawn(self._unhold(waiter))
        waiter.call.deliver(model.QueueLeft(reason))

    async def _hold(self, call: CallHandle, queue_id: int) -> None:
        # Nobody logged in with a phone that can ring: a message beats waiting for no one.
        pic = self.picture
        nobody = routing.nobody_to_ring(str(queue_id), pic.operators, pic.online)
        if nobody is not None:
            self._give_back(call.call_id, nobody)
            return
        bridge = holding_bridge(queue_id)
        try:
            await self._holding(bridge)
            try:
                await self.ari.add_to_bridge(bridge, call.channel_id)
            except AriError as exc:
                if exc.status != 404:  # 404: the bridge is gone (Asterisk restarted)
                    raise
                self._held.discard(bridge)
                await self._holding(bridge)
                await self.ari.add_to_bridge(bridge, call.channel_id)
        except AriError as exc:
            if not exc.gone:
                log.exception("could not hold call=%s", call.call_id)
                self._give_back(call.call_id, "error")

    async def _holding(self, bridge_id: str) -> None:
        """The queue's holding bridge, with its music, made once (not once per caller)."""
        if bridge_id not in self._held:
            await self.ensure_bridge(bridge_id, "holding")
            await self.ari.bridge_moh(bridge_id)
            self._held.add(bridge_id)

    async def ensure_bridge(self, bridge_id: str, kind: str) -> None:
        """Queue bridges outlive the app (that is how waiting callers survive a restart)."""
        try:
            await self.ari.create_bridge(bridge_id, kind, bridge_id)
        except AriError as exc:
            if exc.status != 409:  # 409: it exists already
                raise

    async def _unhold(self, waiter: Waiter) -> None:
        with contextlib.suppress(AriError):
            await self.ari.remove_from_bridge(holding_bridge(waiter.queue_id),
                                              waiter.call.channel_id)

    async def _announce(self, waiter: Waiter, now: float) -> None:
        pic = self.picture
        callers = [w.caller for w in pic.waiting.values() if w.queue_id == waiter.queue_id]
        position = routing.position(waiter.caller.call_id, callers)
        ready = len(self.free(now))
        minutes = routing.estimated_wait_minutes(position, ready, ())
        lang = waiter.caller.language
        media = [self.media_uri(lang, f"queue-position-{min(position, 20)}"),
                 self.media_uri(lang, f"queue-wait-{minutes}")]
        self.writer.put(records.CallEvent(
            waiter.call.call_id, _at(now), "announced",
            {"position": str(position), "minutes": str(minutes)}))
        with contextlib.suppress(AriError):
            await self.ari.play(waiter.call.channel_id, media, f"ann-{uuid.uuid4().hex}")

    # --- offers' outcomes (queues/offers.Outcomes) -------------------------------------
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
            await self.ensure_bridge(bridge_id, "mixing,proxy_media")
            # Asterisk moves the caller out of the holding bridge itself (no
            # removeChannel); both legs in one request, added both or neither.
            await self.ari.add_to_bridge(bridge_id, waiter.call.channel_id, offer.channel_id)
        except AriError as exc:
            log.warning("call not bridged call=%s operator=%s status=%d", offer.call_id,
                        offer.operator, exc.status)
            # Before the caller can be offered again (their next bridge has the same id).
            await self._back_on_hold(bridge_id, waiter)
            self._not_bridged(offer.call_id)
            return False
        if pic.bridging.pop(offer.call_id, None) is None:  # the caller left meanwhile
            await self._drop_bridge(bridge_id)
            return False
        now = time.time()
        talk = Talk(waiter.call, offer.operator, bridge_id, offer.channel_id,
                    waiter.queue_id, now, now - waiter.caller.entered_at)
        pic.talking[offer.call_id] = talk
        self.watch.talk_started(talk)
        operator_id = pic.operator_ids.get(offer.operator)
        self.writer.put(records.CallConnected(offer.call_id, _at(now), operator_id))
        self.queue_event("connected", waiter.queue_id, offer.call_id, operator=offer.operator,
                          wait=now - waiter.caller.entered_at)
        self.waited(waiter, "answered")
        self._apply(staff.OfferAnswered(offer.operator, offer.call_id))
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
            self._give_back(call_id, "error")
        else:
            self.kick()

    async def _back_on_hold(self, bridge_id: str, waiter: Waiter) -> None:
        """Undo a bridge that failed: an error may come after Asterisk did add the legs
        (a request that timed out), and the caller then leaves it with no music; so the
        bridge goes and the caller is put back in the holding bridge unless still there."""
        await self._drop_bridge(bridge_id)
        holding = holding_bridge(waiter.queue_id)
        try:
            if waiter.call.channel_id not in (await self.ari.bridge(holding))["channels"]:
                await self.ari.add_to_bridge(holding, waiter.call.channel_id)
        except AriError as exc:  # the caller gone: their session closes the call
            log.warning("caller not put back on hold call=%s status=%d", waiter.call.call_id,
                        exc.status)

    async def _drop_bridge(self, bridge_id: str) -> None:
        with contextlib.suppress(AriError):
            await self.ari.destroy_bridge(bridge_id)

    async def ended(self, offer: Offer, outcome: str) -> None:
        if outcome == offers.LEFT and self._operator_left(offer.channel_id, offer.hangup):
            return
        if outcome in (offers.WITHDRAWN, offers.LEFT):
            self._apply(staff.OfferWithdrawn(offer.operator, offer.call_id))
            return
        waiter = self.picture.waiting.get(offer.call_id)
        queue_id = waiter.queue_id if waiter else None
        if waiter is not None:
            waiter.caller = replace(waiter.caller,
                                    declined_by=waiter.caller.declined_by | {offer.operator})
        if outcome == offers.FAILED:
            self.queue_event("ring_no_answer", queue_id, offer.call_id, operator=offer.operator,
                             detail="unreachable")
            self._apply(staff.OfferFailed(offer.operator, offer.call_id, queue_id))
        else:
            self.queue_event(_MISSES[outcome], queue_id, offer.call_id, operator=offer.operator)
            self._apply(staff.OfferMissed(offer.operator, offer.call_id, queue_id))

    def keyed(self, offer: Offer, digit: str) -> None:
        self.operator_keys(offer.operator, digit)

    def _operator_left(self, channel_id: str, hangup: tuple[int, bool] | None = None) -> bool:
        """hangup: (cause, soft) of the leg's hang-up request, when it was heard."""
        for call_id, talk in list(self.picture.talking.items()):
            if talk.operator_channel == channel_id:
                if self.carried_on(talk):
                    return True
                del self.picture.talking[call_id]
                if leg_end.after_leg(hangup) == leg_end.LOST:
                    self._operator_lost(talk, leg_end.reason(hangup))
                    return True
                talk.call.deliver(model.OperatorLeft())
                self.tasks.spawn(self._finish_talk(talk, hang_up_operator=False))
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
                                                     last_announced=now)
        log.warning("operator's phone lost call=%s operator=%s reason=%s", call.call_id,
                    talk.operator, reason)
        self.watch.talk_ended(talk, self.picture.policy(talk.queue_id).wrapup)
        self._apply(staff.CallEnded(talk.operator, call.call_id, talk.queue_id))
        self._step(staff.Registration(talk.operator, False))
        call.deliver(model.OperatorLost(talk.operator, reason))
        self.tasks.spawn(self._back_in_queue(talk))

    async def _back_in_queue(self, talk: Talk) -> None:
        waiter = self.picture.bridging.get(talk.call.call_id)
        if waiter is None:
            return  # the caller hung up meanwhile (leave() logged it)
        # Before the caller can be offered again (their next bridge has the same id).
        await self._back_on_hold(talk.bridge_id, waiter)
        if self.picture.bridging.pop(talk.call.call_id, None) is not None:
            self.picture.waiting[talk.call.call_id] = waiter
            self.kick()

    async def _finish_talk(self, talk: Talk, *, hang_up_operator: bool) -> None:
        self.watch.talk_ended(talk, self.picture.policy(talk.queue_id).wrapup)
        if hang_up_operator:
            with contextlib.suppress(AriError):
                await self.ari.hangup(talk.operator_channel)
        with contextlib.suppress(AriError):
            await self.ari.destroy_bridge(talk.bridge_id)
        self._apply(staff.CallEnded(talk.operator, talk.call.call_id, talk.queue_id))

    # --- operators and endpoints ------------------------------------------------------
    async def operator_action(self, username: str, action: str, reason: str = "") -> bool:
        """Log in, pause (with a reason), resume or log out; False for an unknown operator."""
        if username not in self.picture.operators:
            return False
        self._apply(staff.Action(username, action, reason))
        return True

    async def ready(self, username: str) -> bool:
        """End wrap-up early (the operator saved the intake); False for an unknown operator."""
        if username not in self.picture.operators:
            return False
        self._apply(staff.WrapUpOver(username))
        return True

    async def extend_wrap_up(
        self, username: str
    ) -> more_time.Granted | more_time.Refused | None:
        """The console's "More time": the wrap-up extended, or why not; None for an unknown
        operator."""
        if username not in self.picture.operators:
            return None
        verdict = more_time.ask(self.picture.staff.view(username),
                                self.picture.staff.more_time.get(username, 0), time.time())
        if isinstance(verdict, more_time.Granted):
            self._apply(staff.MoreTime(username))
        return verdict

    async def reload(self) -> None:
        """Operators, their queues and state, and queue policies, from PostgreSQL.

        One at a time (the SIP sync, the queue-settings follower and tests all ask): a
        reload that read the tables before a change must not land after one that read them
        after it."""
        async with self._reloading:
            loaded = await self.store.load()
            self._step(staff.Loaded({o.id: o for o in loaded.operators}, loaded.policies))
            self.picture.operator_ids = loaded.ids
            self.picture.accept_by_key = loaded.accept_by_key

    def endpoint_changed(self, event: ari.EndpointState) -> None:
        if event.technology != phones.TECHNOLOGY:
            return
        self._heard += 1
        self._heard_at[event.resource] = self._heard
        # Sent too as a channel comes to or leaves the phone (twice a call): no new round.
        if event.online != (event.resource in self.picture.online):
            self._step(staff.Registration(event.resource, event.online))

    async def refresh_endpoints(self, *, reconnected: bool = False,
                                rewritten: Collection[str] = ()) -> None:
        """Follow every operator's phone (queues/phones.py) and read which are online.

        reconnected: Asterisk may have restarted and forgotten the app's subscriptions.
        rewritten: endpoints the SIP sync just wrote; one deleted and written again since
        the last refresh is a new endpoint in Asterisk, without the old subscription."""
        if reconnected:
            self._followed.clear()
        self._followed.difference_update(rewritten)
        asked = self._heard
        listed = await self._endpoints()
        self._followed = phones.still_there(listed, self._followed)
        new = phones.to_follow(listed, self.picture.operators, self._followed)
        if new:
            await self._follow(new)
            asked = self._heard
            listed = await self._endpoints()  # a phone may have registered meanwhile
        heard_since = frozenset(name for name, at in self._heard_at.items() if at > asked)
        self._step(staff.Registrations(phones.online(listed), heard_since))

    async def keep_following(self) -> None:
        """Check the phones' subscriptions and states every FOLLOW_CHECK seconds, until
        cancelled: a state event lost would leave an operator offline to the queues."""
        while True:
            await asyncio.sleep(FOLLOW_CHECK)
            try:
                await self.check_following()
            except AriError as exc:
                log.warning("phones' states not checked status=%s", exc.status)

    async def check_following(self) -> None:
        """Subscribe again where Asterisk no longer has the app subscribed (an endpoint
        written again is a new one, without the old subscription), then read the states."""
        subscribed = await self.ari.subscribed_endpoints()
        self._followed &= phones.names(subscribed)
        await self.refresh_endpoints()

    async def _follow(self, names: list[str]) -> None:
        try:
            await self.ari.subscribe([phones.source(name) for name in names])
        except AriError as exc:
            if not 400 <= exc.status < 500:
                raise
            # One endpoint went away since the list was read (Asterisk then refuses all):
            # the others one by one; the missing one at the next refresh, if it is back.
            for name in names:
                with contextlib.suppress(AriError):
                    await self.ari.subscribe([phones.source(name)])
                    self._followed.add(name)
            return
        self._followed.update(names)

    async def _endpoints(self) -> list[ari.EndpointState]:
        return [ari.parse_endpoint(e) for e in await self.ari.endpoints(phones.TECHNOLOGY)]

    def _step(self, event: staff.Event) -> list[staff.Save]:
        """Apply an operator event to the picture; what needs saving is returned."""
        self.picture.staff, decisions = staff.step(self.picture.staff, event, time.time())
        saves = []
        for decision in decisions:
            if isinstance(decision, staff.Changed):
                if decision.pause_reason is not None:
                    self.pause_reasons[decision.username] = decision.pause_reason
                self.watch.operator_changed(decision.username, decision.pause_reason)
            elif isinstance(decision, staff.Logged):
                for queue_id in decision.queue_ids:
                    self.queue_event(decision.kind, queue_id, None, operator=decision.username,
                                     detail=decision.detail)
            elif isinstance(decision, staff.Save):
                saves.append(decision)
            elif isinstance(decision, staff.Withdraw):
                self.desk.withdraw(decision.username, decision.call_id)
        self.kick()
        return saves

    def _apply(self, event: staff.Event) -> None:
        """Step, and hand the states to save to the store: written in the background, so
        no caller waits on the database for an operator's state."""
        for save in self._step(event):
            operator_id = self.picture.operator_ids.get(save.username)
            op = self.picture.operators.get(save.username)
            if operator_id is not None and op is not None:
                self.store.save(operator_id, op, save.pause_reason)

    def queue_event(self, kind: str, queue_id: int | None, call_id: uuid.UUID | None, *,
                     operator: str | None = None, wait: float | None = None,
                     detail: str = "") -> None:
        operator_id = self.picture.operator_ids.get(operator) if operator else None
        self.writer.put(records.QueueEvent(_at(time.time()), kind, queue_id, call_id,
                                           operator_id, wait, detail))


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
