"""The marks an edit form is opened over (cases/edit_marks.py), table-driven: any change
of what the form writes changes the mark, and a save is refused unless it matches."""

from __future__ import annotations

import datetime as dt

import pytest
from multidict import MultiDict

from lifeline_pbx.cases import edit_marks
from lifeline_pbx.cases.followup_rules import Current

DUE = dt.date(2025, 3, 11)
SHOWN = Current("open", 7, DUE)
AT = dt.datetime(2025, 3, 10, 12, 0, 0, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(("now", "same"), [
    (Current("open", 7, DUE), True),
    (Current("done", 7, DUE), False),
    (Current("open", None, DUE), False),
    (Current("open", 8, DUE), False),
    (Current("open", 7, None), False),
    (Current("open", 7, DUE + dt.timedelta(days=1)), False),
])
def test_a_follow_up_s_mark_follows_every_field_of_the_work_form(now: Current,
                                                                 same: bool) -> None:
    assert (edit_marks.follow_up(now) == edit_marks.follow_up(SHOWN)) is same


@pytest.mark.parametrize(("now", "same"), [
    (AT, True),
    (AT + dt.timedelta(microseconds=1), False),
])
def test_a_person_s_mark_is_their_last_change(now: dt.datetime, same: bool) -> None:
    assert (edit_marks.person(now) == edit_marks.person(AT)) is same


@pytest.mark.parametrize(("posted", "refused"), [
    ({"opened": edit_marks.follow_up(SHOWN)}, False),
    ({"opened": edit_marks.follow_up(Current("done", 7, DUE))}, True),
    ({"opened": ""}, True),
    ({}, True),  # a form without a mark: a page from before, or a script
])
def test_a_save_is_refused_unless_the_form_was_opened_over_the_record_as_it_is(
        posted: dict[str, str], refused: bool) -> None:
    now = edit_marks.follow_up(SHOWN)
    if refused:
        with pytest.raises(edit_marks.Changed) as e:
            edit_marks.check(edit_marks.posted(MultiDict(posted)), now)
        assert e.value.message == edit_marks.CHANGED
    else:
        edit_marks.check(edit_marks.posted(MultiDict(posted)), now)
