"""The pure rules of corrections and access, table-driven: who corrects until when, what an
intake may do to a person on record, which lookups a call allows, and a revision shown."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from multidict import MultiDict

from lifeline_pbx.cases import correction_rules, identity_rules, lookup_rules, revision_content
from lifeline_pbx.cases.correction_rules import NOT_YOURS, TOO_LATE, Written
from lifeline_pbx.cases.forms import PersonForm
from lifeline_pbx.cases.identity_rules import Proposal
from lifeline_pbx.cases.lookup_rules import ONE_PERSON, TOO_MANY
from lifeline_pbx.cases.people import Person
from lifeline_pbx.errors import Invalid

T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


@pytest.mark.parametrize(("written", "user", "supervisor", "now", "expected"), [
    (Written(1, T0), 1, False, T0 + 29 * MIN, ""),  # standalone: 30 minutes from saving
    (Written(1, T0), 1, False, T0 + 30 * MIN, TOO_LATE),
    (Written(1, T0, T0 + 15 * MIN), 1, False, T0 + 44 * MIN, ""),  # from the call's end
    (Written(1, T0, T0 + 15 * MIN), 1, False, T0 + 45 * MIN, TOO_LATE),
    (Written(1, T0, T0 - 5 * MIN), 1, False, T0 + 29 * MIN, ""),  # saved after the call
    (Written(1, T0), 2, False, T0, NOT_YOURS),
    (Written(1, T0), 2, True, T0 + 1000 * MIN, ""),  # a supervisor: any record, any time
])
def test_who_corrects_until_when(written: Written, user: int, supervisor: bool,
                                 now: dt.datetime, expected: str) -> None:
    assert correction_rules.refusal(written, user_id=user, supervisor=supervisor,
                                    now=now) == expected


@pytest.mark.parametrize(("posted", "expected"), [
    ({}, 0), ({"revision": "0"}, 0), ({"revision": "3"}, 3), ({"revision": "999999"}, 999999),
    ({"revision": "1000000"}, None), ({"revision": "-1"}, None), ({"revision": "2a"}, None),
    ({"revision": ""}, None),
])
def test_the_revision_a_correction_was_typed_over(posted: dict[str, str],
                                                  expected: int | None) -> None:
    if expected is None:
        with pytest.raises(Invalid, match="reload it"):
            correction_rules.base_of(MultiDict(posted))
    else:
        assert correction_rules.base_of(MultiDict(posted)) == expected


def person(names: tuple[str, ...] = ("Ana Ruiz",), dob: dt.date | None = dt.date(1990, 1, 2),
           country: str = "Honduras", facility: int | None = 1) -> Person:
    return Person(uuid.uuid4(), "012345678", names, dob, country, ("es",), facility, "F",
                  None, T0)


def form(names: tuple[str, ...] = (), dob: dt.date | None = None, country: str = "",
         facility: int | None = None, languages: tuple[str, ...] = ()) -> PersonForm:
    return PersonForm("012345678", names, dob, country, facility, languages)


EMPTY = person((), None, "", None)


@pytest.mark.parametrize(("record", "typed", "may_fill", "filled", "proposed"), [
    # the same as the record, or nothing typed: nothing to do
    (person(), form(("Ana Ruiz",), dt.date(1990, 1, 2), "Honduras", 1), True, {}, Proposal()),
    (person(), form(), True, {}, Proposal()),
    # empty fields filled from a call's intake
    (EMPTY, form(("Ana",), dt.date(1990, 1, 2), "Peru", 2), True,
     {"names": ("Ana",), "date_of_birth": dt.date(1990, 1, 2), "country": "Peru",
      "facility_id": 2}, Proposal()),
    # ... but only proposed from a standalone intake
    (EMPTY, form(("Ana",), country="Peru"), False, {},
     Proposal(("Ana",), country="Peru")),
    # a change to a field on record is proposed, never written
    (person(), form(("Ana Ruis",), dt.date(1991, 1, 2), "Peru", 2), True, {},
     Proposal(("Ana Ruis",), dt.date(1991, 1, 2), "Peru", 2)),
    # mixed: the empty date filled, the other country proposed
    (person(dob=None), form(dob=dt.date(1990, 1, 2), country="Peru"), True,
     {"date_of_birth": dt.date(1990, 1, 2)}, Proposal(country="Peru")),
    # the caller's language is added from a call (not an identity field)
    (person(), form(languages=("ht",)), True, {"languages": ("es", "ht")}, Proposal()),
    (person(), form(languages=("ht",)), False, {}, Proposal()),
])
def test_an_intake_fills_empty_fields_and_proposes_the_rest(
    record: Person, typed: PersonForm, may_fill: bool, filled: dict[str, object],
    proposed: Proposal
) -> None:
    new, proposal = identity_rules.split(record, typed, may_fill=may_fill)
    changed = {name: getattr(new, name) for name in ("names", "date_of_birth", "country",
                                                     "facility_id", "languages")
               if getattr(new, name) != getattr(record, name)}
    assert changed == filled and proposal == proposed
    assert Proposal.from_json(proposal.to_json()) == proposal


def test_an_accepted_proposal_adds_spellings_and_replaces_the_rest() -> None:
    record = person()
    after = identity_rules.accepted(record, Proposal(("Ana Ruis",), None, "Peru", 2))
    assert (after.names, after.date_of_birth, after.country, after.facility_id) == (
        ("Ana Ruiz", "Ana Ruis"), record.date_of_birth, "Peru", 2)
    assert Proposal(("x",), None, "Peru").fields() == ["names", "country"]


A, B, C, D = b"a" * 32, b"b" * 32, b"c" * 32, b"d" * 32


@pytest.mark.parametrize(("seen", "key", "expected"), [
    ([], A, ""),
    ([(A, True)], A, ""),  # the person found again
    ([(A, True)], B, ONE_PERSON),  # anyone else, once a person was found
    ([(A, False), (B, False)], C, ""),  # typing slips that found nobody
    ([(A, False), (B, False), (C, False)], D, TOO_MANY),
    ([(A, False), (B, False), (C, False)], B, ""),
    ([(A, False), (A, True)], A, ""),
])
def test_a_call_shows_one_person_after_a_few_tries(
    seen: list[tuple[bytes, bool]], key: bytes, expected: str
) -> None:
    assert lookup_rules.refusal(seen, key) == expected


@pytest.mark.parametrize(("ended", "now", "expected"), [
    (None, T0 + 60 * MIN, True),
    (None, T0 + 6 * 60 * MIN, False),  # never marked ended: not a call any more
    (T0 + 10 * MIN, T0 + 39 * MIN, True),  # wrap-up
    (T0 + 10 * MIN, T0 + 40 * MIN, False),
])
def test_lookups_during_the_call_and_its_wrap_up(ended: dt.datetime | None,
                                                 now: dt.datetime, expected: bool) -> None:
    assert lookup_rules.during_call(T0, ended, now) is expected


def test_a_revision_is_shown_with_names_for_ids() -> None:
    content = {"facility": 1, "narrative": "Cold cell", "consents": [2, 9],
               "occurred_to": None, "family_consent": False, "assignee_id": 5,
               "family_contact": {"name": "Rosa", "phone": "", "message": "ok"}}
    names = {"facilities": {1: "Stewart"}, "partners": {2: "Legal Aid"}, "users": {5: "Sam"}}
    assert revision_content.shown(content, names) == [
        ("facility", "Facility", "Stewart"),
        ("family_contact", "Family contact", "message: ok · name: Rosa"),
        ("family_consent", "Consent to share the family contact", "no"),
        ("occurred_to", "To", "—"), ("narrative", "What happened", "Cold cell"),
        ("consents", "Consent to share with", "Legal Aid, #9"),
        ("assignee_id", "Assignee", "Sam")]
