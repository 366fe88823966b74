"""transfers/rules.py: what an operator may ask on their call, and the warm transfer's
steps, as tables."""

from __future__ import annotations

import pytest

from lifeline_pbx.calls import flow
from lifeline_pbx.calls.model import Connected, Digit, EnterQueue, Phase, Requeued
from lifeline_pbx.transfers import rules
from lifeline_pbx.transfers.rules import Ask, Event, Facts, Stage, Step
from tests.test_flow import run, to_triage

NUMBER = "+12025550143"

REFUSALS = [
    # (ask, facts, refusal)
    (Ask.CONFERENCE, Facts(True, True, False, NUMBER), None),
    (Ask.CONFERENCE, Facts(True, False, False, NUMBER), rules.THREE_WAY_OFF),
    (Ask.CONFERENCE, Facts(False, True, False, NUMBER), rules.NOT_YOURS),
    (Ask.CONFERENCE, Facts(True, True, True, NUMBER), rules.BUSY),
    (Ask.CONFERENCE, Facts(True, True, False, "  "), rules.NO_NUMBER),
    (Ask.WARM, Facts(True, False, False, target_free=True), None),  # inside the hotline
    (Ask.WARM, Facts(True, False, False, target_free=False), rules.NOT_AN_OPERATOR),
    (Ask.WARM, Facts(False, True, False, target_free=True), rules.NOT_YOURS),
    (Ask.WARM, Facts(True, True, True, target_free=True), rules.BUSY),
    (Ask.RELAY, Facts(False, False, False, NUMBER), None),  # no call, no line policy
    (Ask.RELAY, Facts(False, False, False, ""), rules.NO_NUMBER),
    (Ask.RELAY, Facts(True, False, True, NUMBER), rules.BUSY),
    # Out: the line's transfer policy, not its three-way one.
    (Ask.OUT, Facts(True, False, False, NUMBER, transfer_allowed=True), None),
    (Ask.OUT, Facts(True, True, False, NUMBER), rules.TRANSFER_OFF),
    (Ask.OUT, Facts(False, False, False, NUMBER, transfer_allowed=True), rules.NOT_YOURS),
    (Ask.OUT, Facts(True, False, True, NUMBER, transfer_allowed=True), rules.BUSY),
    (Ask.OUT, Facts(True, False, False, " ", transfer_allowed=True), rules.NO_NUMBER),
]


@pytest.mark.parametrize(("ask", "facts", "expected"), REFUSALS)
def test_refusal(ask: Ask, facts: Facts, expected: str | None) -> None:
    assert rules.refusal(ask, facts) == expected


WARM = [
    # (stage, event, next stage, steps)
    (Stage.RINGING, Event.ANSWERED, Stage.CONSULTING, (Step.CONSULT,)),
    (Stage.RINGING, Event.GONE, Stage.DONE, (Step.RESUME,)),
    (Stage.RINGING, Event.RETURN, Stage.DONE, (Step.HANG_UP_OTHER, Step.RESUME)),
    (Stage.RINGING, Event.COMPLETE, Stage.RINGING, (Step.REFUSE,)),  # nobody to hand to
    (Stage.RINGING, Event.CALLER_GONE, Stage.DONE, (Step.HANG_UP_OTHER,)),
    (Stage.CONSULTING, Event.COMPLETE, Stage.DONE, (Step.HAND_OVER,)),
    (Stage.CONSULTING, Event.RETURN, Stage.DONE, (Step.HANG_UP_OTHER, Step.RESUME)),
    (Stage.CONSULTING, Event.GONE, Stage.DONE, (Step.RESUME,)),
    (Stage.CONSULTING, Event.CALLER_GONE, Stage.DONE, (Step.HANG_UP_OTHER,)),
    (Stage.CONSULTING, Event.ANSWERED, Stage.CONSULTING, (Step.REFUSE,)),
    (Stage.CONSULTING, Event.OPERATOR_GONE, Stage.DONE, (Step.HAND_OVER,)),
    (Stage.RINGING, Event.OPERATOR_GONE, Stage.RINGING, (Step.REFUSE,)),  # call ends
    (Stage.DONE, Event.GONE, Stage.DONE, (Step.REFUSE,)),
    (Stage.DONE, Event.COMPLETE, Stage.DONE, (Step.REFUSE,)),
    (Stage.DONE, Event.RETURN, Stage.DONE, (Step.REFUSE,)),
]


@pytest.mark.parametrize(("stage", "event", "after", "steps"), WARM)
def test_warm_step(stage: Stage, event: Event, after: Stage, steps: tuple[Step, ...]) -> None:
    assert rules.warm_step(stage, event) == (after, steps)


OUT = [
    # To an outside number: as WARM, except an operator hanging up while it rings.
    (Stage.RINGING, Event.GONE, Stage.DONE, (Step.RESUME,)),  # busy, no answer: back
    (Stage.CONSULTING, Event.COMPLETE, Stage.DONE, (Step.HAND_OVER,)),
    (Stage.CONSULTING, Event.OPERATOR_GONE, Stage.DONE, (Step.HAND_OVER,)),
    (Stage.RINGING, Event.OPERATOR_GONE, Stage.UNATTENDED, (Step.UNATTEND,)),
    (Stage.UNATTENDED, Event.ANSWERED, Stage.DONE, (Step.HAND_OVER,)),
    (Stage.UNATTENDED, Event.GONE, Stage.DONE, (Step.REQUEUE,)),  # nobody to go back to
    (Stage.UNATTENDED, Event.CALLER_GONE, Stage.DONE, (Step.HANG_UP_OTHER,)),
    (Stage.UNATTENDED, Event.RETURN, Stage.UNATTENDED, (Step.REFUSE,)),
    (Stage.UNATTENDED, Event.COMPLETE, Stage.UNATTENDED, (Step.REFUSE,)),
]


@pytest.mark.parametrize(("stage", "event", "after", "steps"), OUT)
def test_out_step(stage: Stage, event: Event, after: Stage, steps: tuple[Step, ...]) -> None:
    assert rules.warm_step(stage, event, Ask.OUT) == (after, steps)


@pytest.mark.parametrize("ask", [Ask.WARM, Ask.OUT])
def test_every_pair_has_an_answer(ask: Ask) -> None:
    """No (stage, event) raises: an unexpected event is refused, never a crash."""
    for stage in Stage:
        for event in Event:
            after, steps = rules.warm_step(stage, event, ask)
            assert steps and (steps != (Step.REFUSE,) or after is stage)


QUEUE_REFUSALS = [
    (Facts(True, False, False, queue_known=True), None),  # no line policy: stays inside
    (Facts(True, False, False, queue_known=False), rules.NO_QUEUE),
    (Facts(False, True, False, queue_known=True), rules.NOT_YOURS),
    (Facts(True, True, True, queue_known=True), rules.BUSY),
]


@pytest.mark.parametrize(("facts", "expected"), QUEUE_REFUSALS)
def test_queue_refusal(facts: Facts, expected: str | None) -> None:
    assert rules.refusal(Ask.QUEUE, facts) == expected


@pytest.mark.parametrize("triage", ["9", "5"])
def test_sent_to_another_queue_keeps_the_priority(triage: str) -> None:
    """calls/flow.py: a connected call sent to another queue queues again with the
    priority it had (an emergency stays one), in the language chosen."""
    state, _ = run([Digit(triage), Connected("op-a")], to_triage())
    priority = state.priority
    assert priority == (1 if triage == "9" else 0)
    state, commands = flow.step(state, Requeued(8, "en"))
    assert state.phase is Phase.QUEUED and state.language == "en"
    assert commands[-1] == EnterQueue(8, "en", priority)
    # Only from a connected call: a waiting caller is the queue's, not the operator's.
    assert flow.step(state, Requeued(9, "es")) == (state, [])
