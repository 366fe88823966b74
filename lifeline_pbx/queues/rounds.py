"""The queue rounds, run at every change in the queues (a kick) and every TICK: which
waiting caller is offered to which free operator (queues/routing.py decides), who is given
back (waited too long, or nobody to ring for the empty-queue grace), and the callers'
announcements of their place and wait."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls import model, records
from lifeline_pbx.errors import AriError
from lifeline_pbx.queues import offers, routing, staff, staff_events
from lifeline_pbx.queues.holding import Holding
from lifeline_pbx.queues.offers import OfferDesk
from lifeline_pbx.queues.picture import Picture, Waiter
from lifeline_pbx.queues.queue_log import QueueLog, at
from lifeline_pbx.tasks import TaskRegistry

log = logging.getLogger(__name__)
TICK = 1.0


class Rounds:
    def __init__(self, picture: Picture, desk: OfferDesk, holding: Holding,
                 queue_log: QueueLog, writer: records.RecordWriter, ari_client: AriClient,
                 media_uri: Callable[[str, str], str], tasks: TaskRegistry) -> None:
        self.picture = picture
        self.desk = desk
        self.holding = holding
        self.queue_log = queue_log
        self.writer = writer
        self.ari = ari_client
        self.media_uri = media_uri
        self.tasks = tasks
        self.empty_grace = routing.EMPTY_GRACE
        self._kick = asyncio.Event()

    def kick(self) -> None:
        self._kick.set()

    async def run(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TICK):
                    await self._kick.wait()
            self._kick.clear()
            self.round_safely(time.time())

    def round_safely(self, now: float) -> None:
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
                self.give_back(waiting_id, reason)
            elif routing.announcement_due(held.last_announced, caller.entered_at, now, policy):
                held.last_announced = now
                self.tasks.spawn(self._announce(held, now))
        for queue_id in queues:
            in_queue = [c for c_id, c in callers.items()
                        if c_id in pic.waiting and pic.waiting[c_id].queue_id == queue_id]
            if all(c.ringing for c in in_queue):
                continue  # every caller's phone offer is ringing: nobody to assign
            policy = pic.policy(queue_id)
            free = self.picture.free(now)  # again for each queue: the last one's offers ring
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
            self.picture.staff, staff_events.OfferPlaced(username, waiter.call.call_id), now)
        if not any(isinstance(d, staff_events.Ring) for d in decisions):
            return
        line = waiter.call.line
        dial = offers.Dial(
            offers.caller_id(line.facility_name if line else "", waiter.caller.language,
                             line.did if line else ""),
            policy.ring_timeout)
        self.desk.place(waiter.call.call_id, username, dial)

    def give_back(self, call_id: uuid.UUID, reason: str) -> None:
        waiter = self.picture.waiting.pop(call_id, None)
        if waiter is None:
            return
        self.desk.cancel_for(call_id)
        kind = "timeout" if reason == "max_wait" else "voicemail"
        self.queue_log.event(kind, waiter.queue_id, call_id,
                             wait=time.time() - waiter.caller.entered_at, detail=reason)
        self.queue_log.waited(waiter, kind)
        self.tasks.spawn(self.holding.unhold(waiter))
        waiter.call.deliver(model.QueueLeft(reason))

    async def _announce(self, waiter: Waiter, now: float) -> None:
        pic = self.picture
        callers = [w.caller for w in pic.waiting.values() if w.queue_id == waiter.queue_id]
        position = routing.position(waiter.caller.call_id, callers)
        ready = len(self.picture.free(now))
        minutes = routing.estimated_wait_minutes(position, ready, ())
        lang = waiter.caller.language
        media = [self.media_uri(lang, f"queue-position-{min(position, 20)}"),
                 self.media_uri(lang, f"queue-wait-{minutes}")]
        self.writer.put(records.CallEvent(
            waiter.call.call_id, at(now), "announced",
            {"position": str(position), "minutes": str(minutes)}))
        with contextlib.suppress(AriError):
            await self.ari.play(waiter.call.channel_id, media, f"ann-{uuid.uuid4().hex}")
