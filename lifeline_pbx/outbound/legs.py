"""Placing outbound legs: every call the PBX makes to someone (an operator's phone for the
on-call list, an outside number through the carrier trunk), guarded, recorded, audited.

The one way out of the PBX. A number goes through the toll-fraud guard (outbound/guard.py)
with the last hour's counts, read under one lock so that two requests at once cannot both
take the last leg of a limit; the leg (placed or refused) is written, the number sealed,
with its audit entry, in that same transaction; only then is it originated. The owner of a
leg (the escalation, later a transfer) gets its channel's events through `on_event`.
Log lines carry leg and call ids, never the number.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.errors import AriError
from lifeline_pbx.outbound import guard
from lifeline_pbx.outbound import legs_store as store
from lifeline_pbx.outbound.guard import Allowed, Policy, Recent, Refusal

log = logging.getLogger(__name__)
ENTITY = "outbound_leg"
APP_ARG = "outbound"  # the first Stasis argument of every leg we place
CHANNEL_PREFIX = "out-"  # and its channel's id: out-<leg id in hex>
Handler = Callable[[ari.Event], None]


@dataclass(frozen=True)
class Target:
    """Whom to ring: an operator's SIP account, or an outside number (as stored or typed)."""

    operator: str | None = None
    operator_id: int | None = None
    number: str | None = None


@dataclass(frozen=True)
class Request:
    purpose: str  # oncall, transfer, conference, callback
    call_id: uuid.UUID | None
    target: Target
    ring_seconds: int
    caller_id: str
    requested_by: int | None = None  # the operator asking; None: the engine
    actor: int | None = None  # the user behind it, for the audit log
    follow_up_id: uuid.UUID | None = None  # a relay call placed for this follow-up


@dataclass(frozen=True)
class Placed:
    leg_id: uuid.UUID
    channel_id: str


@dataclass(frozen=True)
class NotPlaced:
    """Asterisk refused the originate (the trunk or the phone is not there), or the leg
    could not be written first (no leg is placed that the guard has not counted)."""

    leg_id: uuid.UUID


class Phones(Protocol):
    """The distributor: an operator whose phone a leg rings is busy until it ends."""

    def engage(self, username: str, purpose: str) -> None: ...

    def release(self, username: str, purpose: str) -> None: ...


class OutboundLegs:
    def __init__(self, ari_client: AriClient, pool: asyncpg.Pool, keys: KeyRing,
                 policy: Policy, phones: Phones | None = None) -> None:
        self.ari = ari_client
        self.pool = pool
        self.keys = keys
        self.policy = policy
        self.phones = phones
        self._owners: dict[str, Handler] = {}
        # channel -> the operator whose phone it is, and the leg's purpose
        self._engaged: dict[str, tuple[str, str]] = {}

    def owns(self, channel_id: str) -> bool:
        return channel_id in self._owners

    def channels(self) -> list[str]:
        return list(self._owners)

    def on_event(self, event: ari.Event) -> None:
        channel_id = ari.channel_id_of(event)
        if channel_id is None:
            return
        handler = self._owners.get(channel_id)
        if isinstance(event, ari.ChannelDestroyed):
            self._owners.pop(channel_id, None)
            self._free(channel_id)
        if handler is not None:
            handler(event)

    async def place(self, request: Request, on_event: Handler) -> Placed | NotPlaced | Refusal:
        leg_id = uuid.uuid4()
        try:
            decision = await self._record(leg_id, request)
        except DATABASE_ERRORS as exc:
            log.error("outbound leg not written leg=%s call=%s purpose=%s error=%s", leg_id,
                      request.call_id, request.purpose, type(exc).__name__)
            return NotPlaced(leg_id)
        if isinstance(decision, Refusal):
            log.info("outbound leg refused leg=%s call=%s purpose=%s reason=%s", leg_id,
                     request.call_id, request.purpose, decision.value)
            return decision
        endpoint = (decision.endpoint(self.policy.trunk) if decision is not None
                    else f"PJSIP/{request.target.operator}")
        channel_id = f"{CHANNEL_PREFIX}{leg_id.hex}"
        self._owners[channel_id] = on_event
        if decision is None and request.target.operator and self.phones is not None:
            self._engaged[channel_id] = (request.target.operator, request.purpose)
            self.phones.engage(request.target.operator, request.purpose)
        try:
            await self.ari.originate(endpoint, channel_id=channel_id, caller_id=request.caller_id,
                                     app_args=f"{APP_ARG},{leg_id}",
                                     timeout=request.ring_seconds)
        except AriError as exc:
            self._owners.pop(channel_id, None)
            self._free(channel_id)
            log.warning("outbound leg not placed leg=%s call=%s status=%d", leg_id,
                        request.call_id, exc.status)
            await self.finish(leg_id, "failed")
            return NotPlaced(leg_id)
        log.info("outbound leg placed leg=%s call=%s purpose=%s trunk=%s", leg_id,
                 request.call_id, request.purpose, decision is not None)
        return Placed(leg_id, channel_id)

    def adopt(self, channel_id: str, channel_name: str, purpose: str,
              on_event: Handler) -> None:
        """A leg placed before a restart that this process carries on; an operator's phone
        it rings is busy again (a leg through the trunk rings nobody's)."""
        self._owners[channel_id] = on_event
        endpoint = channel_name.split("/", 1)[-1].rsplit("-", 1)[0]
        if endpoint and endpoint != self.policy.trunk and self.phones is not None:
            self._engaged[channel_id] = (endpoint, purpose)
            self.phones.engage(endpoint, purpose)

    def _free(self, channel_id: str) -> None:
        engaged = self._engaged.pop(channel_id, None)
        if engaged is not None and self.phones is not None:
            self.phones.release(*engaged)

    async def _record(self, leg_id: uuid.UUID, request: Request) -> Allowed | Refusal | None:
        """The guard's decision (None: a leg to an operator's phone, no trunk), written
        with its audit entry in one transaction."""
        target = request.target
        async with self.pool.acquire() as con, con.transaction():
            decision: Allowed | Refusal | None = None
            sealed = None
            if target.number is not None:
                await store.lock(con)
                every, theirs = await store.recent(con, request.requested_by)
                decision = guard.decide(self.policy, target.number, request.requested_by,
                                        Recent(every, theirs))
                shown = decision.number if isinstance(decision, Allowed) else target.number
                sealed = self.keys.seal(shown[:64], place("outbound_legs", "number", leg_id))
            refusal = decision.value if isinstance(decision, Refusal) else None
            await store.add(con, store.NewLeg(
                leg_id, request.call_id, request.purpose, request.requested_by,
                target.operator_id, sealed, target.number is not None, refusal,
                request.follow_up_id))
            fields = ["number"] if target.number is not None else ["target_operator"]
            await audit.record(con, request.actor, "create", ENTITY, leg_id,
                               [*fields, "refusal"] if refusal else fields)
        return decision

    # A leg's answer and end are written when the database allows; a write that fails is
    # logged and the call goes on (the person who answered is not dropped for a record).
    async def answered(self, leg_id: uuid.UUID) -> None:
        try:
            async with self.pool.acquire() as con:
                await store.answered(con, leg_id)
        except DATABASE_ERRORS as exc:
            log.error("outbound leg answer not written leg=%s error=%s", leg_id,
                      type(exc).__name__)

    async def finish(self, leg_id: uuid.UUID, outcome: str) -> None:
        try:
            async with self.pool.acquire() as con:
                await store.ended(con, leg_id, outcome)
        except DATABASE_ERRORS as exc:
            log.error("outbound leg end not written leg=%s outcome=%s error=%s", leg_id,
                      outcome, type(exc).__name__)
            return
        log.info("outbound leg ended leg=%s outcome=%s", leg_id, outcome)

    async def hang_up(self, channel_id: str) -> None:
        try:
            await self.ari.hangup(channel_id)
        except AriError as exc:
            if not exc.gone:
                raise
