"""What a correction says, in words, and when it needs a reason: pure, no I/O.

Revisions and proposed corrections keep field names (as the audit log does); pages show
them through LABELS, and a change of facility with the facilities' names, which the
revision keeps plain.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

# Field names (as the audit entries and revisions name them) and their labels.
LABELS = {
    "person_id": "Person", "names": "Names", "date_of_birth": "Date of birth",
    "country": "Country", "languages": "Languages", "facility_id": "Facility",
    "facility": "Facility",
    "language": "Language", "triage": "Triage", "outcome": "Outcome", "needs": "Needs",
    "needs_note": "Needs note", "family_contact": "Family contact",
    "family_consent": "Consent to share the family contact", "category": "Category",
    "severity": "Severity", "occurred_from": "From", "occurred_to": "To",
    "affected": "Who is affected", "people": "People concerned",
    "housing_unit": "Housing unit", "narrative": "What happened",
    "consents": "Consent to share with", "what": "What is to be done", "due_on": "Due",
    "assignee_id": "Assignee", "report_id": "Report", "reason": "Why it was corrected",
}
REASON = "reason"  # the key of the reason in a revision's sealed content
FACILITY = ("facility", "facility_id")  # a report's and an intake's name for it
PEOPLE = "people"  # about how many a group report is about
# A correction of these says why: it moves the record, and with it what is counted where.
NEEDS_REASON = frozenset((*FACILITY, "person_id"))
REASON_LIMIT = 2000
REASON_MISSING = ("Say why the record is corrected: moving it to another facility or "
                  "person changes what is counted where.")
REASON_TOO_LONG = f"The reason is too long (at most {REASON_LIMIT} characters)."
ANOTHER_RECORD = "moved to another person's record"


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


def labels(fields: Iterable[str]) -> str:
    """Field names in words, in the order given: "Names, Date of birth"."""
    return ", ".join(label(name) for name in fields)


def changed(fields: Iterable[str], facility_from: str = "", facility_to: str = "",
            people: tuple[int | None, int | None] | None = None) -> str:
    """A revision's fields in words, each once, in the order of LABELS: "Facility: Example
    Valley → Demo County, Category". A facility's names are said when known (revisions
    from before migration 0043 have none), and a group's number of people before and
    after (`people`, from migration 0045; "—" for none); the other person is never named
    (whoever reads the list may not be allowed to see them)."""
    order = {name: i for i, name in enumerate(LABELS)}
    words: list[str] = []
    for name in sorted(set(fields), key=lambda n: (order.get(n, len(order)), n)):
        if name in FACILITY and (facility_from or facility_to):
            words.append(f"Facility: {facility_from or '—'} → {facility_to or '—'}")
        elif name == PEOPLE and people is not None:
            was, now = (str(n) if n is not None else "—" for n in people)
            words.append(f"{label(name)}: {was} → {now}")
        elif name == "person_id":
            words.append(f"Person: {ANOTHER_RECORD}")
        else:
            words.append(label(name))
    return ", ".join(dict.fromkeys(words))


def facility_moved(fields: Collection[str], before: Mapping[str, Any],
                   after: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The facility a correction took the record from and to; (None, None) when it kept
    its facility."""
    return _before_after(FACILITY, fields, before, after)


def people_changed(fields: Collection[str], before: Mapping[str, Any],
                   after: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """A report's number of people before and after a correction that changed it; (None,
    None) when it did not."""
    return _before_after((PEOPLE,), fields, before, after)


def _before_after(names: Iterable[str], fields: Collection[str], before: Mapping[str, Any],
                  after: Mapping[str, Any]) -> tuple[Any, Any]:
    """The first of names the correction changed (in fields), before and after."""
    for name in names:
        if name in fields:
            return before.get(name), after.get(name)
    return None, None


def reason_needed(fields: Collection[str]) -> bool:
    return bool(NEEDS_REASON & set(fields))


def reason_refusal(fields: Collection[str], reason: str) -> str:
    """Why the reason given will not do for this correction; "" when it will."""
    if len(reason) > REASON_LIMIT:
        return REASON_TOO_LONG
    if reason_needed(fields) and not reason.strip():
        return REASON_MISSING
    return ""
