"""Ringing an operator for one waiting call: originate, optional press-1-to-accept, outcome.

Each offer is the operator's leg; its events are handled in order by the offer's own task.
A leg that rings out, is rejected, or is not accepted in time counts as a missed offer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lifeline_pbx.ari import events as ari
from lifeline_pbx.errors import AriError
from lifeline_pbx.queues import routing

if TYPE_CHECKING:
    from lifeline_pbx.queues.acd import Acd
    from lifeline_pbx.queues.picture import Waiter

log = logging.getLogger(__name__)
ACCEPT_DIGIT = "1"


@dataclass
class Offer:
    call_id: uuid.UUID
    operator: str
    channel_id: str
    accept_seconds: float
    answered: bool = False
    accepted: bool = False
    cancelled: bool = False  # the caller left: not the operator's miss
    events: asyncio.Queue[ari.Event] = field(default_factory=asyncio.Queue)


def caller_id(facility: str, language: str, did: str) -> str:
    """What the operator's phone shows: facility and language, never the caller."""
    name = f"{facility} [{language.upper()}]".replace('"', "'")[:60]
    return f'"{name}" <{did}>'


class OfferDesk:
    def __init__(self, acd: Acd) -> None:
        self.acd = acd
        self.offers: dict[str, Offer] = {}

    def owns(self, channel_id: str) -> bool:
        return channel_id in self.offers

    def ringing_for(self, call_id: uuid.UUID) -> bool:
        return any(o.call_id == call_id and not o.accepted for o in self.offers.values())

    def ringing_operator(self, username: str) -> bool:
        return any(o.operator == username and not o.accepted for o in self.offers.values())

    def on_event(self, event: ari.Event) -> None:
        channel_id = ari.channel_id_of(event)
        offer = self.offers.get(channel_id or "")
        if offer is not None:
            offer.events.put_nowait(event)

    async def offer(self, waiter: Waiter, username: str, policy: routing.Policy) -> None:
        session = waiter.session
        line = session.state.line
        offer = Offer(session.call_id, username, f"offer-{uuid.uuid4().hex[:16]}",
                      policy.ring_timeout)
        self.offers[offer.channel_id] = offer
        task = self.acd.tasks.spawn(self._run(offer))
        try:
            await self.acd.ari.originate(
                f"PJSIP/{username}",
                channel_id=offer.channel_id,
                caller_id=caller_id(line.facility_name if line else "", waiter.caller.language,
                                    line.did if line else ""),
                app_args=f"offer,{session.call_id}",
                timeout=int(policy.ring_timeout),
            )
        except AriError as exc:
            log.warning("offer not placed operator=%s status=%s", username, exc.status)
            task.cancel()
            await self._missed(offer, "unreachable")

    async def _run(self, offer: Offer) -> None:
        while offer.channel_id in self.offers:
            event = await offer.events.get()
            try:
                await self._handle(offer, event)
            except Exception:
                log.exception("offer handler failed operator=%s", offer.operator)
                with contextlib.suppress(AriError):
                    await self.acd.ari.hangup(offer.channel_id)

    async def _handle(self, offer: Offer, event: ari.Event) -> None:
        if isinstance(event, ari.StasisStart):
            offer.answered = True
            if offer.operator in self.acd.picture.accept_by_key:
                await self._ask_to_accept(offer)
            else:
                await self._accept(offer)
        elif isinstance(event, ari.DtmfReceived):
            if offer.answered and not offer.accepted and event.digit == ACCEPT_DIGIT:
                await self._accept(offer)
        elif isinstance(event, ari.StasisEnd | ari.ChannelDestroyed):
            del self.offers[offer.channel_id]
            if offer.cancelled:
                self.acd.kick()
            elif offer.accepted:
                self.acd.operator_left(offer.channel_id)
            else:
                await self._missed(offer, "declined" if offer.answered else "ring_no_answer")

    async def _ask_to_accept(self, offer: Offer) -> None:
        media = [self.acd.media_uri("en", "accept-call")]
        await self.acd.ari.play(offer.channel_id, media, f"accept-{offer.channel_id}")
        loop = asyncio.get_running_loop()
        loop.call_later(offer.accept_seconds, self._accept_timeout, offer)

    def _accept_timeout(self, offer: Offer) -> None:
        if offer.channel_id in self.offers and not offer.accepted:
            self.acd.tasks.spawn(self._hang_up(offer))

    async def _hang_up(self, offer: Offer) -> None:
        with contextlib.suppress(AriError):
            await self.acd.ari.hangup(offer.channel_id)

    async def _accept(self, offer: Offer) -> None:
        offer.accepted = True
        if not await self.acd.connect(offer):
            # The caller left (or someone else took the call) while this phone rang.
            await self._hang_up(offer)

    async def _missed(self, offer: Offer, outcome: str) -> None:
        self.offers.pop(offer.channel_id, None)
        waiter = self.acd.picture.waiting.get(offer.call_id)
        queue_id = waiter.queue_id if waiter else None
        self.acd.declined(offer)
        self.acd.queue_event(outcome if outcome != "unreachable" else "ring_no_answer",
                             queue_id, offer.call_id, operator=offer.operator)
        if queue_id is not None:
            await self.acd.missed_or_answered(offer.operator, answered=False, queue_id=queue_id)
        self.acd.kick()

    def adopt_talking(self, call_id: uuid.UUID, operator: str, channel_id: str) -> None:
        """After a restart: an operator's leg already bridged with its caller."""
        offer = Offer(call_id, operator, channel_id, 0.0, answered=True, accepted=True)
        self.offers[channel_id] = offer
        self.acd.tasks.spawn(self._run(offer))

    def cancel_for(self, call_id: uuid.UUID) -> None:
        for offer in list(self.offers.values()):
            if offer.call_id == call_id and not offer.accepted:
                offer.cancelled = True
                self.acd.tasks.spawn(self._hang_up(offer))
