"""What saving a saved intake's form again may do to its person: pure, from a table."""

from __future__ import annotations

import uuid

import pytest

from lifeline_pbx.cases import resave_rules as rules

AHMED, PEDRO = uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize(("filed", "typed", "found", "expected"), [
    (None, False, None, rules.SAME),  # saved without an A-number, still without
    (None, True, None, rules.SAME),  # an A-number typed later: a new person
    (None, True, PEDRO, rules.SAME),  # or someone on record: filed under them
    (AHMED, True, AHMED, rules.SAME),  # the same person (typed another way, or merged)
    (AHMED, False, None, rules.CLEARED),
    (AHMED, True, PEDRO, rules.OTHER),  # someone else on record
    (AHMED, True, None, rules.OTHER),  # an A-number no one has yet
])
def test_a_resave_never_files_an_intake_under_another_person(
    filed: uuid.UUID | None, typed: bool, found: uuid.UUID | None, expected: str
) -> None:
    assert rules.person_change(filed, typed, found) == expected


@pytest.mark.parametrize(("moved", "may_move", "names", "says"), [
    (False, False, True, "a supervisor moves it"),
    (False, True, True, "the link below opens the move"),
    (True, True, True, "the link below opens the move"),
    (True, False, False, "moved by a supervisor to the right person's record"),
])
def test_the_refusal_says_whom_and_how_never_where_a_move_took_it_to_an_operator(
    moved: bool, may_move: bool, names: bool, says: str
) -> None:
    said = rules.filed_elsewhere("A111-222-333", moved, may_move)
    assert ("filed under A111-222-333" in said) is names
    assert says in said and "what you typed is still here" in said
