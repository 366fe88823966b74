"""Where a person was held ("Held at"): what a change of their facility does to it, and how
the page shows it. Pure, no I/O.

A supervisor changing a person's facility says which it is: they were moved (a transfer:
a new entry) or the facility was wrong (a correction: the wrong entry is struck, with who
and when, and no move is made up).

A merge brings the merged record's entries over. They are not where this record placed the
person: "Held at" lists them apart, never as a transfer, and they never made the facility
on record (the kept record's own, until a supervisor changes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

TRANSFER = "transfer"
CORRECTION = "correction"
KINDS = {TRANSFER: "They were moved (a transfer)",
         CORRECTION: "The facility was wrong (a correction)"}
FIELD = "person_facility_change"
CHOOSE = "The facility changes: say whether they were moved or the facility was wrong."


@dataclass(frozen=True)
class Entry:
    """One line of where a person was held (person_facilities), struck ones too."""

    id: int
    facility_id: int
    struck: bool = False
    merged: bool = False  # brought over from a record merged into this one


@dataclass(frozen=True)
class Change:
    """What a change of facility writes: the entry struck and the facility noted."""

    strike: int | None = None
    note: int | None = None


def refusal(facility_now: int | None, facility_new: int | None, kind: str) -> str:
    """Why the kind chosen will not do ("" when it will): a change needs one of KINDS; no
    change needs none (whatever was chosen is not used)."""
    if facility_new != facility_now and kind not in KINDS:
        return CHOOSE
    return ""


def change(entries: Sequence[Entry], facility_now: int | None, facility_new: int | None,
           kind: str) -> Change:
    """What the history becomes when the facility changes from facility_now to
    facility_new. A transfer notes the new facility (a release or "not known" notes
    nothing). A correction strikes the entry that made facility_now (the newest one in
    force, when it is of that facility), then notes the new facility unless the entry
    left newest is already of it: "A -> B", B wrong, corrected to A, is just "A". Entries
    from a merged record are not this record's: they made no facility on record."""
    if facility_new == facility_now:
        return Change()
    if kind != CORRECTION:
        return Change(note=facility_new)
    live = [e for e in entries if not e.struck and not e.merged]
    strike = live.pop().id if live and live[-1].facility_id == facility_now else None
    if facility_new is None or (live and live[-1].facility_id == facility_new):
        return Change(strike=strike)
    return Change(strike=strike, note=facility_new)


class _Noted(Protocol):
    @property
    def facility_id(self) -> int: ...
    @property
    def merged(self) -> bool: ...


N = TypeVar("N", bound=_Noted)


@dataclass(frozen=True)
class Shown(Generic[N]):
    """What "Held at" lists, each part oldest first."""

    own: list[N]  # where this record placed them: one after another, transfers
    merged: list[N]  # from records merged into this one, where they disagree: no transfer


def _placed(held: Sequence[N], i: int) -> int | None:
    """Where the record's own entries placed the person when held[i] was noted (before
    its first entry: there)."""
    own = [e.facility_id for e in held[:i] if not e.merged] or \
        [e.facility_id for e in held[i:] if not e.merged][:1]
    return own[-1] if own else None


def shown(held: Sequence[N]) -> Shown[N]:
    """The entries (oldest first) as "Held at" lists them. The record's own: one after
    another at the same facility once, the first of them. A merged record's: only where it
    disagrees with the record's own then and is not the entry just before it again."""
    own = [e for e in held if not e.merged]
    return Shown(
        [e for i, e in enumerate(own) if i == 0 or own[i - 1].facility_id != e.facility_id],
        [e for i, e in enumerate(held) if e.merged and e.facility_id != _placed(held, i)
         and (i == 0 or held[i - 1].facility_id != e.facility_id)])
