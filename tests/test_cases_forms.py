"""Pure tables: A-numbers and the case forms, no database."""

from __future__ import annotations

import datetime as dt

import pytest
from multidict import MultiDict

from lifeline_pbx.cases import anumber
from lifeline_pbx.cases.forms import (
    Choices,
    IntakeForm,
    parse_follow_up,
    parse_intake,
    parse_outcome,
    parse_report,
)
from lifeline_pbx.errors import Invalid

TODAY = dt.date(2026, 3, 10)
CHOICES = Choices(
    categories=frozenset({"medical_neglect", "use_of_force"}),
    partners=frozenset({1, 2}),
    facilities=frozenset({10, 11}),
    users=frozenset({5, 6}),
)


@pytest.mark.parametrize(("typed", "normal"), [
    ("A012345678", "012345678"),
    ("a012345678", "012345678"),
    ("012345678", "012345678"),
    ("12345678", "012345678"),
    ("A12345678", "012345678"),
    ("A-012-345-678", "012345678"),
    ("A 012 345 678", "012345678"),
    ("  A12-345-678  ", "012345678"),
    ("A- 2 0 8 - 1 2 3 - 4 5 6", "208123456"),
    ("208123456", "208123456"),
])
def test_a_numbers_normalise_to_nine_digits(typed: str, normal: str) -> None:
    assert anumber.normalise(typed) == normal


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter the A-number"),
    ("   ", "Enter the A-number"),
    ("A", "has 0"),
    ("A1234567", "8 or 9 digits; this one has 7"),
    ("A1234567890", "8 or 9 digits; this one has 10"),
    ("B12345678", "only digits"),
    ("A1234S678", "only digits"),
    ("A12.345.678", "only digits"),
    ("A12345678<script>", "only digits"),
    ("A" + "".join(chr(0x661 + i) for i in range(8)), "only digits"),  # Arabic-Indic
    ("AA12345678", "only digits"),
    ("A000000000", "all zeros"),
    ("A" + "1" * 40, "too long"),
])
def test_malformed_a_numbers_are_refused_with_a_reason(typed: str, message: str) -> None:
    with pytest.raises(anumber.ANumberError, match=message):
        anumber.normalise(typed)


def test_display_form() -> None:
    assert anumber.display("012345678") == "A012-345-678"


FULL = {
    "call_id": "6f1c1f4e-8d3a-4c56-9b1e-0c2f5c0e1a11",
    "facility_id": "10", "language": "es", "triage": "2",
    "a_number": "A 12-345-678", "person_names": "Ana Pérez\nANA PÉREZ\n\nAna Peres",
    "person_dob": "1990-05-01", "person_country": "Honduras", "person_facility": "11",
    "needs_medical": "on", "needs_note": "needs insulin",
    "family_name": "Rosa", "family_phone": "+1 (555) 010-2000", "family_message": "I am ok",
    "family_consent": "on",
    "report_category": "medical_neglect", "report_severity": "high",
    "report_from": "2026-03-01", "report_to": "2026-03-09", "report_affected": "person",
    "report_housing_unit": "B-2", "report_narrative": "Denied insulin for 3 days.",
    "followup_what": "Call the legal partner", "followup_due": "2026-03-11",
    "followup_assignee": "5",
}


def form(**changes: str) -> MultiDict[str]:
    data = MultiDict({k: v for k, v in FULL.items() if k not in changes})
    for key, value in changes.items():
        if value != "<absent>":
            data[key] = value
    return data


def parse(**changes: str) -> IntakeForm:
    return parse_intake(form(**changes), CHOICES, TODAY)


def test_a_full_intake_parses() -> None:
    data = form()
    data.add("report_consent", "1")
    data.add("report_consent", "2")
    intake = parse_intake(data, CHOICES, TODAY)
    assert intake.person is not None and len(intake.reports) == 1
    assert intake.person.a_number == "012345678"
    assert intake.person.names == ("Ana Pérez", "Ana Peres")
    assert intake.person.date_of_birth == dt.date(1990, 5, 1)
    assert intake.person.languages == ("es",)
    assert intake.needs == ("medical", "family")  # family contact implies the need
    assert intake.reports[0].partner_ids == (1, 2)
    assert intake.follow_up is not None and intake.follow_up.assignee_id == 5
    assert intake.triage == 2


def test_an_empty_intake_has_no_person_report_or_follow_up() -> None:
    intake = parse_intake(MultiDict(), CHOICES, TODAY)
    assert (intake.person, intake.reports, intake.follow_up, intake.family) == (
        None, (), None, None)


LONG = "x" * 20_001


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"a_number": "A123"}, "a_number", "8 or 9 digits"),
    ({"a_number": ""}, "a_number", "Enter the A-number to save"),
    ({"person_names": "n" * 201}, "person_names", "each line at most 200"),
    ({"person_names": "\n".join(f"n{i}" for i in range(21))}, "person_names", "at most 20"),
    ({"person_dob": "01/05/1990"}, "person_dob", "YYYY-MM-DD"),
    ({"person_dob": "2027-01-01"}, "person_dob", "future"),
    ({"person_dob": "1800-01-01"}, "person_dob", "out of range"),
    ({"person_country": "c" * 201}, "person_country", "too long"),
    ({"person_country": "Hon\x00duras"}, "person_country", "cannot be stored"),
    ({"person_facility": "99"}, "person_facility", "from the list"),
    ({"person_facility": "ten"}, "person_facility", "from the list"),
    ({"call_id": "not-a-uuid"}, "call_id", "not valid"),
    ({"language": "xx"}, "language", "Choose language"),
    ({"triage": "9"}, "triage", "Choose triage"),
    ({"needs_note": "n" * 2001}, "needs_note", "too long"),
    ({"family_phone": "call me maybe"}, "family_phone", "digits"),
    ({"family_consent": "<absent>"}, "family_consent", "consent"),
    ({"report_category": "made_up"}, "report_category", "category from the list"),
    ({"report_severity": "extreme"}, "report_severity", "Choose severity"),
    ({"report_from": "2026-03-09", "report_to": "2026-03-01"}, "report_to", "before the start"),
    ({"report_from": "2026-13-01"}, "report_from", "YYYY-MM-DD"),
    ({"report_affected": "everyone"}, "report_affected", "Choose who"),
    ({"report_housing_unit": "u" * 101}, "report_housing_unit", "too long"),
    ({"report_narrative": ""}, "report_narrative", "Enter what happened"),
    ({"report_narrative": LONG}, "report_narrative", "at most 20,000"),
    ({"person_facility": "", "facility_id": ""}, "person_facility", "facility the report"),
    ({"followup_what": "", "followup_due": "2026-03-11"}, "followup_what", "clear the due"),
    ({"followup_due": "2026-03-01"}, "followup_due", "in the past"),
    ({"followup_assignee": "7"}, "followup_assignee", "from the list"),
    ({"followup_what": "w" * 2001}, "followup_what", "too long"),
])
def test_bad_intake_fields_are_refused_by_name(
    changes: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(Invalid) as refused:
        parse(**changes)
    assert field in refused.value.errors, refused.value.errors
    assert message in refused.value.errors[field]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(Invalid) as refused:
        parse(a_number="A1", report_severity="", followup_assignee="99")
    assert set(refused.value.errors) == {"a_number", "report_severity", "followup_assignee"}


def test_unknown_partner_consent_is_refused() -> None:
    data = form()
    data.add("report_consent", "3")
    with pytest.raises(Invalid) as refused:
        parse_intake(data, CHOICES, TODAY)
    assert "report_consent" in refused.value.errors


def test_script_in_text_is_kept_as_text() -> None:
    """Escaping happens where it is shown; the form keeps what was typed."""
    intake = parse(report_narrative="<script>alert(1)</script>")
    assert intake.reports[0].narrative == "<script>alert(1)</script>"


def test_report_follow_up_and_outcome_forms() -> None:
    report = parse_report(MultiDict({"report_category": "use_of_force", "report_severity": "low",
                                     "report_affected": "group",
                                     "report_narrative": "x"}), CHOICES, TODAY)
    assert report.affected == "group"
    with pytest.raises(Invalid):
        parse_report(MultiDict(), CHOICES, TODAY)
    with pytest.raises(Invalid):
        parse_follow_up(MultiDict({"followup_what": " "}), CHOICES, TODAY)
    key = "6f1c1f4e-8d3a-4c56-9b1e-0c2f5c0e1a12"
    outcome = parse_outcome(MultiDict({"outcome": "silent", "intake_id": key}))
    assert (str(outcome.key), outcome.call_id, outcome.outcome) == (key, None, "silent")
    with pytest.raises(Invalid):
        parse_outcome(MultiDict({"outcome": "intake"}))


@pytest.mark.parametrize(("cell", "written"), [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
    ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("B-2", "B-2"), ("", ""),
])
def test_csv_cells_are_made_inert(cell: str, written: str) -> None:
    from lifeline_pbx.cases.export import inert

    assert inert(cell) == written


PREFILL_CONTEXT = {"facilities": [(1, "A"), (2, "B")], "caller_languages": [("es", "Spanish")]}


@pytest.mark.parametrize("params, values", [
    ({}, {}),
    ({"facility_id": "2", "language": "es"},
     {"facility_id": "2", "person_facility": "2", "language": "es"}),
    ({"facility_id": "9", "language": "xx"}, {}),  # unknown: ignored, not an error
    ({"facility_id": "<script>", "language": "es"}, {"language": "es"}),
])
def test_intake_prefill_from_the_address(params: dict[str, str], values: dict[str, str]) -> None:
    from lifeline_pbx.cases.views import prefill

    assert prefill(params, PREFILL_CONTEXT) == values


R1 = "0b0e4e36-5f0a-4a8e-9d61-6c1b0a000001"
R2 = "0b0e4e36-5f0a-4a8e-9d61-6c1b0a000002"
SECOND = {"report_id_2": R2, "report_category_2": "use_of_force", "report_severity_2": "high",
          "report_affected_2": "group", "report_housing_unit_2": "C-1",
          "report_narrative_2": "Pushed to the floor in unit C."}


@pytest.mark.parametrize(("typed", "field", "message"), [
    # Anything typed in a report block without a category is refused, never dropped.
    ({"report_category": "", "report_narrative": "Beaten"}, "report_category",
     "Choose a category for this report"),
    ({"report_category": "", "report_narrative": "", "report_housing_unit": "B-2"},
     "report_category", "Choose a category"),
    ({"report_category": "", "report_narrative": "", "report_from": "2026-03-01"},
     "report_category", "Choose a category"),
    ({"report_category": "", "report_narrative": "", "report_consent": "1"},
     "report_category", "Choose a category"),
    ({**SECOND, "report_category_2": ""}, "report_category_2", "Report 2: Choose a category"),
    ({**SECOND, "report_narrative_2": ""}, "report_narrative_2", "Report 2: Enter what happened"),
    ({**SECOND, "report_to_2": "2026-03-01", "report_from_2": "2026-03-05"}, "report_to_2",
     "Report 2: The end date is before"),
    ({**SECOND, "report_consent_2": "9"}, "report_consent_2", "unknown choice"),
    ({"report_category_11": "use_of_force"}, "report_category", "At most 10 reports"),
    ({"report_narrative_1": "x"}, "report_category", "At most 10 reports"),
    ({"report_id": R2, **SECOND}, "report_category", "same key"),
    ({"report_id": "not-a-key"}, "report_id", "not valid"),
    ({"intake_id": "not-a-key"}, "intake_id", "not valid"),
    ({"voicemail_id": "nope"}, "voicemail_id", "not valid"),
])
def test_report_blocks_and_keys_are_refused_by_name(
    typed: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(Invalid) as refused:
        parse(**typed)
    assert message in refused.value.errors.get(field, ""), refused.value.errors


def test_several_reports_keep_their_blocks_and_keys() -> None:
    data = form(report_id=R1, intake_id="6f1c1f4e-8d3a-4c56-9b1e-0c2f5c0e1a99", **SECOND)
    data.add("report_consent_2", "2")
    intake = parse_intake(data, CHOICES, TODAY)
    assert [(str(r.id), r.category, r.housing_unit) for r in intake.reports] == [
        (R1, "medical_neglect", "B-2"), (R2, "use_of_force", "C-1")]
    assert intake.reports[1].partner_ids == (2,) and intake.reports[0].partner_ids == ()
    assert str(intake.key) == "6f1c1f4e-8d3a-4c56-9b1e-0c2f5c0e1a99"
    assert intake.blank_reports == ()


def test_an_empty_block_is_no_report_but_its_key_is_noted() -> None:
    """A saved report's block sent back empty: the save decides (a saved report is kept)."""
    intake = parse(report_id=R1, report_category="", report_narrative="", report_from="",
                   report_to="", report_housing_unit="", report_severity="high",
                   report_affected="group")
    assert intake.reports == ()
    assert [(str(key), name) for key, name in intake.blank_reports] == [
        (R1, "report_narrative")]


def test_a_form_without_a_key_gets_a_fresh_one() -> None:
    assert parse().key != parse().key


KEY = "6f1c1f4e-8d3a-4c56-9b1e-0c2f5c0e1a99"
OTHER_KEY = "6f1c1f4e-8d3a-4c56-9b1e-0c2f5c0e1a98"
UNKEYED = {**SECOND, "report_id_2": ""}


@pytest.mark.parametrize(("first", "again", "same"), [
    # Blocks without a key (the page without its script): the same form, the same reports.
    ({"intake_id": KEY, **UNKEYED}, {"intake_id": KEY, **UNKEYED}, True),
    # The script added block 2 (with its own key) to a form whose block 1 had none.
    ({"intake_id": KEY}, {"intake_id": KEY, **SECOND}, True),
    # Another form (another key), or no form key at all (a script): other reports.
    ({"intake_id": KEY, **UNKEYED}, {"intake_id": OTHER_KEY, **UNKEYED}, False),
    ({"intake_id": "<absent>"}, {"intake_id": "<absent>"}, False),
])
def test_a_block_without_a_key_gets_the_same_one_each_time_its_form_is_posted(
    first: dict[str, str], again: dict[str, str], same: bool
) -> None:
    one, two = parse(**first).reports, parse(**again).reports
    assert (one[0].id == two[0].id) is same
    assert len({r.id for r in (*one, *two)}) == len(one) + len(two) - (len(one) if same else 0)


def test_an_empty_block_without_a_key_is_noted_by_the_key_it_would_get() -> None:
    typed = parse(intake_id=KEY, **UNKEYED)
    emptied = parse(intake_id=KEY, **{**UNKEYED, "report_category_2": "",
                                      "report_narrative_2": "", "report_housing_unit_2": ""})
    assert [(key, name) for key, name in emptied.blank_reports] == [
        (typed.reports[1].id, "report_narrative_2")]
