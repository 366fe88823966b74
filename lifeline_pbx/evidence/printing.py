"""What may go on paper: the checks an excerpt passes before it is released, and again
before it is printed. No I/O.

An excerpt is the coordinator's retelling of a narrative for advocacy. It may be released
only for a report whose person consented to share (a report_consents row), and it must not
carry what identifies the person: an A-number, a phone number, a date finer than the month
(a birth date is one), the report's housing unit or the person's names. The patterns catch
the common ways these are written; they cannot prove a text anonymous, which is why a
coordinator writes and reads each excerpt (docs/decisions.md, "Excerpts for advocacy").
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from lifeline_pbx.evidence.months import Months

MAX_EXCERPT = 4000
_MONTHS = (r"(?:january|february|march|april|may|june|july|august|september|october|"
           r"november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)(?:\.|(?!\w))")
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an A-number", re.compile(r"\bA[\s-]?\d{2,3}[\s-]?\d{3}[\s-]?\d{3}\b|\b\d{8,9}\b",
                               re.IGNORECASE)),
    ("a phone number", re.compile(
        r"(?:\+?\b1[\s.-]?)?(?:\(\d{3}\)|\b\d{3})[\s.-]?\d{3}[\s.-]?\d{4}\b"
        r"|\b\d{3}[\s.-]\d{4}\b")),
    ("a full date (give the month only)", re.compile(
        r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b"
        rf"|\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
        rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}", re.IGNORECASE)),
)
NO_CONSENT = ("No consent to share this report was recorded: an excerpt can be released "
              "only for a report whose person consented to share it with a partner.")
NARRATIVE_REMOVED = ("The narrative was removed after the retention period: no excerpt can be "
                     "released from it.")


def _mentions(text: str, word: str) -> bool:
    word = word.strip()
    if len(word) < 2:
        return False
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None


def identifiers(text: str, housing_unit: str = "", names: Iterable[str] = ()) -> list[str]:
    """What in the text identifies the person, described for the coordinator (never the
    matched text itself); empty when nothing was found."""
    found = [what for what, pattern in PATTERNS if pattern.search(text)]
    if _mentions(text, housing_unit):
        found.append("the housing unit")
    parts = {p for name in names for p in (name, *name.split()) if len(p.strip()) >= 3}
    if any(_mentions(text, p) for p in parts):
        found.append("the person's name")
    return found


def release_problem(text: str, consented: bool, housing_unit: str = "",
                    names: Iterable[str] = (), *, narrative_kept: bool = True) -> str | None:
    """Why this excerpt may not be released as written, or None. Once retention has
    cleared the narrative, an excerpt of it would outlive it: none is taken."""
    if not narrative_kept:
        return NARRATIVE_REMOVED
    if not consented:
        return NO_CONSENT
    if not text.strip():
        return "Write the excerpt: what happened, without who it happened to."
    if len(text) > MAX_EXCERPT:
        return f"At most {MAX_EXCERPT} characters (this one has {len(text)})."
    found = identifiers(text, housing_unit, names)
    if found:
        return ("Take out what identifies the person: the excerpt holds "
                + ", ".join(found) + ".")
    return None


@dataclass(frozen=True)
class Released:
    """A released excerpt as the facility report offers it."""

    report_id: uuid.UUID
    facility_id: int
    category_label: str
    month: dt.date  # the month the report was recorded, in the facility's time zone
    text: str
    consented: bool  # the report has a consent row now
    housing_unit: str = ""


def print_problem(excerpt: Released, facility_id: int, months: Months) -> str | None:
    """Why a released excerpt may not go on this facility's report for this period, or None.
    Consent withdrawn after release, another facility, another period, or (should the text
    have been changed outside the form) an identifier keep it off the page."""
    if not excerpt.consented:
        return "consent withdrawn"
    if excerpt.facility_id != facility_id:
        return "another facility"
    if not months.first <= excerpt.month <= months.last:
        return "outside the period"
    if identifiers(excerpt.text, excerpt.housing_unit):
        return "holds an identifier"
    return None
