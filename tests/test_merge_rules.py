"""Which record an A-number typed may merge: pure, table-driven. (The mark a preview's
confirmation is held to: tests/test_edit_marks.py.)"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

import pytest

from lifeline_pbx.cases import merge_rules
from lifeline_pbx.cases.people import Person

KEEP = Person(uuid.uuid4(), "208555019", ("Ana Ruiz",), None, "", (), None, "", None,
              dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC))
OTHER = replace(KEEP, id=uuid.uuid4(), a_number="301222333")


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

