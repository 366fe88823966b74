"""An intake filed under the wrong person, moved to the right one: what the move may do and
what it leaves of the wrong person's record. Pure, no I/O.

The intake takes its reports and follow-ups with it. What the intake wrote into the wrong
person's record cannot be told apart from what was there by values (the audit log keeps
field names only), so the supervisor picks the names and languages to take off; the entry
of where they were held that the intake's save noted (same transaction, same author) is
known, and is struck rather than answered with a made-up move back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lifeline_pbx.cases.held_at import Entry
from lifeline_pbx.cases.people import Person

SAME_PERSON = "This intake is already filed under that person: type the right person's A-number."
NO_PERSON = ("This intake is not about anyone on record: there is no person to move it from. "
             "Open its correction instead.")
NOT_ON_RECORD = "Not on this person's record any more: open the page again."


PERSON_FIELDS = {"names": "names", "date_of_birth": "date of birth", "country": "country",
                 "languages": "languages", "facility_id": "facility"}


def said(fields: tuple[str, ...]) -> str:
    """A person's fields in words: "names, languages, facility"."""
    return ", ".join(PERSON_FIELDS[f] for f in PERSON_FIELDS if f in fields)


@dataclass(frozen=True)
class Removal:
    """What the supervisor takes off the wrong person's record with the move."""

    names: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    facility_entry: int | None = None  # the id of the "held at" entry the intake added

    def fields(self) -> list[str]:
        """The names of what it takes off (for the audit entry and the move's record)."""
        return [name for name, value in (("names", self.names), ("languages", self.languages),
                                         ("facility", self.facility_entry)) if value]

    def taken(self) -> list[str]:
        """One word per thing it takes off, for the move's record (intake_moves.removed):
        counted on the people's pages, never the values."""
        return [*(NAME for _ in self.names), *(LANGUAGE for _ in self.languages),
                *([HELD_AT] if self.facility_entry is not None else [])]


NAME, LANGUAGE, HELD_AT = "name", "language", "held_at"
# Moves recorded before things were counted named each kind once.
_UNCOUNTED = {"names": "names", "languages": "languages", "facility": "a Held at entry"}


def taken_said(taken: tuple[str, ...]) -> str:
    """What a move took off a record, counted: "1 name, 2 languages and a Held at entry"."""
    parts = [f"{n} {word}{'' if n == 1 else 's'}" for word, kind in
             (("name", NAME), ("language", LANGUAGE)) if (n := taken.count(kind))]
    parts += ["a Held at entry"] if HELD_AT in taken else []
    parts += [said for kind, said in _UNCOUNTED.items() if kind in taken]
    return " and ".join([", ".join(parts[:-1]), parts[-1]]) if len(parts) > 1 else \
        "".join(parts)


def refusal(person: Person, removal: Removal, entries: list[Entry]) -> str:
    """Why this removal cannot be applied to the person as they are now; "" when it can."""
    if not set(removal.names) <= set(person.names):
        return NOT_ON_RECORD
    if not set(removal.languages) <= set(person.languages):
        return NOT_ON_RECORD
    live = {e.id for e in entries if not e.struck}
    if removal.facility_entry is not None and removal.facility_entry not in live:
        return NOT_ON_RECORD
    return ""


def held_after(entries: list[Entry], struck: int | None) -> list[Entry]:
    """Where the record's own entries place the person, oldest first, without the struck
    ones: a merged record's entries never made the facility on record (held_at)."""
    return [e for e in entries if not e.struck and not e.merged and e.id != struck]


def person_after(person: Person, removal: Removal, entries: list[Entry]) -> Person:
    """The person without what the removal takes off. Striking the entry that made their
    current facility puts back the one before it (or none): a mistake undone, not a move."""
    facility_id = person.facility_id
    if removal.facility_entry is not None:
        live = held_after(entries, None)
        if live and live[-1].id == removal.facility_entry and \
                live[-1].facility_id == facility_id:
            left = held_after(entries, removal.facility_entry)
            facility_id = left[-1].facility_id if left else None
    return replace(person,
                   names=tuple(n for n in person.names if n not in removal.names),
                   languages=tuple(x for x in person.languages if x not in removal.languages),
                   facility_id=facility_id)
