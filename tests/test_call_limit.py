"""When the operator is warned of the facility's cut: its clock starts when the PBX
answered, so the menu and the wait in the queue count (calls/call_limit.py, calls/flow.py)."""

from __future__ import annotations

import pytest

from lifeline_pbx.calls import call_limit
from lifeline_pbx.calls.model import Connected, StartTimer
from tests.test_flow import LINE, queued, run


@pytest.mark.parametrize(("limit", "warning", "since_answer", "warn_in"), [
    (900, 120, 0.0, 780.0),  # answered at once: warned 13 minutes into the talk
    (900, 120, 300.0, 480.0),  # 5 minutes in the menu and the queue: 8 minutes
    (900, 120, 780.0, 0.0),  # the wait used the time up: warned at once
    (900, 120, 1000.0, 0.0),  # past the limit already (the facility has not cut yet)
    (900, 0, 0.0, None),  # no warning set
    (0, 120, 0.0, None),  # no limit
    (120, 120, 0.0, None),  # a warning as long as the limit: none
])
def test_the_warning_counts_from_the_answer(limit: int, warning: int, since_answer: float,
                                            warn_in: float | None) -> None:
    assert call_limit.warn_in(limit, warning, since_answer) == warn_in


def test_a_caller_who_waited_is_warned_sooner() -> None:
    _, commands = run([Connected("op-a", since_answer=600.0)], queued(LINE))
    timers = [c for c in commands if isinstance(c, StartTimer)]
    assert timers == [StartTimer("limit-warning", LINE.call_limit - LINE.limit_warning - 600)]
