"""When signing out of the web logs the operator out of the queues (console/sign_out.py)."""

from __future__ import annotations

import pytest

from lifeline_pbx.console.sign_out import leaves_queues


@pytest.mark.parametrize("linked, logged_in, other_sessions, leaves", [
    (True, True, 0, True),  # the last browser of a ready (or paused) operator
    (True, True, 1, False),  # another browser still signed in keeps its console
    (True, True, 3, False),
    (True, False, 0, False),  # not in the queues: nothing to log out of
    (False, False, 0, False),  # no phone account linked
    (False, True, 0, False),
])
def test_signing_out_logs_the_operator_out_of_the_queues(
    linked: bool, logged_in: bool, other_sessions: int, leaves: bool,
) -> None:
    assert leaves_queues(linked, logged_in, other_sessions) is leaves
