"""The call distributor: holds callers in queue bridges and rings operators' phones.

Decisions come from queues/routing.py (pure); this module keeps the live picture (who
waits, who rings, who talks), turns decisions into ARI requests, and records queue events.
Operators' state lives in PostgreSQL (queues/operator_state.py) so a restart keeps it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls import model, records
from lifeline_pbx.calls.session import CallSession
from lifeline_pbx.errors import AriError
from lifeline_pbx.prompts import tones
from lifeline_pbx.queues import operator_state, routing
from lifeline_pbx.queues.offers import Offer, OfferDesk
from lifeline_pbx.queues.picture import Picture, Talk, Waiter
from lifeline_pbx.queues.watch import Watchers
from lifeline_pbx.tasks import TaskRegistry

log = logging.getLogger(__name__)
TICK = 1.0


def holding_bridge(queue_id: int) -> str:
    return f"queue-{queue_id}"


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
        self.desk = OfferDesk(self)
        self.watch = Watchers()  # the operator console and other live views
        self._kick = asyncio.Event()

    # --- what calls ask (calls/session.QueuePort) -------------------------------------
    def enter(self, session: CallSession, queue_id: int, language: str, priority: int) -> None:
        now = time.time()
        caller = routing.Caller(str(session.call_id), str(queue_id), language, priority, now,
                                False, frozenset())
        self.picture.waiting[session.call_id] = Waiter(session, caller, queue_id)
        self.queue_event("entered", queue_id, session.call_id)
        self.tasks.spawn(self._hold(session, queue_id))
        self.kick()

    def leave(self, call_id: uuid.UUID) -> None:
        waiter = self.picture.waiting.pop(call_id, None)
        if waiter is not None:
            self.queue_event("abandoned", waiter.queue_id, call_id,
                              wait=time.time() - waiter.caller.entered_at)
            self.desk.cancel_for(call_id)
        talk = self.picture.talking.pop(call_id, None)
        if talk is not None:
            self.tasks.spawn(self._finish_talk(talk, hang_up_operator=True))

    async def record(self, call_id: uuid.UUID) -> None:
        talk = self.picture.talking.get(call_id)
        if talk is not None:
            name = f"call-{call_id}"
            await self.ari.record_bridge(talk.bridge_id, name)
            self.writer.put(records.CallRecorded(call_id, name))

    async def warn_operator(self, call_id: uuid.UUID) -> None:
        talk = self.picture.talking.get(call_id)
        if talk is not None:
            media = [self.media_uri(tones.LANGUAGE, "warning")]
            await self.ari.play(talk.operator_channel, media, f"warn-{call_id.hex}")

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
            try:
                await self._round(time.time())
            except Exception:
                log.exception("queue round failed")

    async def _round(self, now: float) -> None:
        pic = self.picture
        callers = {c: replace(w.caller, ringing=self.desk.ringing_for(c))
                   for c, w in pic.waiting.items()}
        for waiting_id, caller in callers.items():
            held = pic.waiting[waiting_id]
            policy = self.policy(held.queue_id)
            if routing.timed_out(caller, now, policy):
                self._give_back(waiting_id, "max_wait")
            elif routing.announcement_due(held.last_announced, caller.entered_at, now, policy):
                held.last_announced = now
                self.tasks.spawn(self._announce(held, now))
        operators = [self._operator_view(op) for op in pic.operators.values()]
        for queue_id in sorted({w.queue_id for w in pic.waiting.values()}):
            in_queue = [c for c_id, c in callers.items()
                        if c_id in pic.waiting and pic.waiting[c_id].queue_id == queue_id]
            for call_id, username in routing.assign(in_queue, operators, now,
                                                    self.policy(queue_id)):
                operators = [o for o in operators if o.id != username]
                waiter = pic.waiting.get(uuid.UUID(call_id))
                if waiter is not None:
                    await self.desk.offer(waiter, username, self.policy(queue_id))

    def _operator_view(self, op: routing.Operator) -> routing.Operator:
        return replace(op, registered=op.id in self.picture.online,
                       ringing=self.desk.ringing_operator(op.id),
                       on_call=any(t.operator == op.id for t in self.picture.talking.values()))

    def policy(self, queue_id: int) -> routing.Policy:
        return self.picture.policies.get(queue_id, routing.Policy())

    def _give_back(self, call_id: uuid.UUID, reason: str) -> None:
        waiter = self.picture.waiting.pop(call_id, None)
        if waiter is None:
            return
        self.desk.cancel_for(call_id)
        kind = "timeout" if reason == "max_wait" else "voicemail"
        self.queue_event(kind, waiter.queue_id, call_id,
                          wait=time.time() - waiter.caller.entered_at, detail=reason)
        self.tasks.spawn(self._unhold(waiter))
        waiter.session.queue.put_nowait(model.QueueLeft(reason))

    async def _hold(self, session: CallSession, queue_id: int) -> None:
        # Nobody logged in with a phone that can ring: a message beats waiting for no one.
        if not any(o.logged_in and str(queue_id) in o.queues and o.id in self.picture.online
                   for o in self.picture.operators.values()):
            self._give_back(session.call_id, "no_operators")
            return
        bridge = holding_bridge(queue_id)
        try:
            await self.ensure_bridge(bridge, "holding")
            await self.ari.add_to_bridge(bridge, session.channel_id)
            await self.ari.bridge_moh(bridge)
        except AriError as exc:
            if not exc.gone:
                log.exception("could not hold call=%s", session.call_id)
                self._give_back(session.call_id, "error")

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
                                              waiter.session.channel_id)

    async def _announce(self, waiter: Waiter, now: float) -> None:
        callers = [w.caller for w in self.picture.waiting.values()
                   if w.queue_id == waiter.queue_id]
        position = routing.position(waiter.caller.call_id, callers)
        ready = sum(1 for o in self.picture.operators.values()
                    if routing.available(self._operator_view(o), now))
        minutes = routing.estimated_wait_minutes(position, ready, ())
        lang = waiter.caller.language
        media = [self.media_uri(lang, f"queue-position-{min(position, 20)}"),
                 self.media_uri(lang, f"queue-wait-{minutes}")]
        self.writer.put(records.CallEvent(
            waiter.session.call_id, _at(now), "announced",
            {"position": str(position), "minutes": str(minutes)}))
        with contextlib.suppress(AriError):
            await self.ari.play(waiter.session.channel_id, media, f"ann-{uuid.uuid4().hex}")

    # --- connecting and ending --------------------------------------------------------
    async def connect(self, offer: Offer) -> bool:
        """The operator took the call: bridge them with the caller."""
        pic = self.picture
        waiter = pic.waiting.pop(offer.call_id, None)
        if waiter is None:
            return False
        bridge_id = f"call-{offer.call_id}"
        # proxy_media keeps the audio in Asterisk's core (no native RTP relaying), so the
        # cut-off warning played to the operator's leg and the call recording always work.
        await self.ensure_bridge(bridge_id, "mixing,proxy_media")
        await self._unhold(waiter)
        await self.ari.add_to_bridge(bridge_id, waiter.session.channel_id)
        await self.ari.add_to_bridge(bridge_id, offer.channel_id)
        now = time.time()
        talk = Talk(waiter.session, offer.operator, bridge_id, offer.channel_id,
                    waiter.queue_id, now, now - waiter.caller.entered_at)
        pic.talking[offer.call_id] = talk
        self.watch.talk_started(talk)
        operator_id = pic.operator_ids.get(offer.operator)
        self.writer.put(records.CallConnected(offer.call_id, _at(now), operator_id))
        self.queue_event("connected", waiter.queue_id, offer.call_id, operator=offer.operator,
                          wait=now - waiter.caller.entered_at)
        await self.missed_or_answered(offer.operator, answered=True, queue_id=waiter.queue_id)
        waiter.session.queue.put_nowait(model.Connected(offer.operator))
        return True

    def declined(self, offer: Offer) -> None:
        waiter = self.picture.waiting.get(offer.call_id)
        if waiter is not None:
            waiter.caller = replace(waiter.caller,
                                    declined_by=waiter.caller.declined_by | {offer.operator})

    def operator_left(self, channel_id: str) -> None:
        for call_id, talk in list(self.picture.talking.items()):
            if talk.operator_channel == channel_id:
                del self.picture.talking[call_id]
                talk.session.queue.put_nowait(model.OperatorLeft())
                self.tasks.spawn(self._finish_talk(talk, hang_up_operator=False))

    async def _finish_talk(self, talk: Talk, *, hang_up_operator: bool) -> None:
        self.watch.talk_ended(talk, self.policy(talk.queue_id).wrapup)
        if hang_up_operator:
            with contextlib.suppress(AriError):
                await self.ari.hangup(talk.operator_channel)
        with contextlib.suppress(AriError):
            await self.ari.destroy_bridge(talk.bridge_id)
        await self.wrap_up(talk.operator, talk.queue_id)

    async def wrap_up(self, username: str, queue_id: int) -> None:
        op = self.picture.operators.get(username)
        if op is None:
            return
        now = time.time()
        op = replace(op, wrapup_until=now + self.policy(queue_id).wrapup, idle_since=now)
        self.picture.operators[username] = op
        await self.store.save(self.picture.operator_ids[username], op)
        self.watch.operator_changed(username, None)
        self.kick()

    async def ready(self, username: str) -> bool:
        """End wrap-up early (the operator saved the intake); False for an unknown operator."""
        op = self.picture.operators.get(username)
        if op is None:
            return False
        now = time.time()
        if op.wrapup_until > now:
            self.picture.operators[username] = op = replace(op, wrapup_until=now)
            await self.store.save(self.picture.operator_ids[username], op)
        self.watch.operator_changed(username, None)
        self.kick()
        return True

    async def missed_or_answered(self, username: str, *, answered: bool, queue_id: int) -> None:
        op = self.picture.operators.get(username)
        if op is None:
            return
        missed, pause = routing.after_offer(op, answered, self.policy(queue_id))
        op = replace(op, missed_in_row=missed, paused=op.paused or pause)
        self.picture.operators[username] = op
        operator_id = self.picture.operator_ids[username]
        await self.store.save(operator_id, op, "missed calls" if pause else None)
        self.watch.operator_changed(username, "missed calls" if pause else None)
        if pause:
            self.queue_event("pause", queue_id, None, operator=username, detail="missed calls")
        self.kick()

    # --- operators and endpoints ------------------------------------------------------
    async def operator_action(self, username: str, action: str, reason: str = "") -> bool:
        """Log in, pause (with a reason), resume or log out; False for an unknown operator."""
        op = self.picture.operators.get(username)
        if op is None:
            return False
        op = operator_state.apply_action(op, action, time.time())
        self.picture.operators[username] = op
        pause_reason = (reason or "break") if action == "pause" else ("" if op.logged_in else None)
        await self.store.save(self.picture.operator_ids[username], op, pause_reason)
        self.watch.operator_changed(username, pause_reason)
        kind = {"login": "login", "logout": "logout", "pause": "pause", "resume": "unpause"}
        for queue in op.queues:
            self.queue_event(kind[action], int(queue), None, operator=username,
                             detail=reason if action == "pause" else "")
        self.kick()
        return True

    async def reload(self) -> None:
        """Operators, their queues and state, and queue policies, from PostgreSQL."""
        loaded = await self.store.load()
        self.picture.operators = {o.id: o for o in loaded.operators}
        self.picture.operator_ids = loaded.ids
        self.picture.accept_by_key = loaded.accept_by_key
        self.picture.policies = loaded.policies
        self.kick()

    def endpoint_changed(self, event: ari.EndpointState) -> None:
        if event.technology != "PJSIP":
            return
        if event.online:
            self.picture.online.add(event.resource)
        else:
            self.picture.online.discard(event.resource)
        self.kick()

    async def refresh_endpoints(self) -> None:
        states = [ari.parse_endpoint(e) for e in await self.ari.endpoints("PJSIP")]
        self.picture.online = {s.resource for s in states if s.online}
        self.kick()

    def queue_event(self, kind: str, queue_id: int | None, call_id: uuid.UUID | None, *,
                     operator: str | None = None, wait: float | None = None,
                     detail: str = "") -> None:
        operator_id = self.picture.operator_ids.get(operator) if operator else None
        self.writer.put(records.QueueEvent(_at(time.time()), kind, queue_id, call_id,
                                           operator_id, wait, detail))


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
