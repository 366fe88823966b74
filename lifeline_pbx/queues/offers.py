"""Ringing an operator for one waiting call: originate, optional press-1-to-accept, outcome.

Each offer is the operator's leg and runs as its own task: it places the originate, then
handles the leg's events in order. Offers to several operators ring at once, so one slow
originate never holds the next. What an outcome means for the caller and the operator is
the distributor's (queues/talks.py, through queues/acd.py), told through the Outcomes port:
this module does not know the distributor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.errors import AriError
from lifeline_pbx.tasks import TaskRegistry

log = logging.getLogger(__name__)
ACCEPT_DIGIT = "1"

# How an offer ended.
RING_NO_ANSWER = "ring_no_answer"
DECLINED = "declined"  # answered, but not accepted (press-1) or hung up at once
FAILED = "failed"  # the originate was refused: Asterisk or the network, not the operator
WITHDRAWN = "withdrawn"  # the caller left or was served: not the operator's miss
LEFT = "left"  # the operator's leg of a bridged call hung up

# Operators' legs are named so: a leg still ringing is known as ours by its id alone
# (Asterisk shows nothing else of ours on it until it is answered: calls/adoption.py).
CHANNEL_PREFIX = "offer-"


@dataclass
class Offer:
    call_id: uuid.UUID
    operator: str
    channel_id: str
    accept_seconds: float
    answered: bool = False
    accepted: bool = False
    cancelled: bool = False  # the caller left: not the operator's miss
    last_key: tuple[str, str] = ("", "")  # the last key and its DtmfReceived.at
    hangup: tuple[int, bool] | None = None  # (cause, soft) of its first hang-up request
    events: asyncio.Queue[ari.Event] = field(default_factory=asyncio.Queue)


SAME_PRESS_SECONDS = 0.05


def same_press(last: tuple[str, str], digit: str, at: str) -> bool:
    """Whether a key is the last one again, not a new press. Each key comes twice with the
    same time (DtmfReceived.at); on a bridge being recorded, Asterisk also tells one press
    twice a few milliseconds apart ("*32#" read as "*322#"). Nobody presses one key twice
    within SAME_PRESS_SECONDS."""
    last_digit, last_at = last
    if not at or digit != last_digit:
        return False
    try:
        apart = abs((_when(at) - _when(last_at)).total_seconds())
    except ValueError:
        return at == last_at
    return apart < SAME_PRESS_SECONDS


def _when(at: str) -> datetime:
    return datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%f%z")


@dataclass(frozen=True)
class Dial:
    """What the operator's phone is rung with."""

    caller_id: str
    ring_timeout: float


class Outcomes(Protocol):
    def asks_to_accept(self, operator: str) -> bool:
        """Whether the operator presses 1 to take a call (a voicemail box cannot)."""

    async def answered(self, offer: Offer) -> bool:
        """The operator took the call: bridge it; False when it was not (the caller gone,
        or the bridge failed and the caller is back in the queue)."""

    async def ended(self, offer: Offer, outcome: str) -> None:
        """The operator's leg is over (one of the outcomes above)."""

    def keyed(self, offer: Offer, digit: str) -> None:
        """A key the operator pressed on a call they took (a feature code)."""


def caller_id(facility: str, language: str, did: str) -> str:
    """What the operator's phone shows: facility and language, never the caller."""
    name = f"{facility} [{language.upper()}]".replace('"', "'")[:60]
    return f'"{name}" <{did}>'


class OfferDesk:
    def __init__(self, ari_client: AriClient, accept_prompt: Callable[[], str],
                 outcomes: Outcomes, tasks: TaskRegistry) -> None:
        self.ari = ari_client
        self.tasks = tasks
        self.accept_prompt = accept_prompt
        self.outcomes = outcomes
        self.offers: dict[str, Offer] = {}

    def owns(self, channel_id: str) -> bool:
        return channel_id in self.offers

    def ringing_calls(self) -> set[uuid.UUID]:
        """The calls with an offer ringing (placed, not yet accepted)."""
        return {o.call_id for o in self.offers.values() if not o.accepted}

    def on_event(self, event: ari.Event) -> None:
        channel_id = ari.channel_id_of(event)
        offer = self.offers.get(channel_id or "")
        if offer is not None:
            offer.events.put_nowait(event)

    def place(self, call_id: uuid.UUID, username: str, dial: Dial) -> Offer:
        """Ring the operator in a task of its own; returns at once."""
        channel_id = f"{CHANNEL_PREFIX}{uuid.uuid4().hex[:16]}"
        offer = Offer(call_id, username, channel_id, dial.ring_timeout)
        self.offers[offer.channel_id] = offer
        self.tasks.spawn(self._run(offer, dial), name=f"offer-{username}")
        return offer

    def adopt_talking(self, call_id: uuid.UUID, operator: str, channel_id: str) -> None:
        """After a restart: an operator's leg already bridged with its caller."""
        offer = Offer(call_id, operator, channel_id, 0.0, answered=True, accepted=True)
        self.offers[channel_id] = offer
        self.tasks.spawn(self._events(offer), name=f"offer-{operator}")

    def cancel_for(self, call_id: uuid.UUID) -> None:
        for offer in list(self.offers.values()):
            if offer.call_id == call_id and not offer.accepted:
                offer.cancelled = True
                self.tasks.spawn(self._hang_up(offer))

    def withdraw(self, operator: str, call_id: uuid.UUID) -> None:
        """Hang up this call's offer to this operator while it rings (not once answered)."""
        for offer in list(self.offers.values()):
            if offer.operator == operator and offer.call_id == call_id and not offer.answered:
                offer.cancelled = True
                self.tasks.spawn(self._hang_up(offer))

    def gone(self, channel_id: str) -> None:
        """Asterisk no longer has this leg (its end was missed while disconnected).

        How it ended is unknown (rung out, or answered while our app was away, which
        Asterisk then hangs up): not counted as the operator's miss."""
        offer = self.offers.get(channel_id)
        if offer is not None:
            offer.cancelled = not offer.accepted
            self.on_event(ari.StasisEnd(ari.Channel(channel_id, "", "", "", "", "", "")))

    async def _run(self, offer: Offer, dial: Dial) -> None:
        try:
            await self.ari.originate(
                f"PJSIP/{offer.operator}",
                channel_id=offer.channel_id,
                caller_id=dial.caller_id,
                app_args=f"offer,{offer.call_id}",
                timeout=int(dial.ring_timeout),
            )
        except AriError as exc:
            log.warning("offer not placed operator=%s status=%s", offer.operator, exc.status)
            self.offers.pop(offer.channel_id, None)
            await self.outcomes.ended(offer, WITHDRAWN if offer.cancelled else FAILED)
            return
        if offer.cancelled:  # the caller left while the originate was on its way
            await self._hang_up(offer)
        await self._events(offer)

    async def _events(self, offer: Offer) -> None:
        while offer.channel_id in self.offers:
            event = await offer.events.get()
            try:
                await self._handle(offer, event)
            except Exception:
                log.exception("offer handler failed operator=%s", offer.operator)
                await self._hang_up(offer)

    async def _handle(self, offer: Offer, event: ari.Event) -> None:
        if isinstance(event, ari.StasisStart):
            offer.answered = True
            if self.outcomes.asks_to_accept(offer.operator):
                await self._ask_to_accept(offer)
            else:
                await self._accept(offer)
        elif isinstance(event, ari.HangupRequest):
            offer.hangup = offer.hangup or (event.cause, event.soft)
            if event.pbx_shutdown:
                # Asterisk is stopping: the ringing leg then ends like a ring-out, but the
                # operator missed nothing.
                offer.cancelled = not offer.accepted
        elif isinstance(event, ari.DtmfReceived):
            if same_press(offer.last_key, event.digit, event.at):
                return
            offer.last_key = (event.digit, event.at)
            if offer.answered and not offer.accepted and event.digit == ACCEPT_DIGIT:
                await self._accept(offer)
            elif offer.accepted:
                self.outcomes.keyed(offer, event.digit)
        elif isinstance(event, ari.StasisEnd | ari.ChannelDestroyed):
            del self.offers[offer.channel_id]
            if offer.cancelled:
                outcome = WITHDRAWN
            elif offer.accepted:
                outcome = LEFT
            else:
                outcome = DECLINED if offer.answered else RING_NO_ANSWER
            cause, soft = offer.hangup or (0, False)
            if isinstance(event, ari.ChannelDestroyed):
                cause, soft = event.cause, False
            log.info("offer ended operator=%s outcome=%s cause=%d soft=%s", offer.operator,
                     outcome, cause, soft)
            await self.outcomes.ended(offer, outcome)

    async def _ask_to_accept(self, offer: Offer) -> None:
        await self.ari.play(offer.channel_id, [self.accept_prompt()], f"accept-{offer.channel_id}")
        loop = asyncio.get_running_loop()
        loop.call_later(offer.accept_seconds, self._accept_timeout, offer)

    def _accept_timeout(self, offer: Offer) -> None:
        if offer.channel_id in self.offers and not offer.accepted:
            self.tasks.spawn(self._hang_up(offer))

    async def _hang_up(self, offer: Offer) -> None:
        with contextlib.suppress(AriError):
            await self.ari.hangup(offer.channel_id)

    async def _accept(self, offer: Offer) -> None:
        offer.accepted = True
        if not await self.outcomes.answered(offer):
            # The caller left (or someone else took the call) while this phone rang, or
            # the bridge failed: not the operator's miss.
            offer.cancelled = True
            await self._hang_up(offer)
