"""What goes into the operators' step (queues/staff.step) and what comes out of it.

Events: what happened to an operator or their phone (a feature code or the console, a
registration, an offer's life, a call's end, wrap-up). Decisions: what the shell
(queues/staff_shell.py) is to do about it (save, tell the live views, write the queue
log, ring, withdraw an offer). Frozen dataclasses, no logic.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from lifeline_pbx.queues.routing import Operator, Policy


# --- events ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Action:
    """login, pause (with a reason), resume or logout: a feature code or the console."""

    username: str
    action: str
    reason: str = ""


@dataclass(frozen=True)
class Registration:
    """A SIP endpoint came online or went offline (any endpoint, operator or not)."""

    username: str
    online: bool


@dataclass(frozen=True)
class Registrations:
    """Every endpoint online now, as a listing asked of Asterisk found them.

    heard_since: endpoints whose state an event told after the listing was asked. The
    event is the newer word (the listing's answer may arrive after it): they keep the
    state the picture holds."""

    online: frozenset[str]
    heard_since: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Loaded:
    """Operators and policies read again from PostgreSQL; calls in flight are kept.

    For an operator already in the picture only what admins set (languages, queues) is
    taken: the picture is the truth about what they are doing (logged in, paused, wrap-up),
    and a reload whose read raced a login must not undo it. Operators new to the picture
    come with their stored state; those no longer loaded (disabled) leave it.
    """

    operators: Mapping[str, Operator]
    policies: Mapping[int, Policy]


@dataclass(frozen=True)
class OfferPlaced:
    username: str
    call_id: uuid.UUID


@dataclass(frozen=True)
class OfferAnswered:
    username: str
    call_id: uuid.UUID


@dataclass(frozen=True)
class OfferMissed:
    """Rang out, rejected, or answered but not accepted in time: the operator's miss.

    queue_id None: the caller was no longer waiting, so nobody counts it.
    """

    username: str
    call_id: uuid.UUID
    queue_id: int | None


@dataclass(frozen=True)
class OfferFailed:
    """The offer could not be placed (Asterisk refused or did not answer the originate).

    A fault of the PBX or the network, not the operator's miss: it never counts toward
    the pause for missed calls; the phone is left alone for a while instead.
    """

    username: str
    call_id: uuid.UUID
    queue_id: int | None


@dataclass(frozen=True)
class OfferWithdrawn:
    """The caller left or was served while this phone rang: not the operator's miss."""

    username: str
    call_id: uuid.UUID


@dataclass(frozen=True)
class CallEnded:
    username: str
    call_id: uuid.UUID
    queue_id: int


@dataclass(frozen=True)
class TalkAdopted:
    """After a restart: Asterisk still bridges this operator with a caller."""

    username: str
    call_id: uuid.UUID


@dataclass(frozen=True)
class WrapUpOver:
    """The operator is ready before wrap-up ends (they saved the intake)."""

    username: str


@dataclass(frozen=True)
class MoreTime:
    """The operator asks for more wrap-up time (queues/more_time.py decides)."""

    username: str


Event = (
    Action | Registration | Registrations | Loaded | OfferPlaced | OfferAnswered | OfferMissed
    | OfferFailed | OfferWithdrawn | CallEnded | TalkAdopted | WrapUpOver | MoreTime
)


# --- decisions ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Save:
    """Store the operator's state; pause_reason None keeps the stored reason."""

    username: str
    pause_reason: str | None


@dataclass(frozen=True)
class Changed:
    """Tell the live views (pause_reason None: unchanged)."""

    username: str
    pause_reason: str | None


@dataclass(frozen=True)
class Logged:
    """A line in the queue log for each queue."""

    kind: str
    username: str
    queue_ids: tuple[int, ...]
    detail: str = ""


@dataclass(frozen=True)
class Ring:
    """Place the offer: ring the operator's phone for this call."""

    username: str
    call_id: uuid.UUID


@dataclass(frozen=True)
class Withdraw:
    """Hang up the offer ringing this operator's phone: the phone went offline, so it rings
    nowhere (a phone that died without unregistering is found out only by Asterisk's
    qualify). Until its ring timeout it would hold the caller from a phone that comes back
    at once; withdrawn, it is not the operator's miss and the caller is offered again."""

    username: str
    call_id: uuid.UUID


Decision = Save | Changed | Logged | Ring | Withdraw
