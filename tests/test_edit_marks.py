"""The marks a form is opened over (cases/edit_marks.py), table-driven: any change of what
the form writes (or a merge's preview showed) changes the mark, and a save is refused
unless it matches."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from multidict import MultiDict

from lifeline_pbx.cases import edit_marks
from lifeline_pbx.cases.followup_rules import Current
from lifeline_pbx.cases.people import Moves

DUE = dt.date(2025, 3, 11)
SHOWN = Current("open", 7, DUE)
AT = dt.datetime(2025, 3, 10, 12, 0, 0, 1, tzinfo=dt.UTC)
T0 = dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
MOVES = Moves(intakes=2, calls=1, reports=1, follow_ups=1, transfers=1, holds=1, records=0)


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


@pytest.mark.parametrize(("keep", "other", "moves", "placed"), [
    (T0 + dt.timedelta(microseconds=1), T0, MOVES, 1),  # this record edited
    (T0, T0 + dt.timedelta(seconds=1), MOVES, 1),  # the other edited or merged
    (T0, T0, replace(MOVES, intakes=3), 1),  # a new intake about the other
    (T0, T0, replace(MOVES, follow_ups=2), 1),
    (T0, T0, replace(MOVES, records=1), 1),  # another record merged into the other
    (T0, T0, replace(MOVES, holds=0), 1),  # the other's hold released
    (T0, T0, MOVES, 2),  # a hold placed on either record
    (T0, T0, replace(MOVES, holds=2), 2),  # ... on the other
])
def test_any_change_since_a_merge_s_preview_changes_its_mark(
        keep: dt.datetime, other: dt.datetime, moves: Moves, placed: int) -> None:
    assert edit_marks.merge(T0, T0, MOVES, 1) == edit_marks.merge(T0, T0, MOVES, 1)
    assert edit_marks.merge(keep, other, moves, placed) != edit_marks.merge(T0, T0, MOVES, 1)


def test_a_merge_s_mark_is_both_person_marks_and_the_counts() -> None:
    """As written before it moved here: a preview opened before an upgrade still confirms."""
    assert edit_marks.merge(T0, AT, MOVES, 1) == (
        "2026-03-01T12:00:00.123456+00:00/2025-03-10T12:00:00.000001+00:00/2/1/1/1/1/1/0/1")


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
