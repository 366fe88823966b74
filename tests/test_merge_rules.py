"""Which record an A-number typed may merge, and the mark a preview's confirmation is held
to: pure, table-driven."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

import pytest

from lifeline_pbx.cases import merge_rules
from lifeline_pbx.cases.people import Moves, Person

T0 = dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
KEEP = Person(uuid.uuid4(), "208555019", ("Ana Ruiz",), None, "", (), None, "", None, T0)
OTHER = replace(KEEP, id=uuid.uuid4(), a_number="301222333")
MOVES = Moves(intakes=2, calls=1, reports=1, follow_ups=1, transfers=1, holds=1, records=0)


@pytest.mark.parametrize(("typed", "found", "refused"), [
    ("301222333", OTHER, ""),
    ("208555019", KEEP, "That is this record's own A-number."),
    ("099888777", None, "No record has the A-number A099-888-777."),
    # a record merged into this one before leads here
    ("301222333", KEEP, "The record of A301-222-333 is already merged into this one."),
    # a record merged into a third one leads there: that one is merged
    ("555444333", OTHER, ""),
])
def test_what_an_a_number_typed_may_merge(typed: str, found: Person | None,
                                          refused: str) -> None:
    assert merge_rules.refusal(KEEP, typed, found) == refused


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
def test_any_change_since_the_preview_changes_the_mark(
        keep: dt.datetime, other: dt.datetime, moves: Moves, placed: int) -> None:
    assert merge_rules.mark(T0, T0, MOVES, 1) == merge_rules.mark(T0, T0, MOVES, 1)
    assert merge_rules.mark(keep, other, moves, placed) != merge_rules.mark(T0, T0, MOVES, 1)
