""""More time" during a wrap-up: the pure rule (how much, how often, never outside a
wrap-up), and the distributor's step applying it."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from lifeline_pbx.queues import more_time, staff, staff_events
from lifeline_pbx.queues.more_time import Granted, Refused
from lifeline_pbx.queues.routing import Operator, Policy

NOW = 1_000_000.0
IN_WRAP_UP = Operator(id="op-a", languages=frozenset({"en"}), queues=frozenset({"1"}),
                      logged_in=True, paused=False, registered=True, on_call=False,
                      ringing=False, wrapup_until=NOW + 10, idle_since=NOW - 20,
                      missed_in_row=0)


@pytest.mark.parametrize(("change", "presses", "verdict"), [
    ({}, 0, Granted(NOW + 10 + 60)),
    ({}, 2, Granted(NOW + 70)),  # the third press
    ({}, 3, Refused(more_time.ENOUGH)),  # a fourth: no
    ({"wrapup_until": NOW + 130}, 2, Granted(NOW + 190)),  # adds to what is left
    ({"wrapup_until": NOW}, 0, Refused(more_time.NOT_IN_WRAP_UP)),  # ran out just now
    ({"wrapup_until": 0.0}, 0, Refused(more_time.NOT_IN_WRAP_UP)),  # never in one
    ({"logged_in": False}, 0, Refused(more_time.NOT_IN_WRAP_UP)),
    ({"on_call": True}, 0, Refused(more_time.ON_CALL)),  # the next call already
    ({"on_call": True, "wrapup_until": 0.0}, 0, Refused(more_time.ON_CALL)),
    ({"paused": True}, 0, Refused(more_time.PAUSED)),
])
def test_more_time_is_a_minute_three_times_and_only_in_a_wrap_up(
        change: dict[str, object], presses: int, verdict: Granted | Refused) -> None:
    assert more_time.ask(replace(IN_WRAP_UP, **change), presses, NOW) == verdict  # type: ignore[arg-type]


def test_the_step_extends_counts_and_a_new_wrap_up_counts_afresh() -> None:
    call = uuid.uuid4()
    picture = staff.Staff(operators={"op-a": IN_WRAP_UP}, online=frozenset({"op-a"}),
                          policies={1: Policy(wrapup=30.0)})
    for n in range(1, 4):
        picture, decisions = staff.step(picture, staff_events.MoreTime("op-a"), NOW)
        assert picture.operators["op-a"].wrapup_until == NOW + 10 + 60 * n
        assert picture.more_time == {"op-a": n}
        assert decisions == [staff_events.Save("op-a", None), staff_events.Changed("op-a", None)]
    refused, decisions = staff.step(picture, staff_events.MoreTime("op-a"), NOW)
    assert (refused, decisions) == (picture, [])
    assert not picture.free(NOW + 10 + 179) and picture.free(NOW + 10 + 180)

    talking = replace(picture, talking={"op-a": call})
    assert staff.step(talking, staff_events.MoreTime("op-a"), NOW) == (talking, [])
    after, _ = staff.step(talking, staff_events.CallEnded("op-a", call, 1), NOW + 500)
    assert after.more_time == {} and after.operators["op-a"].wrapup_until == NOW + 530
    again, _ = staff.step(after, staff_events.MoreTime("op-a"), NOW + 501)
    assert again.operators["op-a"].wrapup_until == NOW + 590
    assert staff.step(after, staff_events.MoreTime("nobody"), NOW) == (after, [])
