"""What may be done to a follow-up, and how late it is: pure decisions, no I/O.

An operator works (adds notes to, marks done, re-opens) only the follow-ups assigned to
them; a supervisor works any, and alone cancels, reassigns or moves a due date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

STATUSES = ("open", "done", "cancelled")
# What an assignee who is not a supervisor may do to the status.
OPERATOR_MOVES = frozenset({("open", "done"), ("done", "open")})


def due_state(status: str, due_on: dt.date | None, today: dt.date) -> str:
    """"overdue", "today", "upcoming", "undated" for an open follow-up; "closed" otherwise."""
    if status != "open":
        return "closed"
    if due_on is None:
        return "undated"
    if due_on < today:
        return "overdue"
    return "today" if due_on == today else "upcoming"


def is_overdue(status: str, due_on: dt.date | None, today: dt.date) -> bool:
    return due_state(status, due_on, today) == "overdue"


def may_work(user_id: int, supervisor: bool, assignee_id: int | None) -> bool:
    """Read, add notes to and change the status of this follow-up."""
    return supervisor or (assignee_id is not None and assignee_id == user_id)


@dataclass(frozen=True)
class Current:
    """A follow-up's changeable fields, as stored."""

    status: str
    assignee_id: int | None
    due_on: dt.date | None


@dataclass(frozen=True)
class Change:
    """What a submitted form asks for; `None` (or set_* false) keeps the field."""

    status: str | None = None
    set_assignee: bool = False
    assignee_id: int | None = None
    set_due: bool = False
    due_on: dt.date | None = None


@dataclass(frozen=True)
class FieldChange:
    field: str  # status, assignee or due_on
    old: str  # as stored in follow_up_changes: a status, a user id, a date or ""
    new: str


@dataclass(frozen=True)
class Decision:
    changes: tuple[FieldChange, ...] = ()
    refused: str = ""  # why not, for the screen; "" when allowed
    forbidden: bool = False  # refused for who asked, not for what was asked


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _refuse(reason: str, *, forbidden: bool = False) -> Decision:
    return Decision(refused=reason, forbidden=forbidden)


def decide(current: Current, change: Change, *, user_id: int, supervisor: bool,
           today: dt.date, assignable: frozenset[int] = frozenset()) -> Decision:
    """The field changes to make, or why none may be made; `assignable` are the users a
    follow-up may be given to (the enabled ones)."""
    if not may_work(user_id, supervisor, current.assignee_id):
        return _refuse("Only the assignee or a supervisor can change this follow-up.",
                       forbidden=True)
    changes: list[FieldChange] = []
    if change.status is not None and change.status != current.status:
        move = (current.status, change.status)
        if not supervisor and move not in OPERATOR_MOVES:
            return _refuse("Only a supervisor can cancel a follow-up or re-open a cancelled "
                           "one.", forbidden=True)
        changes.append(FieldChange("status", current.status, change.status))
    if change.set_assignee and change.assignee_id != current.assignee_id:
        if not supervisor:
            return _refuse("Only a supervisor can reassign a follow-up.", forbidden=True)
        if change.assignee_id is not None and change.assignee_id not in assignable:
            return _refuse("Choose the assignee from the list (an enabled user).")
        changes.append(FieldChange("assignee", _text(current.assignee_id),
                                   _text(change.assignee_id)))
    if change.set_due and change.due_on != current.due_on:
        if not supervisor:
            return _refuse("Only a supervisor can move a due date.", forbidden=True)
        if change.due_on is not None and change.due_on < today:
            return _refuse("The new due date is in the past.")
        changes.append(FieldChange("due_on", _text(current.due_on), _text(change.due_on)))
    if not changes:
        return _refuse("Nothing to change: the follow-up already says that.")
    return Decision(tuple(changes))


def after(current: Current, decision: Decision) -> Current:
    """The follow-up once the decision's changes are made."""
    status, assignee, due = current.status, current.assignee_id, current.due_on
    for change in decision.changes:
        if change.field == "status":
            status = change.new
        elif change.field == "assignee":
            assignee = int(change.new) if change.new else None
        else:
            due = dt.date.fromisoformat(change.new) if change.new else None
    return Current(status, assignee, due)
