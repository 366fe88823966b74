"""What an operator's console is told of their warm transfer or transfer out, in words:
where it stands, and how it ended when the operator did not end it themselves (the other
party did not answer or hung up, the call could not be placed, a step failed). Pure;
transfers/service.py pushes each change through the console's live feed.

An outside number is never shown: a transfer out is "the number".
"""

from __future__ import annotations

import enum

from lifeline_pbx.transfers.rules import Event, Stage


class Outcome(enum.Enum):
    RINGING = "ringing"
    CONSULTING = "consulting"  # the other party answered; the operator talks to them
    NOT_PLACED = "not_placed"
    NO_ANSWER = "no_answer"
    DECLINED = "declined"
    HUNG_UP = "hung_up"
    FAILED = "failed"  # a step of ours failed
    RETURNED = "returned"  # the operator went back to the caller
    COMPLETED = "completed"
    REQUEUED = "requeued"  # out, the operator gone, nobody answered: the caller queues
    CALLER_GONE = "caller_gone"


OPEN = frozenset({Outcome.RINGING, Outcome.CONSULTING})
# Endings the operator did not ask for: shown as a warning.
UNASKED = frozenset({Outcome.NOT_PLACED, Outcome.NO_ANSWER, Outcome.DECLINED, Outcome.HUNG_UP,
                     Outcome.FAILED, Outcome.REQUEUED, Outcome.CALLER_GONE})

# Asterisk's hang-up causes (Q.850) of a leg that ended before it was answered.
NO_ANSWER_CAUSES = frozenset({18, 19})  # no user responding, no answer (the ring timeout)
DECLINED_CAUSES = frozenset({17, 21})  # busy, call rejected

BACK = "you are back with the caller."


def gone(answered: bool, cause: int) -> Outcome:
    """The other party's leg ended: hung up once answered; before, by its cause."""
    if answered:
        return Outcome.HUNG_UP
    if cause in NO_ANSWER_CAUSES:
        return Outcome.NO_ANSWER
    if cause in DECLINED_CAUSES:
        return Outcome.DECLINED
    return Outcome.NOT_PLACED


_ASKED = {Event.COMPLETE: Outcome.COMPLETED, Event.OPERATOR_GONE: Outcome.COMPLETED,
          Event.RETURN: Outcome.RETURNED, Event.CALLER_GONE: Outcome.CALLER_GONE}


def outcome(before: Stage, after: Stage, event: Event, answered: bool = False,
            cause: int = 0) -> Outcome | None:
    """What a warm step (rules.warm_step) comes to, or None when there is nothing new to
    tell: refused, or the operator left while it rang (their console has the call's end).
    answered and cause: the other party's leg, for GONE."""
    if after is before or after is Stage.UNATTENDED:
        return None
    if after is Stage.CONSULTING:
        return Outcome.CONSULTING
    if before is Stage.UNATTENDED and event is Event.GONE:
        return Outcome.REQUEUED
    if event is Event.ANSWERED:  # answered once the operator had left: handed over
        return Outcome.COMPLETED
    return _ASKED.get(event) or gone(answered, cause)


def words(outcome: Outcome, to: str, reason: str = "") -> str:
    """The console's words; `to` the operator's name, or "" for a number (never shown).
    reason: why the call could not be placed (the guard's refusal), if known."""
    who, who_ = (to, to) if to else ("the number", "The number")  # a name stays as it is
    match outcome:
        case Outcome.RINGING:
            return f"Ringing {who}; the caller hears music. Complete, or go back to the caller."
        case Outcome.CONSULTING:
            return (f"{who_} answered; the caller hears music. Complete, or go back to the "
                    "caller.")
        case Outcome.NOT_PLACED if reason:
            return f"{reason} You are back with the caller."
        case Outcome.NOT_PLACED:
            return f"The call to {who} could not be placed: {BACK}"
        case Outcome.NO_ANSWER:
            return f"{who_} did not answer: {BACK}"
        case Outcome.DECLINED:
            return f"{who_} declined the call: {BACK}"
        case Outcome.HUNG_UP:
            return f"{who_} hung up: {BACK}"
        case Outcome.FAILED:
            return f"The transfer to {who} failed: {BACK}"
        case Outcome.RETURNED:
            return "Back with the caller."
        case Outcome.COMPLETED:
            return "Transferred."
        case Outcome.REQUEUED:
            return f"{who_} did not answer: the caller is back in the queue."
        case Outcome.CALLER_GONE:
            return "The caller hung up."
