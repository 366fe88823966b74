"""How many people a group report is about, as typed (cases/group_size.py), and as the
report forms read it: pure, no database."""

from __future__ import annotations

import datetime as dt

import pytest
from multidict import MultiDict

from lifeline_pbx.cases import group_size
from lifeline_pbx.cases.forms import Choices, parse_intake, parse_report
from lifeline_pbx.errors import Invalid

CHOICES = Choices(categories=frozenset({"medical_neglect"}), partners=frozenset(),
                  facilities=frozenset({10}), users=frozenset())
TODAY = dt.date(2026, 3, 10)

# (typed, affected) -> the number kept
KEPT = [
    (("", "group"), None),
    (("   ", "group"), None),
    (("", "person"), None),  # nothing typed: nothing to refuse
    (("2", "group"), 2),
    (("3", "group"), 3),
    ((" 12 ", "group"), 12),
    (("1,200", "group"), 1200),
    (("0040", "group"), 40),
    (("10000", "group"), 10_000),
    (("10,000", "group"), 10_000),
]

# (typed, affected) -> what the message says, beside the words typed
REFUSED = [
    (("3", "person"), "for a report about a group"),
    (("0", "group"), "a group is 2 people or more"),
    (("1", "group"), "a group is 2 people or more"),
    (("-4", "group"), "a group is 2 people or more"),
    (("three", "group"), "not a whole number"),
    (("3.5", "group"), "not a whole number"),
    (("about 30", "group"), "not a whole number"),
    (("٣", "group"), "not a whole number"),  # an Arabic-Indic digit
    (("10001", "group"), "more than 10,000"),
    (("000010001", "group"), "more than 10,000"),
    (("9" * 5000, "group"), "more than 10,000"),
]


@pytest.mark.parametrize(("typed", "kept"), KEPT)
def test_a_number_of_people_is_kept(typed: tuple[str, str], kept: int | None) -> None:
    assert group_size.parse(*typed) == kept


@pytest.mark.parametrize(("typed", "said"), REFUSED)
def test_a_bad_number_is_refused_saying_what_was_typed(typed: tuple[str, str],
                                                       said: str) -> None:
    with pytest.raises(group_size.Refused) as refused:
        group_size.parse(*typed)
    message = str(refused.value)
    assert message.startswith("How many people (about): ") and said in message
    assert f'"{typed[0].strip()[:20]}' in message


def report(**fields: str) -> MultiDict[str]:
    return MultiDict({"report_category": "medical_neglect", "report_narrative": "x",
                      "report_severity": "low",
                      **fields})


def test_the_report_forms_read_it_and_name_the_field_that_refused_it() -> None:
    group = parse_report(report(report_affected="group", report_people="3"), CHOICES, TODAY)
    assert (group.affected, group.people) == ("group", 3)
    assert parse_report(report(report_affected="group"), CHOICES, TODAY).people is None
    with pytest.raises(Invalid) as refused:
        parse_report(report(report_affected="person", report_people="3"), CHOICES, TODAY)
    assert set(refused.value.errors) == {"report_people"}
    intake = MultiDict({"facility_id": "10", "report_category_2": "medical_neglect",
                        "report_narrative_2": "x", "report_affected_2": "group",
                        "report_people_2": "1"})
    with pytest.raises(Invalid) as refused:
        parse_intake(intake, CHOICES, TODAY)
    assert refused.value.errors["report_people_2"].startswith("Report 2: How many people")


def test_a_number_alone_makes_a_block_that_needs_its_category_and_narrative() -> None:
    with pytest.raises(Invalid) as refused:
        parse_intake(MultiDict({"facility_id": "10", "report_affected": "group",
                                "report_people": "4"}), CHOICES, TODAY)
    assert {"report_category", "report_narrative"} <= set(refused.value.errors)
