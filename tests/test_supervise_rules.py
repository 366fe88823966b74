"""Supervision decided without I/O: who may listen to which call, how each mode taps the
operator's leg, what a change of mode takes, and when an operator's state can be forced."""

from __future__ import annotations

import pytest

from lifeline_pbx.queues import routing
from lifeline_pbx.supervision import force_rules, listen_rules
from lifeline_pbx.supervision.listen_rules import PhoneState, Snoop, Supervisor

SUP = Supervisor(7, "supervisor", "op-c")
FREE = PhoneState()


@pytest.mark.parametrize(("who", "mode", "operator", "phone", "supervising", "expected"), [
    (SUP, "listen", "op-a", FREE, False, None),
    (SUP, "whisper", "op-a", FREE, False, None),
    (SUP, "join", "op-a", FREE, False, None),
    (Supervisor(7, "admin", "op-c"), "listen", "op-a", FREE, False, None),
    (Supervisor(7, "operator", "op-c"), "listen", "op-a", FREE, False,
     listen_rules.NOT_SUPERVISOR),
    (SUP, "record", "op-a", FREE, False, listen_rules.UNKNOWN_MODE),
    (Supervisor(7, "supervisor", None), "listen", "op-a", FREE, False, listen_rules.NO_PHONE),
    (SUP, "listen", None, FREE, False, listen_rules.NOT_LIVE),  # waiting, or ended
    (SUP, "listen", "op-c", FREE, False, listen_rules.OWN_CALL),
    (SUP, "listen", "op-a", FREE, True, listen_rules.ELSEWHERE),
    (SUP, "listen", "op-a", PhoneState(busy=True), False, listen_rules.PHONE_BUSY),
    (SUP, "listen", "op-a", PhoneState(ready_for_calls=True), False,
     listen_rules.READY_FOR_CALLS),
    # The first reason that holds is given: no phone before anything about the call.
    (Supervisor(7, "supervisor", None), "listen", None, PhoneState(busy=True), True,
     listen_rules.NO_PHONE),
])
def test_who_may_supervise_which_call(who: Supervisor, mode: str, operator: str | None,
                                      phone: PhoneState, supervising: bool,
                                      expected: str | None) -> None:
    assert listen_rules.refusal(who, mode, operator, phone, supervising) == expected


CALLER, OPERATOR = listen_rules.CALLER, listen_rules.OPERATOR


@pytest.mark.parametrize(("mode", "snoops"), [
    # Both voices: the operator's leg receives the caller and sends the operator.
    ("listen", (Snoop(OPERATOR, "both", "none"),)),
    # The supervisor's voice goes out to the operator's phone only, never to the caller.
    ("whisper", (Snoop(OPERATOR, "both", "out"),)),
    ("join", ()),  # the supervisor's own leg joins the call's bridge
])
def test_each_mode_taps_the_calls_legs_so(mode: str, snoops: tuple[Snoop, ...]) -> None:
    assert listen_rules.snoops_for(mode) == snoops


def test_every_mode_has_a_tap_rule_and_nothing_whispers_to_the_caller() -> None:
    for mode in listen_rules.MODES:
        assert all(s.whisper == "none" for s in listen_rules.snoops_for(mode)
                   if s.leg == listen_rules.CALLER)


N, D, J, L = (listen_rules.NEW_SNOOP, listen_rules.DROP_SNOOP, listen_rules.JOIN_CALL,
              listen_rules.LEAVE_CALL)


@pytest.mark.parametrize(("old", "new", "steps"), [
    ("listen", "listen", ()),
    ("listen", "whisper", (N, D)),  # the new tap first: no gap in what the supervisor hears
    ("whisper", "listen", (N, D)),
    ("listen", "join", (J, D)),
    ("whisper", "join", (J, D)),
    ("join", "listen", (L, N)),  # out of the call first: the caller stops hearing them
    ("join", "whisper", (L, N)),
    ("join", "join", ()),
])
def test_a_change_of_mode(old: str, new: str, steps: tuple[str, ...]) -> None:
    assert listen_rules.switch_steps(old, new) == steps


def operator(logged_in: bool, paused: bool) -> routing.Operator:
    return routing.Operator("op-a", frozenset({"en"}), frozenset({"1"}), logged_in, paused,
                            True, False, False, 0.0, 0.0, 0)


@pytest.mark.parametrize(("action", "logged_in", "paused", "expected"), [
    ("pause", True, False, None),
    ("pause", True, True, force_rules.ALREADY_PAUSED),
    ("pause", False, False, force_rules.NOT_LOGGED_IN),
    ("logout", True, False, None),
    ("logout", True, True, None),  # a paused operator can be logged out
    ("logout", False, False, force_rules.NOT_LOGGED_IN),
    ("resume", True, True, force_rules.UNKNOWN_ACTION),  # only the operator resumes
    ("login", False, False, force_rules.UNKNOWN_ACTION),
])
def test_when_an_operators_state_can_be_forced(action: str, logged_in: bool, paused: bool,
                                               expected: str | None) -> None:
    assert force_rules.refusal(action, operator(logged_in, paused)) == expected
