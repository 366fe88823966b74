"""What a change of a person's facility does to "Held at", and how "Held at" is shown:
pure, from tables."""

from __future__ import annotations

import datetime as dt

import pytest
from multidict import MultiDict

from lifeline_pbx.cases import forms, held_at
from lifeline_pbx.cases.held_at import Change, Entry
from lifeline_pbx.cases.people import Transfer
from lifeline_pbx.errors import Invalid

A, B, C = 1, 2, 3
T, W = held_at.TRANSFER, held_at.CORRECTION


def entries(*facilities: int, struck: tuple[int, ...] = (),
            merged: tuple[int, ...] = ()) -> list[Entry]:
    """Entries with ids 10, 11, ... at these facilities, oldest first."""
    return [Entry(10 + i, f, 10 + i in struck, 10 + i in merged)
            for i, f in enumerate(facilities)]


@pytest.mark.parametrize("held, now, new, kind, expected", [
    # no change: nothing written, whatever was chosen
    (entries(A), A, A, "", Change()),
    (entries(A), A, A, W, Change()),
    # a transfer notes the new facility; a release notes nothing
    (entries(A), A, B, T, Change(note=B)),
    ([], None, B, T, Change(note=B)),
    (entries(A), A, None, T, Change()),
    # a correction strikes the entry that made the facility...
    (entries(A), A, B, W, Change(strike=10, note=B)),
    (entries(A, B), B, A, W, Change(strike=11)),  # "A -> B", B wrong: just "A"
    (entries(A, B), B, C, W, Change(strike=11, note=C)),
    (entries(A, B), B, None, W, Change(strike=11)),
    (entries(A, B, C, struck=(12,)), B, A, W, Change(strike=11)),  # struck ones skipped
    (entries(C, A, B), B, C, W, Change(strike=12, note=C)),  # only the newest counts
    # ...only when that entry is of the facility on record
    ([], None, B, W, Change(note=B)),
    (entries(A), None, B, W, Change(note=B)),
    (entries(A), None, A, W, Change()),
    (entries(A, B, struck=(11,)), A, B, W, Change(strike=10, note=B)),
    # a merged record's entries never made the facility on record
    (entries(A, B, merged=(11,)), A, C, W, Change(strike=10, note=C)),
    (entries(A, B, merged=(11,)), A, B, W, Change(strike=10, note=B)),
    (entries(B, merged=(10,)), A, C, W, Change(note=C)),
])
def test_what_a_change_of_facility_writes(held: list[Entry], now: int | None,
                                          new: int | None, kind: str,
                                          expected: Change) -> None:
    assert held_at.change(held, now, new, kind) == expected


@pytest.mark.parametrize("now, new, kind, refused", [
    (A, B, "", True), (A, None, "", True), (None, A, "moved", True),
    (A, B, T, False), (A, B, W, False), (A, A, "", False), (None, None, "", False),
])
def test_a_change_of_facility_needs_a_choice(now: int | None, new: int | None, kind: str,
                                             refused: bool) -> None:
    assert (held_at.refusal(now, new, kind) == held_at.CHOOSE) is refused


def _t(facility: int, day: int, merged: bool = False) -> Transfer:
    return Transfer(facility, f"F{facility}", dt.datetime(2026, 1, day, tzinfo=dt.UTC), merged)


def _m(facility: int, day: int) -> Transfer:
    """An entry a merge brought over from the record merged away."""
    return _t(facility, day, merged=True)


@pytest.mark.parametrize("held, own, merged", [
    ([], [], []),
    ([_t(A, 1)], [_t(A, 1)], []),
    ([_t(A, 1), _t(A, 2)], [_t(A, 1)], []),
    ([_t(A, 1), _t(B, 2), _t(B, 3), _t(A, 4)], [_t(A, 1), _t(B, 2), _t(A, 4)], []),
    ([_t(A, 1), _t(B, 2), _t(A, 3)], [_t(A, 1), _t(B, 2), _t(A, 3)], []),  # a move back
    # two records merged, both at A: the kept record's entry, once, whichever came first
    ([_t(A, 1), _m(A, 2)], [_t(A, 1)], []),
    ([_m(A, 1), _t(A, 2)], [_t(A, 2)], []),
    # the merged record at B: apart, not a move (finding N6)
    ([_t(A, 1), _m(B, 2)], [_t(A, 1)], [_m(B, 2)]),
    ([_m(B, 1), _t(A, 2)], [_t(A, 2)], [_m(B, 1)]),
    ([_t(A, 1), _m(B, 2), _t(A, 3)], [_t(A, 1)], [_m(B, 2)]),  # A noted again: no move
    ([_t(A, 1), _m(B, 2), _m(B, 3)], [_t(A, 1)], [_m(B, 2)]),  # B one after another once
    ([_t(A, 1), _m(B, 2), _t(C, 3)], [_t(A, 1), _t(C, 3)], [_m(B, 2)]),  # a real transfer
    # the merged record agrees with where the kept one placed them then, and only then
    ([_t(A, 1), _m(B, 2), _t(B, 3), _m(A, 4)], [_t(A, 1), _t(B, 3)], [_m(B, 2), _m(A, 4)]),
    ([_m(A, 1), _m(B, 2)], [], [_m(A, 1), _m(B, 2)]),  # the kept record noted nowhere
])
def test_held_at_lists_the_records_own_entries_and_a_merged_records_apart(
        held: list[Transfer], own: list[Transfer], merged: list[Transfer]) -> None:
    """One after another at a facility once; a merged record's entry never as a move."""
    assert held_at.shown(held) == held_at.Shown(own, merged)


CHOICES = forms.Choices(frozenset(), frozenset(), frozenset({A, B}), frozenset())


def test_the_edit_form_asks_why_the_facility_changes() -> None:
    moved = MultiDict({"person_facility": str(B), held_at.FIELD: T})
    assert forms.parse_person_edit(moved, CHOICES, a_number="208555019",
                                   facility_now=A).facility_change == T
    kept = MultiDict({"person_facility": str(A), held_at.FIELD: W})
    assert forms.parse_person_edit(kept, CHOICES, a_number="208555019",
                                   facility_now=A).facility_change == ""
    with pytest.raises(Invalid) as refused:
        forms.parse_person_edit(MultiDict({"person_facility": str(B), "person_dob": "x"}),
                                CHOICES, a_number="208555019", facility_now=A)
    assert set(refused.value.errors) == {"person_dob", held_at.FIELD}  # both at once
    with pytest.raises(Invalid) as refused:  # a facility not on the list: that error only
        forms.parse_person_edit(MultiDict({"person_facility": "9"}), CHOICES,
                                a_number="208555019", facility_now=A)
    assert set(refused.value.errors) == {"person_facility"}
