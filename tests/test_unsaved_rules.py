"""When signing out stops to show the user's unsaved intakes first (cases/unsaved.py)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from lifeline_pbx.cases.drafts import OnCall
from lifeline_pbx.cases.unsaved import Unsaved, hold_sign_out

AT = dt.datetime(2026, 12, 2, 7, 1, tzinfo=dt.UTC)
ON_CALL = OnCall(uuid.uuid4(), AT, "Facility", None, AT, "", None)


@pytest.mark.parametrize("on_calls, standalone, anyway, count, held", [
    ((), None, False, 0, False),  # nothing unsaved: signs out at once
    ((ON_CALL,), None, False, 1, True),
    ((), AT, False, 1, True),  # the draft not on any call counts too
    ((ON_CALL, ON_CALL), AT, False, 3, True),
    ((ON_CALL, ON_CALL), AT, True, 3, False),  # "Sign out anyway"
    ((), None, True, 0, False),
])
def test_signing_out_stops_for_unsaved_intakes(
    on_calls: tuple[OnCall, ...], standalone: dt.datetime | None, anyway: bool, count: int,
    held: bool,
) -> None:
    unsaved = Unsaved(on_calls, standalone)
    assert unsaved.count == count
    assert hold_sign_out(unsaved, anyway) is held
