"""transfers/told.py: what the operator's console is told of their transfer, as tables:
each warm step's outcome, and its words."""

from __future__ import annotations

import pytest

from lifeline_pbx.transfers import rules, told
from lifeline_pbx.transfers.rules import Ask, Event, Stage
from lifeline_pbx.transfers.told import Outcome

OUTCOMES = [
    # (before, event, answered, cause, outcome)
    (Stage.RINGING, Event.ANSWERED, True, 0, Outcome.CONSULTING),
    (Stage.RINGING, Event.GONE, False, 19, Outcome.NO_ANSWER),  # the ring timeout
    (Stage.RINGING, Event.GONE, False, 18, Outcome.NO_ANSWER),
    (Stage.RINGING, Event.GONE, False, 17, Outcome.DECLINED),  # busy
    (Stage.RINGING, Event.GONE, False, 21, Outcome.DECLINED),  # rejected
    (Stage.RINGING, Event.GONE, False, 16, Outcome.NOT_PLACED),  # ended, never rang
    (Stage.RINGING, Event.GONE, False, 20, Outcome.NOT_PLACED),  # their phone is gone
    (Stage.RINGING, Event.GONE, False, 0, Outcome.NOT_PLACED),
    (Stage.RINGING, Event.RETURN, False, 0, Outcome.RETURNED),
    (Stage.RINGING, Event.CALLER_GONE, False, 0, Outcome.CALLER_GONE),
    (Stage.RINGING, Event.COMPLETE, False, 0, None),  # refused: nothing new
    (Stage.RINGING, Event.OPERATOR_GONE, False, 0, None),
    (Stage.CONSULTING, Event.GONE, True, 16, Outcome.HUNG_UP),
    (Stage.CONSULTING, Event.GONE, True, 19, Outcome.HUNG_UP),  # answered: the cause aside
    (Stage.CONSULTING, Event.COMPLETE, True, 0, Outcome.COMPLETED),
    (Stage.CONSULTING, Event.OPERATOR_GONE, True, 0, Outcome.COMPLETED),
    (Stage.CONSULTING, Event.RETURN, True, 0, Outcome.RETURNED),
    (Stage.CONSULTING, Event.CALLER_GONE, True, 0, Outcome.CALLER_GONE),
    (Stage.CONSULTING, Event.ANSWERED, True, 0, None),
    (Stage.DONE, Event.GONE, False, 19, None),
]


@pytest.mark.parametrize(("before", "event", "answered", "cause", "expected"), OUTCOMES)
def test_outcome(before: Stage, event: Event, answered: bool, cause: int,
                 expected: Outcome | None) -> None:
    after, _ = rules.warm_step(before, event)
    assert told.outcome(before, after, event, answered, cause) is expected


OUT_OUTCOMES = [
    # A transfer out whose operator hung up while it rang: their console has the call's end.
    (Stage.RINGING, Event.OPERATOR_GONE, False, 0, None),
    (Stage.UNATTENDED, Event.ANSWERED, True, 0, Outcome.COMPLETED),
    (Stage.UNATTENDED, Event.GONE, False, 19, Outcome.REQUEUED),
    (Stage.UNATTENDED, Event.CALLER_GONE, False, 0, Outcome.CALLER_GONE),
    (Stage.RINGING, Event.GONE, False, 19, Outcome.NO_ANSWER),
]


@pytest.mark.parametrize(("before", "event", "answered", "cause", "expected"), OUT_OUTCOMES)
def test_out_outcome(before: Stage, event: Event, answered: bool, cause: int,
                     expected: Outcome | None) -> None:
    after, _ = rules.warm_step(before, event, Ask.OUT)
    assert told.outcome(before, after, event, answered, cause) is expected


BACK = "you are back with the caller."
WORDS = [
    # (outcome, to, reason, words)
    (Outcome.RINGING, "op-b", "",
     "Ringing op-b; the caller hears music. Complete, or go back to the caller."),
    (Outcome.RINGING, "", "",
     "Ringing the number; the caller hears music. Complete, or go back to the caller."),
    (Outcome.CONSULTING, "op-b", "",
     "op-b answered; the caller hears music. Complete, or go back to the caller."),
    (Outcome.NOT_PLACED, "op-b", "", f"The call to op-b could not be placed: {BACK}"),
    (Outcome.NOT_PLACED, "", "", f"The call to the number could not be placed: {BACK}"),
    (Outcome.NOT_PLACED, "", "You have placed as many outside calls as allowed this hour.",
     "You have placed as many outside calls as allowed this hour. You are back with the "
     "caller."),
    (Outcome.NO_ANSWER, "op-b", "", f"op-b did not answer: {BACK}"),
    (Outcome.NO_ANSWER, "", "", f"The number did not answer: {BACK}"),
    (Outcome.DECLINED, "op-b", "", f"op-b declined the call: {BACK}"),
    (Outcome.HUNG_UP, "op-b", "", f"op-b hung up: {BACK}"),
    (Outcome.HUNG_UP, "", "", f"The number hung up: {BACK}"),
    (Outcome.FAILED, "op-b", "", f"The transfer to op-b failed: {BACK}"),
    (Outcome.RETURNED, "op-b", "", "Back with the caller."),
    (Outcome.COMPLETED, "op-b", "", "Transferred."),
    (Outcome.REQUEUED, "", "", "The number did not answer: the caller is back in the queue."),
    (Outcome.CALLER_GONE, "op-b", "", "The caller hung up."),
]


@pytest.mark.parametrize(("outcome", "to", "reason", "words"), WORDS)
def test_words(outcome: Outcome, to: str, reason: str, words: str) -> None:
    assert told.words(outcome, to, reason) == words


def test_every_outcome_has_words() -> None:
    assert {o for o, *_ in WORDS} == set(Outcome)
    assert not told.OPEN & told.UNASKED
