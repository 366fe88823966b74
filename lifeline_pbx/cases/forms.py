"""The case forms, parsed and validated into frozen dataclasses, with no I/O.

Each parse function takes the submitted multidict and the Choices the database allows
(enabled categories, partners, facilities, users), and returns the clean form or raises
Invalid carrying one message per bad field, keyed by the field's name.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

from lifeline_pbx.cases import anumber, group_size, held_at
from lifeline_pbx.cases.fields import NARRATIVE, NOTE, PHONE, SHORT, FormData, Reader
from lifeline_pbx.errors import Invalid

# Languages callers speak (the domain brief); codes as in the IVR where it has them.
CALLER_LANGUAGES: tuple[tuple[str, str], ...] = (
    ("es", "Spanish"), ("en", "English"), ("ht", "Haitian Creole"), ("fr", "French"),
    ("pt", "Portuguese"), ("cmn", "Mandarin"), ("pa", "Punjabi"), ("hi", "Hindi"),
    ("ru", "Russian"), ("ar", "Arabic"), ("ro", "Romanian"), ("quc", "K'iche'"),
    ("mam", "Mam"), ("kjb", "Q'anjob'al"), ("other", "Other"),
)
# As every page names them: the templates' `language` filter, and the pages' scripts
# (web/templates/language_names.html).
LANGUAGE_NAMES = dict(CALLER_LANGUAGES)


def language_name(code: str) -> str:
    """A language as every page names it (the templates' `language` filter); a code not
    on the list is shown as it is."""
    return LANGUAGE_NAMES.get(code, code)
NEEDS = ("legal", "medical", "family", "other")
SEVERITIES = ("low", "medium", "high", "critical")
AFFECTED = ("person", "group")
OUTCOMES = ("silent", "hung_up", "wrong_number", "test_call")
MAX_NAMES = 20
MAX_REPORTS = 10  # report blocks in one intake
_NUMBERED_REPORT_FIELD = re.compile(r"report_[a-z_]+_([0-9]+)")


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
    # The report block's key: the report's id, so that saving the form again updates it.
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    people: int | None = None  # about how many, on a report about a group (group_size.py)


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
    reports: tuple[ReportForm, ...]
    follow_up: FollowUpForm | None
    # The form's key, given when it was opened: the intake's id. Saving the same form again
    # updates that intake; repeating a submission changes nothing.
    key: uuid.UUID = field(default_factory=uuid.uuid4)
    voicemail_id: uuid.UUID | None = None
    # Report blocks sent with their key but nothing typed: (report id, field to name).
    blank_reports: tuple[tuple[uuid.UUID, str], ...] = ()


def _finish(reader: Reader) -> None:
    if reader.errors:
        raise Invalid(reader.errors)


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


def report_suffix(number: int) -> str:
    """Field names of report block n: report_category, report_category_2, ..."""
    return "" if number == 1 else f"_{number}"


def _report_typed(reader: Reader, choices: Choices, suffix: str, label: str
                  ) -> tuple[str, dt.date | None, dt.date | None, str, str, tuple[int, ...]]:
    start = reader.date(f"report_from{suffix}", f"{label}Date (from)", not_after_today=True)
    end = reader.date(f"report_to{suffix}", f"{label}Date (to)", not_after_today=True)
    if start and end and end < start:
        reader.fail(f"report_to{suffix}", f"{label}The end date is before the start date.")
    unit = reader.text(f"report_housing_unit{suffix}", f"{label}Housing unit", 100)
    narrative = reader.text(f"report_narrative{suffix}", f"{label}What happened", NARRATIVE,
                            multiline=True)
    partners = reader.idents(f"report_consent{suffix}", f"{label}Consent to share",
                             choices.partners)
    return reader.raw(f"report_category{suffix}").strip(), start, end, unit, narrative, partners


def report_key(form_key: uuid.UUID, number: int) -> uuid.UUID:
    """The key of report block n of a form posted without one (the page as the server sends
    it, a script's, a failed opening): the same for the same form and block every time, so
    a repeated submission maps to the reports the first one saved."""
    return uuid.uuid5(form_key, f"report {number}")


def read_report(reader: Reader, choices: Choices, number: int = 1, *,
                form_key: uuid.UUID | None = None) -> ReportForm | None:
    """Report block n, or None when nothing was typed in it (severity and who is affected
    have defaults, so they alone do not make a report). A block with anything typed needs
    a category and a narrative: it is refused rather than dropped or saved half-way. A block
    without its own key gets report_key's (a fresh one when there is no form_key: a
    correction names its report in its address)."""
    suffix = report_suffix(number)
    label = "" if number == 1 else f"Report {number}: "
    category, start, end, unit, narrative, partners = _report_typed(reader, choices, suffix,
                                                                    label)
    people_typed = reader.raw(f"report_people{suffix}")
    if not (category or start or end or unit or narrative or partners or people_typed.strip()):
        return None
    if not category:
        reader.fail(f"report_category{suffix}", f"{label}Choose a category for this report: "
                    "what you typed in it is kept, and saved once it has one.")
    elif category not in choices.categories:
        reader.fail(f"report_category{suffix}", f"{label}Choose a report category from the "
                                                "list.")
    severity = reader.choice(f"report_severity{suffix}", f"{label}Severity", SEVERITIES)
    affected = reader.choice(f"report_affected{suffix}", f"{label}Who is affected", AFFECTED,
                             default="person")
    people = _people(reader, people_typed, affected, suffix, label)
    if not narrative:
        reader.fail(f"report_narrative{suffix}", f"{label}Enter what happened.")
    key = (reader.uuid(f"report_id{suffix}", f"{label}The report's key")
           or (uuid.uuid4() if form_key is None else report_key(form_key, number)))
    return ReportForm(category, severity, start, end, affected, unit, narrative, partners, key,
                      people)


def _people(reader: Reader, typed: str, affected: str, suffix: str, label: str) -> int | None:
    try:
        return group_size.parse(typed, affected)
    except group_size.Refused as e:
        reader.fail(f"report_people{suffix}", f"{label}{e}")
        return None


def _blank_key(reader: Reader, form_key: uuid.UUID, number: int) -> uuid.UUID | None:
    """The key of a block sent with nothing typed, if the block was on the page."""
    suffix = report_suffix(number)
    key = reader.raw(f"report_id{suffix}").strip()
    if not key:
        posted = f"report_narrative{suffix}" in reader.data
        return report_key(form_key, number) if posted else None
    try:
        return uuid.UUID(key)
    except ValueError:
        return None


def read_reports(reader: Reader, choices: Choices, form_key: uuid.UUID
                 ) -> tuple[tuple[ReportForm, ...], tuple[tuple[uuid.UUID, str], ...]]:
    """Every report block; and the keys of blocks sent empty (a saved report emptied)."""
    numbers = {int(m[1]) for name in reader.data
               if (m := _NUMBERED_REPORT_FIELD.fullmatch(name))}
    if any(n > MAX_REPORTS or n < 2 for n in numbers):
        reader.fail("report_category", f"At most {MAX_REPORTS} reports in one intake.")
    found: list[ReportForm] = []
    blank: list[tuple[uuid.UUID, str]] = []
    for number in range(1, MAX_REPORTS + 1):
        report = read_report(reader, choices, number, form_key=form_key)
        if report is not None:
            found.append(report)
        elif key := _blank_key(reader, form_key, number):
            blank.append((key, f"report_narrative{report_suffix(number)}"))
    if len({r.id for r in found}) < len(found):
        reader.fail("report_category", "Two report blocks have the same key: reload the page.")
    return tuple(found), tuple(blank)


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
    key = reader.uuid("intake_id", "The form's key") or uuid.uuid4()
    reports, blank = read_reports(reader, choices, key)
    if reports and not (person and person.facility_id) and facility_id is None:
        reader.fail("person_facility", "Choose the facility the report is about.")
    follow_up = read_follow_up(reader, choices)
    voicemail_id = reader.uuid("voicemail_id", "The voicemail")
    _finish(reader)
    return IntakeForm(call_id, facility_id, language, int(triage or 0), person, needs,
                      needs_note, family, reports, follow_up, key, voicemail_id, blank)


@dataclass(frozen=True)
class IntakeFields:
    """An intake's own fields as a supervisor corrects them (the person it is about, its
    call and its reports are not among them: those change on their own pages)."""

    facility_id: int | None
    language: str
    triage: int
    needs: tuple[str, ...]
    needs_note: str
    family: FamilyContact | None


def parse_intake_fields(data: FormData, choices: Choices) -> IntakeFields:
    """What the intake's correction page says is the whole of the new intake: an emptied
    field is cleared, and a family contact needs the caller's consent as at the call."""
    reader = Reader(data)
    facility_id = reader.ident("facility_id", "Facility of the call", choices.facilities)
    language = reader.choice("language", "Language", [c for c, _ in CALLER_LANGUAGES],
                             required=False)
    triage = reader.choice("triage", "Triage", ("0", "1", "2", "3"), default="0")
    needs = tuple(n for n in NEEDS if reader.flag(f"needs_{n}"))
    needs_note = reader.text("needs_note", "Needs note", NOTE, multiline=True)
    family = read_family(reader)
    if family and "family" not in needs:
        needs = (*needs, "family")
    _finish(reader)
    return IntakeFields(facility_id, language, int(triage or 0), needs, needs_note, family)


def parse_person(data: FormData, choices: Choices, today: dt.date | None = None, *,
                 a_number: str) -> PersonForm:
    """The person's edit page (a supervisor correcting the record): what it says is the
    whole of the new record, so an emptied field is cleared.

    The A-number is the record's own, never read from the form: a wrong A-number is fixed
    by merging. Languages are several ticked boxes (person_languages).
    """
    reader = Reader(data, today)
    form = _read_edited_person(reader, choices, a_number)
    _finish(reader)
    return form


def _read_edited_person(reader: Reader, choices: Choices, a_number: str) -> PersonForm:
    names, dob, country, facility_id = _person_details(reader, choices)
    spoken = [code for code, _ in CALLER_LANGUAGES if code != "other"]
    languages = reader.several("person_languages", "Languages", spoken)
    return PersonForm(a_number, names, dob, country, facility_id, languages)


@dataclass(frozen=True)
class PersonEdit:
    form: PersonForm
    facility_change: str  # held_at.TRANSFER or CORRECTION; "" when the facility is kept


def parse_person_edit(data: FormData, choices: Choices, today: dt.date | None = None, *,
                      a_number: str, facility_now: int | None) -> PersonEdit:
    """The person's edit page as parse_person reads it, and whether a change of facility
    is a transfer or a correction (required when the facility changes)."""
    reader = Reader(data, today)
    form = _read_edited_person(reader, choices, a_number)
    kind = reader.raw(held_at.FIELD)
    if "person_facility" not in reader.errors and (
            refused := held_at.refusal(facility_now, form.facility_id, kind)):
        reader.fail(held_at.FIELD, refused)
    _finish(reader)
    return PersonEdit(form, kind if form.facility_id != facility_now else "")


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


@dataclass(frozen=True)
class OutcomeForm:
    key: uuid.UUID  # the form's key: the outcome is saved as that intake
    call_id: uuid.UUID | None
    outcome: str
    voicemail_id: uuid.UUID | None = None


def parse_outcome(data: FormData) -> OutcomeForm:
    reader = Reader(data)
    call_id = reader.uuid("call_id", "The call")
    voicemail_id = reader.uuid("voicemail_id", "The voicemail")
    outcome = reader.choice("outcome", "Outcome", OUTCOMES)
    key = reader.uuid("intake_id", "The form's key") or uuid.uuid4()
    _finish(reader)
    return OutcomeForm(key, call_id, outcome, voicemail_id)
