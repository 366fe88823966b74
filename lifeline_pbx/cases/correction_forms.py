"""The supervisors' correction forms read into what they say: a report with its facility,
an intake's own fields with whether its reports move with its facility, each with the
reason typed. Whether a reason is needed depends on what changed, which the service knows
(correction_words.reason_refusal)."""

from __future__ import annotations

from dataclasses import dataclass

from lifeline_pbx.cases import anumber, correction_words
from lifeline_pbx.cases.fields import SHORT, FormData, Reader
from lifeline_pbx.cases.forms import (
    CALLER_LANGUAGES,
    MAX_NAMES,
    Choices,
    IntakeFields,
    PersonForm,
    ReportForm,
    parse_intake_fields,
    read_report,
)
from lifeline_pbx.cases.misfile_rules import Removal
from lifeline_pbx.errors import Invalid

REASON_FIELD = "reason"


@dataclass(frozen=True)
class ReportCorrection:
    form: ReportForm
    facility_id: int | None  # None: not on the form (one opened before it had the field)
    reason: str


@dataclass(frozen=True)
class IntakeCorrection:
    fields: IntakeFields
    reason: str
    move_reports: bool  # its reports go to the intake's new facility too


def read_reason(reader: Reader) -> str:
    return reader.text(REASON_FIELD, "The reason", correction_words.REASON_LIMIT,
                       multiline=True)


def parse_report_correction(data: FormData, choices: Choices) -> ReportCorrection:
    reader = Reader(data)
    report = read_report(reader, choices)
    if report is None:
        reader.fail("report_category", "Choose a report category from the list.")
    facility_id = reader.ident("report_facility", "The facility", choices.facilities)
    reason = read_reason(reader)
    if reader.errors:
        raise Invalid(reader.errors)
    assert report is not None
    return ReportCorrection(report, facility_id, reason)


def parse_intake_correction(data: FormData, choices: Choices) -> IntakeCorrection:
    reader = Reader(data)
    reason = read_reason(reader)
    try:
        fields = parse_intake_fields(data, choices)
    except Invalid as e:
        raise Invalid({**reader.errors, **e.errors}) from None
    if reader.errors:
        raise Invalid(reader.errors)
    return IntakeCorrection(fields, reason, reader.flag("move_reports"))


@dataclass(frozen=True)
class MoveForm:
    """An intake moved to the person of this A-number, or to a new person with these
    details when nobody has it; what is taken off the wrong person's record; why."""

    new_person: PersonForm  # its A-number is the right person's
    removal: Removal
    reason: str


def parse_move(data: FormData, choices: Choices) -> MoveForm:
    reader = Reader(data)
    try:
        a_number = anumber.normalise(reader.raw("a_number")[: anumber.MAX_TYPED + 1])
    except anumber.ANumberError as e:
        reader.fail("a_number", str(e))
        a_number = ""
    names = reader.lines("person_names", "Names", SHORT, MAX_NAMES)
    dob = reader.date("person_dob", "Date of birth", not_after_today=True)
    country = reader.text("person_country", "Country", SHORT)
    facility_id = reader.ident("person_facility", "Facility", choices.facilities)
    languages = reader.several("person_languages", "Languages",
                               [c for c, _ in CALLER_LANGUAGES if c != "other"])
    entry = reader.raw("remove_facility")
    removal = Removal(
        tuple(v for v in data.getall("remove_names", []) if isinstance(v, str)),
        tuple(v for v in data.getall("remove_languages", []) if isinstance(v, str)),
        int(entry) if entry.isascii() and entry.isdigit() and len(entry) < 19 else None)
    reason = read_reason(reader)
    if not reason:
        reader.fail(REASON_FIELD, correction_words.REASON_MISSING)
    if reader.errors:
        raise Invalid(reader.errors)
    return MoveForm(PersonForm(a_number, names, dob, country, facility_id, languages),
                    removal, reason)


def refuse_reason(fields: list[str], reason: str) -> None:
    """Invalid, beside the reason field, when this correction needs a reason not given."""
    if refusal := correction_words.reason_refusal(fields, reason):
        raise Invalid(refusal, REASON_FIELD)
