"""What an operator's leg ending means for their caller (queues/leg_end.py): a table of the
hang-up requests Asterisk gives, as measured (tests/test_dead_phone_sip.py)."""

from __future__ import annotations

import pytest

from lifeline_pbx.queues import leg_end
from lifeline_pbx.queues.leg_end import LOST, RELEASED

CASES: dict[str, tuple[tuple[int, bool] | None, str, str]] = {
    # (cause, soft) of the leg's first hang-up request -> outcome, timeline reason
    "the phone hangs up (BYE)": ((16, False), RELEASED, "cause_16"),
    "the phone hangs up, busy": ((17, False), RELEASED, "cause_17"),
    "the phone hangs up, rejected": ((21, False), RELEASED, "cause_21"),
    "the phone hangs up, unspecified": ((31, False), RELEASED, "cause_31"),
    "a BYE with no cause": ((0, False), RELEASED, "cause_0"),
    "its end learnt another way (no request heard)": (None, RELEASED, "unknown"),
    "no audio from the phone (rtp_timeout, measured)": ((1, True), LOST, "no_audio"),
    "Asterisk shutting down": ((4, True), RELEASED, "cause_4"),
    "the call's absolute timeout": ((8, True), RELEASED, "cause_8"),
    "hung up through ARI by someone else": ((32, True), RELEASED, "cause_32"),
    "no user responding (a request timed out)": ((18, False), LOST, "cause_18"),
    "subscriber absent": ((20, False), LOST, "cause_20"),
    "destination out of order": ((27, False), LOST, "cause_27"),
    "network out of order": ((38, False), LOST, "cause_38"),
    "temporary failure": ((41, False), LOST, "cause_41"),
    "congestion": ((42, False), LOST, "cause_42"),
    "requested channel unavailable": ((44, False), LOST, "cause_44"),
    "resource unavailable": ((47, False), LOST, "cause_47"),
    "recovery on timer expiry": ((102, False), LOST, "cause_102"),
}


@pytest.mark.parametrize("hangup,outcome,reason", CASES.values(), ids=CASES.keys())
def test_after_leg(hangup: tuple[int, bool] | None, outcome: str, reason: str) -> None:
    assert (leg_end.after_leg(hangup), leg_end.reason(hangup)) == (outcome, reason)
