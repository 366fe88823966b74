"""The case forms, parsed and validated into frozen dataclasses, with no I/O.

Each parse function takes the submitted multidict and the Choices the database allows
(enabled categories, partners, facilities, users), and returns the clean form or raises
FormInvalid carrying one message per bad field, keyed by the field's name.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from lifeline_pbx.cases import anumber
from lifeline_pbx.cases.fields import NARRATIVE, NOTE, PHONE, SHORT, FormData, Reader
from lifeline_pbx.errors import LifelineError

# Languages callers speak (DOMAIN.md); codes as in the IVR where it has them.
CALLER_LANGUAGES: tuple[tuple[str, str], ...] = (
    ("es", "Spanish"), ("en", "English"), ("ht", "Haitian Creole"), ("fr", "French"),
    ("pt", "Portuguese"), ("cmn", "Mandarin"), ("pa", "Punjabi"), ("hi", "Hindi"),
    ("ru", "Russian"), ("ar", "Arabic"), ("ro", "Romanian"), ("quc", "K'iche'"),
    ("mam", "Mam"), ("kjb", "Q'anjob'al"), ("other", "Other"),
)
NEEDS = ("legal", "medical", "family", "other")
SEVERITIES = ("low", "medium", "high", "critical")
AFFECTED = ("person", "group")
OUTCOMES = ("silent", "hung_up", "wrong_number", "test_call")
FOLLOW_UP_STATUSES = ("open", "done", "cancelled")
MAX_NAMES = 20


class FormInvalid(LifelineError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(f"{len(errors)} field(s) refused: {', '.join(sorted(errors))}")
        self.errors = errors


@dataclass(frozen=True)
class Choices:
    """What the database currently allows in the select boxes."""

    categories: frozenset[str]  # enabled report categories
    partners: frozenset[int]  # enabled partners
    facilities: frozenset[int]
    users: frozenset[int]  # enabled users, for assignees


@dataclass(frozen=True)
class PersonForm:
    a_number: str  # normalised, 9 digits
    names: tuple[str, ...]
    date_of_birth: dt.date | None
    country: str
    facility_id: int | None
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class FamilyContact:
    name: str
    phone: str
    message: str
    consent: bool


@dataclass(frozen=True)
class ReportForm:
    category: str
    severity: str
    occurred_from: dt.date | None
    occurred_to: dt.date | None
    affected: str
    housing_unit: str
    narrative: str
    partner_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class FollowUpForm:
    what: str
    due_on: dt.date | None
    assignee_id: int | None


@dataclass(frozen=True)
class IntakeForm:
    call_id: uuid.UUID | None
    facility_id: int | None
    language: str
    triage: int
    person: PersonForm | None
    needs: tuple[str, ...]
    needs_note: str
    family: FamilyContact | None
    report: ReportForm | None
    follow_up: FollowUpForm | None


def _finish(reader: Reader) -> None:
    if reader.errors:
        raise FormInvalid(reader.errors)


def _a_number(reader: Reader, name: str = "a_number") -> str:
    try:
        return anumber.normalise(reader.raw(name)[: anumber.MAX_TYPED + 1])
    except anumber.ANumberError as e:
        reader.fail(name, str(e))
        return ""


def _person_details(reader: Reader, choices: Choices
                    ) -> tuple[tuple[str, ...], dt.date | None, str, int | None]:
    names = reader.lines("person_names", "Names", SHORT, MAX_NAMES)
    dob = reader.date("person_dob", "Date of birth", not_after_today=True)
    country = reader.text("person_country", "Country", SHORT)
    facility_id = reader.ident("person_facility", "Facility", choices.facilities)
    return names, dob, country, facility_id


def read_person(reader: Reader, choices: Choices, *, required: bool) -> PersonForm | None:
    names, dob, country, facility_id = _person_details(reader, choices)
    typed = reader.raw("a_number").strip()
    if not typed and not required and not (names or dob or country):
        return None
    if not typed and not required:
        reader.fail("a_number", "Enter the A-number to save the person's names, date of "
                                "birth or country.")
    a_number = _a_number(reader)
    language = reader.raw("language").strip()
    languages = (language,) if language in dict(CALLER_LANGUAGES) and language != "other" else ()
    return PersonForm(a_number, names, dob, country, facility_id, languages)


def read_family(reader: Reader) -> FamilyContact | None:
    name = reader.text("family_name", "Family member's name", SHORT)
    phone = reader.text("family_phone", "Family phone", PHONE)
    message = reader.text("family_message", "Message for the family", NOTE, multiline=True)
    consent = reader.flag("family_consent")
    if not (name or phone or message):
        return None
    if phone and not all(ch.isdigit() or ch in " +-().ext" for ch in phone):
        reader.fail("family_phone", "Family phone: digits, spaces, + - ( ) only.")
    if not consent:
        reader.fail("family_consent", "Ask the caller's consent before recording family "
                                      "contact details, and tick the box.")
    return FamilyContact(name, phone, message, consent)


def read_report(reader: Reader, choices: Choices) -> ReportForm | None:
    category = reader.raw("report_category").strip()
    if not category:
        return None
    if category not in choices.categories:
        reader.fail("report_category", "Choose a report category from the list.")
    severity = reader.choice("report_severity", "Severity", SEVERITIES)
    start = reader.date("report_from", "Date (from)", not_after_today=True)
    end = reader.date("report_to", "Date (to)", not_after_today=True)
    if start and end and end < start:
        reader.fail("report_to", "The end date is before the start date.")
    affected = reader.choice("report_affected", "Who is affected", AFFECTED, default="person")
    unit = reader.text("report_housing_unit", "Housing unit", 100)
    narrative = reader.text("report_narrative", "What happened", NARRATIVE, required=True,
                            multiline=True)
    partners = reader.idents("report_consent", "Consent to share", choices.partners)
    return ReportForm(category, severity, start, end, affected, unit, narrative, partners)


def read_follow_up(reader: Reader, choices: Choices) -> FollowUpForm | None:
    what = reader.text("followup_what", "Follow-up", NOTE, multiline=True)
    due = reader.date("followup_due", "Due date")
    assignee = reader.ident("followup_assignee", "Assignee", choices.users)
    if not what:
        if due:
            reader.fail("followup_what", "Say what is to be done, or clear the due date.")
        return None
    if due and due < reader.today:
        reader.fail("followup_due", "The due date is in the past.")
    return FollowUpForm(what, due, assignee)


def parse_intake(data: FormData, choices: Choices, today: dt.date | None = None) -> IntakeForm:
    reader = Reader(data, today)
    call_id = reader.uuid("call_id", "The call")
    facility_id = reader.ident("facility_id", "Facility of the call", choices.facilities)
    language = reader.choice("language", "Language", [c for c, _ in CALLER_LANGUAGES],
                             required=False)
    triage = reader.choice("triage", "Triage", ("0", "1", "2", "3"), default="0")
    person = read_person(reader, choices, required=False)
    needs = tuple(n for n in NEEDS if reader.flag(f"needs_{n}"))
    needs_note = reader.text("needs_note", "Needs note", NOTE, multiline=True)
    family = read_family(reader)
    if family and "family" not in needs:
        needs = (*needs, "family")
    report = read_report(reader, choices)
    if report and not (person and person.facility_id) and facility_id is None:
        reader.fail("person_facility", "Choose the facility the report is about.")
    follow_up = read_follow_up(reader, choices)
    _finish(reader)
    return IntakeForm(call_id, facility_id, language, int(triage or 0), person, needs,
                      needs_note, family, report, follow_up)


def parse_person(data: FormData, choices: Choices, today: dt.date | None = None, *,
                 a_number: str) -> PersonForm:
    """The person's edit page (a supervisor correcting the record): what it says is the
    whole of the new record, so an emptied field is cleared.

    The A-number is the record's own, never read from the form: a wrong A-number is fixed
    by merging. Languages are several ticked boxes (person_languages).
    """
    reader = Reader(data, today)
    names, dob, country, facility_id = _person_details(reader, choices)
    spoken = [code for code, _ in CALLER_LANGUAGES if code != "other"]
    languages = reader.several("person_languages", "Languages", spoken)
    _finish(reader)
    return PersonForm(a_number, names, dob, country, facility_id, languages)


def parse_report(data: FormData, choices: Choices, today: dt.date | None = None) -> ReportForm:
    reader = Reader(data, today)
    report = read_report(reader, choices)
    if report is None:
        reader.fail("report_category", "Choose a report category from the list.")
    _finish(reader)
    assert report is not None
    return report


def parse_follow_up(data: FormData, choices: Choices,
                    today: dt.date | None = None) -> FollowUpForm:
    reader = Reader(data, today)
    follow_up = read_follow_up(reader, choices)
    if follow_up is None:
        reader.fail("followup_what", "Say what is to be done.")
    _finish(reader)
    assert follow_up is not None
    return follow_up


def parse_outcome(data: FormData) -> tuple[uuid.UUID | None, str]:
    reader = Reader(data)
    call_id = reader.uuid("call_id", "The call")
    outcome = reader.choice("outcome", "Outcome", OUTCOMES)
    _finish(reader)
    return call_id, outcome
