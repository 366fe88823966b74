"""What an operator may do with the call they are on: bring in a third party by number
(conference), hand the caller to another operator (warm transfer), or call someone
separately (a relay call). Pure; transfers/service.py asks before any leg is placed.

The line's policy decides what reaches the outside while the caller is on the line:
three-way calls and transfers out are off unless an admin allowed them for the line
(facility phones may cut, or a contract may punish, a call that connects a third party).
A relay call never joins the caller, so no line policy stops it; the toll-fraud guard
(outbound/guard.py) still decides every number.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Ask(enum.Enum):
    CONFERENCE = "conference"  # a number through the trunk, into the caller's call
    WARM = "warm"  # another operator or a supervisor, talked to first
    RELAY = "relay"  # a number through the trunk, from the operator's phone alone
    QUEUE = "queue"  # back to waiting, in another queue (another language)
    OUT = "out"  # the caller to a number through the trunk, talked to first (warm)


# Both hold the caller while the operator talks to the other party first.
HANDING = frozenset({Ask.WARM, Ask.OUT})


NOT_YOURS = "You can do this only on a call you are talking on now."
THREE_WAY_OFF = ("Three-way calls are not allowed on this line (the facility may cut or "
                 "punish them). Call the person separately instead (relay call).")
TRANSFER_OFF = ("Transfers to outside numbers are not allowed on this line (the facility may "
                "cut or punish them). Call the person separately instead (relay call).")
BUSY = "Finish the transfer or the call you have open first."
NO_NUMBER = "Give the number to call."
NOT_AN_OPERATOR = "Choose another operator or supervisor who is logged in and free."
NO_QUEUE = "Choose a queue and a language."


@dataclass(frozen=True)
class Facts:
    """What the engine knows when the operator asks."""

    mine: bool  # the caller's call is bridged with this operator now
    three_way_allowed: bool  # the call's line allows a third party
    side_open: bool  # the operator already has a transfer, conference or relay leg
    number: str = ""  # as typed, for a conference or relay
    target_free: bool = False  # warm transfer: the chosen operator may take it now
    queue_known: bool = False  # queue transfer: that queue and language exist
    transfer_allowed: bool = False  # the call's line allows handing the caller outside


def refusal(ask: Ask, facts: Facts) -> str | None:
    """The first reason to refuse, or None; the number itself is the guard's to judge."""
    if facts.side_open:
        return BUSY
    if ask is Ask.RELAY:
        return None if facts.number.strip() else NO_NUMBER
    if not facts.mine:
        return NOT_YOURS
    if ask is Ask.CONFERENCE:
        if not facts.three_way_allowed:
            return THREE_WAY_OFF
        return None if facts.number.strip() else NO_NUMBER
    if ask is Ask.OUT:
        if not facts.transfer_allowed:
            return TRANSFER_OFF
        return None if facts.number.strip() else NO_NUMBER
    if ask is Ask.QUEUE:
        return None if facts.queue_known else NO_QUEUE
    return None if facts.target_free else NOT_AN_OPERATOR


class Stage(enum.Enum):
    RINGING = "ringing"  # the caller hears music; the other party's phone rings
    CONSULTING = "consulting"  # the operator talks with them; the caller still on hold
    UNATTENDED = "unattended"  # out: the operator hung up while it rang; the caller holds
    DONE = "done"


class Event(enum.Enum):
    ANSWERED = "answered"  # the other party picked up
    GONE = "gone"  # the other party hung up, or never answered
    COMPLETE = "complete"  # the operator hands the caller over
    RETURN = "return"  # the operator goes back to the caller alone
    CALLER_GONE = "caller_gone"
    OPERATOR_GONE = "operator_gone"  # the operator hung up their own phone


# Keys on the operator's phone while they talk to the other party of a warm transfer.
PHONE_KEYS = {"#": Event.COMPLETE, "*": Event.RETURN}


class Step(enum.Enum):
    CONSULT = "consult"  # the other party into the operator's consultation bridge
    HAND_OVER = "hand_over"  # caller and other party together; the operator leaves
    RESUME = "resume"  # the caller back with the operator, music off
    HANG_UP_OTHER = "hang_up_other"
    REFUSE = "refuse"  # nothing to do in this stage: say so, change nothing
    UNATTEND = "unattend"  # the operator is gone: the other party's leg stands for them
    REQUEUE = "requeue"  # the caller back to their queue (nobody left to return to)


# (stage, event) -> (next stage, steps). A pair not here: refused, nothing changes.
_WARM: dict[tuple[Stage, Event], tuple[Stage, tuple[Step, ...]]] = {
    (Stage.RINGING, Event.ANSWERED): (Stage.CONSULTING, (Step.CONSULT,)),
    (Stage.RINGING, Event.GONE): (Stage.DONE, (Step.RESUME,)),
    (Stage.RINGING, Event.RETURN): (Stage.DONE, (Step.HANG_UP_OTHER, Step.RESUME)),
    (Stage.RINGING, Event.CALLER_GONE): (Stage.DONE, (Step.HANG_UP_OTHER,)),
    (Stage.CONSULTING, Event.COMPLETE): (Stage.DONE, (Step.HAND_OVER,)),
    (Stage.CONSULTING, Event.RETURN): (Stage.DONE, (Step.HANG_UP_OTHER, Step.RESUME)),
    (Stage.CONSULTING, Event.GONE): (Stage.DONE, (Step.RESUME,)),
    (Stage.CONSULTING, Event.CALLER_GONE): (Stage.DONE, (Step.HANG_UP_OTHER,)),
    # Hanging up after talking to them hands the caller over (as on most phones); while
    # it still rings, the call ends as when an operator hangs up (refused here).
    (Stage.CONSULTING, Event.OPERATOR_GONE): (Stage.DONE, (Step.HAND_OVER,)),
}


# To an outside number the same, except that an operator who hangs up while it rings does
# not end the call: the caller holds on; handed over if they answer, else queued again
# (never left alone with music, never cut: the number may be their one chance today).
_OUT = {
    **_WARM,
    (Stage.RINGING, Event.OPERATOR_GONE): (Stage.UNATTENDED, (Step.UNATTEND,)),
    (Stage.UNATTENDED, Event.ANSWERED): (Stage.DONE, (Step.HAND_OVER,)),
    (Stage.UNATTENDED, Event.GONE): (Stage.DONE, (Step.REQUEUE,)),
    (Stage.UNATTENDED, Event.CALLER_GONE): (Stage.DONE, (Step.HANG_UP_OTHER,)),
}


def warm_step(stage: Stage, event: Event, ask: Ask = Ask.WARM
              ) -> tuple[Stage, tuple[Step, ...]]:
    """The warm transfer's next stage and what to do; complete before the other party
    answered, or anything once done, is refused and changes nothing."""
    table = _OUT if ask is Ask.OUT else _WARM
    return table.get((stage, event), (stage, (Step.REFUSE,)))
