"""The call distributor's live picture: who waits, who talks, which operators, which policies.

Plain data, held by queues/acd.py and the parts it wires, and read by the live views (the
operator console, the supervisors' tables). Calls appear through their handles
(queues/handle.py); the operators' side is the frozen Staff that queues/staff.step changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from lifeline_pbx.queues import routing
from lifeline_pbx.queues.handle import CallHandle
from lifeline_pbx.queues.staff import Staff

# The talk's operator once a transfer handed the caller to an outside number: no SIP
# username can look like it (operators/store.USERNAME).
OUTSIDE = "(outside)"
# How an operator's talk ended (TalkEnd.how), as their console says it.
CALLER_LEFT = "caller"  # the caller hung up (or the facility cut the line: the same to us)
OPERATOR_LEFT = "operator"  # the operator hung up
PHONE_LOST = "lost"  # the operator's phone was lost: the caller back in the queue
TRANSFERRED = "transferred"  # handed over (a warm transfer completed)
REQUEUED = "requeued"  # the operator sent the caller to another queue


@dataclass(frozen=True)
class TalkEnd:
    how: str
    to: str = ""  # transferred: the SIP username now on the call (or the outside number's)


@dataclass(frozen=True)
class CutOff:
    """The caller's talk with an operator before was lost with that operator's phone."""

    operator: str  # SIP username
    at: float  # epoch seconds


@dataclass
class Waiter:
    call: CallHandle
    caller: routing.Caller
    queue_id: int
    last_announced: float | None = None
    not_bridged: int = 0  # answers whose bridge failed (queues/talks.py BRIDGE_TRIES)
    cut_off: CutOff | None = None


@dataclass
class Talk:
    call: CallHandle
    operator: str
    bridge_id: str
    operator_channel: str
    queue_id: int
    connected_at: float = 0.0  # epoch seconds; 0 when adopted after a restart
    waited: float = 0.0  # seconds the caller waited in the queue
    cut_off: CutOff | None = None  # put back in the queue when the last operator's phone died


@dataclass
class Picture:
    waiting: dict[uuid.UUID, Waiter] = field(default_factory=dict)
    talking: dict[uuid.UUID, Talk] = field(default_factory=dict)
    bridging: dict[uuid.UUID, Waiter] = field(default_factory=dict)  # answered, being bridged
    staff: Staff = field(default_factory=Staff)
    operator_ids: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # SIP username -> display name
    accept_by_key: set[str] = field(default_factory=set)
    # Operators whose phone is on a leg the distributor did not place (a relay call, a
    # transfer to them, an on-call bridge): the legs' purposes, oldest first. Busy for
    # routing and for the live views, however many such legs.
    engaged: dict[str, list[str]] = field(default_factory=dict)
    # Queues with callers waiting and nobody to ring (routing.nobody_to_ring): since when.
    unstaffed: dict[int, float] = field(default_factory=dict)

    def free(self, now: float) -> list[routing.Operator]:
        """The operators a call may be offered to now: none with a leg placed by others."""
        engaged = self.engaged
        return [op for op in self.staff.free(now) if op.id not in engaged]

    def side_call(self, username: str) -> str | None:
        """The purpose of the latest such leg on this operator's phone, if any."""
        purposes = self.engaged.get(username)
        return purposes[-1] if purposes else None

    @property
    def operators(self) -> Mapping[str, routing.Operator]:
        return self.staff.operators

    @property
    def online(self) -> frozenset[str]:
        return self.staff.online

    @property
    def policies(self) -> Mapping[int, routing.Policy]:
        return self.staff.policies

    def policy(self, queue_id: int) -> routing.Policy:
        return self.staff.policy(queue_id)
