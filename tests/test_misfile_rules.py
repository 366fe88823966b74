"""What a correction says and when it needs a reason (correction_words), and what moving an
intake off the wrong person takes off their record (misfile_rules): pure, table-driven."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from lifeline_pbx.cases import correction_words as words
from lifeline_pbx.cases import identity_rules
from lifeline_pbx.cases import misfile_rules as rules
from lifeline_pbx.cases.held_at import Entry
from lifeline_pbx.cases.identity_rules import NOTHING, Proposal
from lifeline_pbx.cases.misfile_rules import Removal
from lifeline_pbx.cases.people import Person


@pytest.mark.parametrize(("fields", "moved", "said"), [
    (("facility",), ("Example Valley", "Demo County"), "Facility: Example Valley → Demo County"),
    (("facility_id", "language"), ("", "Demo County"), "Facility: — → Demo County, Language"),
    (("facility",), ("", ""), "Facility"),  # a revision from before migration 0043
    (("narrative", "category", "severity"), ("", ""), "Category, Severity, What happened"),
    (("family_contact", "needs_note"), ("", ""), "Needs note, Family contact"),
    (("person_id",), ("", ""), "Person: moved to another person's record"),
    (("something_new",), ("", ""), "Something new"),
    ((), ("", ""), ""),
])
def test_a_revision_says_what_it_changed_in_words(fields: tuple[str, ...],
                                                  moved: tuple[str, str], said: str) -> None:
    assert words.changed(fields, *moved) == said


@pytest.mark.parametrize(("fields", "reason", "refusal"), [
    (["facility"], "", words.REASON_MISSING),
    (["facility"], "  ", words.REASON_MISSING),
    (["facility_id"], "", words.REASON_MISSING),
    (["person_id"], "", words.REASON_MISSING),
    (["facility"], "Typed under the call's facility; it happened at Demo County", ""),
    (["narrative"], "", ""),  # an ordinary correction needs none
    (["narrative"], "x" * 2001, words.REASON_TOO_LONG),
])
def test_moving_a_record_needs_a_reason(fields: list[str], reason: str, refusal: str) -> None:
    assert words.reason_refusal(fields, reason) == refusal


@pytest.mark.parametrize(("fields", "before", "after", "moved"), [
    (["facility"], {"facility": 1}, {"facility": 2}, (1, 2)),
    (["facility_id", "language"], {"facility_id": None}, {"facility_id": 2}, (None, 2)),
    (["narrative"], {"facility": 1}, {"facility": 1}, (None, None)),
])
def test_the_facilities_a_correction_moved_a_record_between(
        fields: list[str], before: dict[str, int | None], after: dict[str, int | None],
        moved: tuple[int | None, int | None]) -> None:
    assert words.facility_moved(fields, before, after) == moved


def person(names: tuple[str, ...] = ("Ahmed Ali", "Maria Lopez"),
           languages: tuple[str, ...] = ("ar", "es"), facility_id: int | None = 2) -> Person:
    return Person(uuid.uuid4(), "111222333", names, None, "", languages, facility_id, "",
                  None, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))


HELD = [Entry(10, 1), Entry(11, 2)]  # Example Valley, then Demo County (the intake's)


@pytest.mark.parametrize(("removal", "entries", "names", "languages", "facility_id"), [
    (Removal(("Maria Lopez",), ("es",), 11), HELD, ("Ahmed Ali",), ("ar",), 1),
    (Removal(facility_entry=11), [Entry(11, 2)], ("Ahmed Ali", "Maria Lopez"), ("ar", "es"),
     None),  # the only entry struck: held nowhere known
    (Removal(facility_entry=10), HELD, ("Ahmed Ali", "Maria Lopez"), ("ar", "es"), 2),
    # an older entry struck: the current facility stays
    (Removal(facility_entry=11), [Entry(9, 3, struck=True), *HELD], ("Ahmed Ali", "Maria Lopez"),
     ("ar", "es"), 1),  # struck entries are not put back
    (Removal(), HELD, ("Ahmed Ali", "Maria Lopez"), ("ar", "es"), 2),
    # A merged record's entries never made the facility on record (cases/held_at.py):
    (Removal(facility_entry=11), [Entry(10, 1), Entry(12, 3, merged=True), Entry(11, 2)],
     ("Ahmed Ali", "Maria Lopez"), ("ar", "es"), 1),  # not put back in its place
    (Removal(facility_entry=11), [Entry(10, 1), Entry(11, 2), Entry(12, 3, merged=True)],
     ("Ahmed Ali", "Maria Lopez"), ("ar", "es"), 1),  # nor keeping the struck one's
    (Removal(facility_entry=11), [Entry(12, 3, merged=True), Entry(11, 2)],
     ("Ahmed Ali", "Maria Lopez"), ("ar", "es"), None),
])
def test_what_a_move_leaves_of_the_wrong_persons_record(
        removal: Removal, entries: list[Entry], names: tuple[str, ...],
        languages: tuple[str, ...], facility_id: int | None) -> None:
    assert rules.refusal(person(), removal, entries) == ""
    after = rules.person_after(person(), removal, entries)
    assert (after.names, after.languages, after.facility_id) == (names, languages, facility_id)


def test_striking_the_latest_entry_keeps_a_facility_set_otherwise() -> None:
    after = rules.person_after(person(facility_id=3), Removal(facility_entry=11), HELD)
    assert after.facility_id == 3


@pytest.mark.parametrize(("removal", "entries"), [
    (Removal(names=("Someone Else",)), HELD),
    (Removal(languages=("fr",)), HELD),
    (Removal(facility_entry=12), HELD),
    (Removal(facility_entry=11), [Entry(10, 1), Entry(11, 2, struck=True)]),
])
def test_taking_off_what_is_not_on_the_record_is_refused(removal: Removal,
                                                          entries: list[Entry]) -> None:
    assert rules.refusal(person(), removal, entries) == rules.NOT_ON_RECORD


@pytest.mark.parametrize(("removal", "fields"), [
    (Removal(("a",), ("es",), 3), ["names", "languages", "facility"]),
    (Removal(languages=("es",)), ["languages"]),
    (Removal(), []),
])
def test_a_removal_names_what_it_takes_off(removal: Removal, fields: list[str]) -> None:
    assert removal.fields() == fields


def test_the_fields_an_intake_changed_in_words() -> None:
    assert rules.said(("facility_id", "names", "languages")) == "names, languages, facility"


@pytest.mark.parametrize(("removal", "said"), [
    (Removal(("Maria Lopez",), ("es",), 11), "1 name, 1 language and a Held at entry"),
    (Removal(("a", "b"), ("es", "fr")), "2 names and 2 languages"),
    (Removal(facility_entry=11), "a Held at entry"),
    (Removal(), ""),
])
def test_what_a_move_took_off_is_counted_never_named(removal: Removal, said: str) -> None:
    assert rules.taken_said(tuple(removal.taken())) == said


def test_a_move_recorded_before_counting_names_the_kinds() -> None:
    assert rules.taken_said(("names", "facility")) == "names and a Held at entry"


ON_RECORD = person(names=("Pedro Alvarez",), facility_id=2)


@pytest.mark.parametrize(("proposal", "left"), [
    (Proposal(("Pedro Alvarez",), facility_id=2), NOTHING),  # all of it already true
    (Proposal(("Pedro Alvarez", "Pedro A."), facility_id=3),
     Proposal(("Pedro A.",), facility_id=3)),
    (Proposal(country="Peru", date_of_birth=dt.date(1990, 1, 2)),
     Proposal(country="Peru", date_of_birth=dt.date(1990, 1, 2))),
])
def test_a_proposal_offers_only_what_the_record_does_not_say(proposal: Proposal,
                                                             left: Proposal) -> None:
    assert identity_rules.still_proposed(ON_RECORD, proposal) == left
