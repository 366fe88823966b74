"""What an intake may do to a person already on record: pure, no I/O.

The identity fields are the names, date of birth, country and facility. An operator's
intake bound to their call fills the ones the record leaves empty (and adds the caller's
language); whatever it says that differs from the record is a proposal, which a
supervisor accepts or rejects (proposals.py). A standalone intake fills nothing: all of it
is proposed. A supervisor's intake changes the record directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from lifeline_pbx.cases.forms import PersonForm
from lifeline_pbx.cases.people import Person

T = TypeVar("T")
IDENTITY = ("names", "date_of_birth", "country", "facility_id")


@dataclass(frozen=True)
class Proposal:
    """Values an intake gives that the record does not have; empty ones propose nothing."""

    names: tuple[str, ...] = ()  # spellings not on record, to be added
    date_of_birth: dt.date | None = None
    country: str = ""
    facility_id: int | None = None

    def fields(self) -> list[str]:
        return [name for name in IDENTITY if getattr(self, name)]

    def to_json(self) -> dict[str, Any]:
        return {"names": list(self.names), "country": self.country,
                "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
                "facility_id": self.facility_id}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Proposal:
        dob = value.get("date_of_birth")
        return cls(tuple(value.get("names", ())), dt.date.fromisoformat(dob) if dob else None,
                   value.get("country", ""), value.get("facility_id"))


NOTHING = Proposal()


def _one(current: T | None, given: T | None, may_fill: bool) -> tuple[T | None, T | None]:
    """(the record's value, the value proposed) for one single-valued field."""
    if not given or given == current:
        return current, None
    if may_fill and not current:
        return given, None
    return current, given


def split(person: Person, form: PersonForm, *, may_fill: bool) -> tuple[Person, Proposal]:
    """The person with the empty fields the form fills (when may_fill), and what the form
    says beyond that: the changes a supervisor has to accept."""
    new_names = tuple(n for n in form.names if n not in person.names)
    names, proposed_names = person.names, new_names
    if new_names and may_fill and not person.names:
        names, proposed_names = new_names, ()
    dob, proposed_dob = _one(person.date_of_birth, form.date_of_birth, may_fill)
    country, proposed_country = _one(person.country, form.country, may_fill)
    facility, proposed_facility = _one(person.facility_id, form.facility_id, may_fill)
    languages = person.languages
    if may_fill:
        languages = tuple(dict.fromkeys((*person.languages, *form.languages)))
    filled = replace(person, names=names, date_of_birth=dob, country=country or "",
                     facility_id=facility, languages=languages)
    return filled, Proposal(proposed_names, proposed_dob, proposed_country or "",
                            proposed_facility)


def accepted(person: Person, proposal: Proposal) -> Person:
    """The person once a supervisor accepts the proposal."""
    return replace(
        person,
        names=tuple(dict.fromkeys((*person.names, *proposal.names))),
        date_of_birth=proposal.date_of_birth or person.date_of_birth,
        country=proposal.country or person.country,
        facility_id=person.facility_id if proposal.facility_id is None
        else proposal.facility_id,
    )


def still_proposed(person: Person, proposal: Proposal) -> Proposal:
    """What of the proposal the record does not already say (NOTHING: all of it does). A
    proposal moved with its intake to the right person, or one the record has since caught
    up with, offers no change that is already made."""
    return Proposal(
        tuple(n for n in proposal.names if n not in person.names),
        None if proposal.date_of_birth == person.date_of_birth else proposal.date_of_birth,
        "" if proposal.country == person.country else proposal.country,
        None if proposal.facility_id == person.facility_id else proposal.facility_id,
    )
