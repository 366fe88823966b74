"""The follow-up forms and list filters, parsed into clean values or Invalid; no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from lifeline_pbx.cases.fields import NOTE, FormData, Reader
from lifeline_pbx.cases.followup_rules import STATUSES, Change
from lifeline_pbx.cases.followups import Filter
from lifeline_pbx.errors import Invalid
from lifeline_pbx.web import form_keys

ANY = "any"
NOBODY = "none"
CONTACT_FAMILY = "Contact the family: relay the caller's message and note the answer."


def _finish(reader: Reader) -> None:
    if reader.errors:
        raise Invalid(reader.errors)


def parse_filter(query: FormData, *, users: Collection[int], facilities: Collection[int],
                 supervisor: bool, user_id: int) -> Filter:
    """The list's filters; a non-supervisor's list is always their own."""
    reader = Reader(query)
    status = reader.choice("status", "Status", (*STATUSES, ANY), default="open")
    overdue = reader.flag("overdue")
    if not supervisor:
        _finish(reader)
        return Filter(None if status == ANY else status, user_id, overdue=overdue)
    unassigned = reader.raw("assignee").strip() == NOBODY
    assignee = None if unassigned else reader.ident("assignee", "Assignee", users)
    facility = reader.ident("facility", "Facility", facilities)
    _finish(reader)
    return Filter(None if status == ANY else status, assignee, unassigned, facility, overdue)


def _user_id(reader: Reader, name: str) -> int | None:
    """A user id's shape only: whether they may be assigned is followup_rules.decide's."""
    value = reader.raw(name).strip()
    if value and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    if value:
        reader.fail(name, "Choose the assignee from the list.")
    return None


def parse_change(data: FormData) -> Change:
    """Status, and (from a supervisor's form) assignee and due date. A field the form does
    not hold is kept; an empty assignee or due date clears it."""
    reader = Reader(data)
    status = reader.choice("status", "Status", STATUSES, required=False) or None
    set_assignee = "assignee" in data
    assignee = _user_id(reader, "assignee")
    set_due = "due_on" in data
    due = reader.date("due_on", "Due date")
    _finish(reader)
    return Change(status, set_assignee, assignee, set_due, due)


def parse_note(data: FormData) -> tuple[uuid.UUID, str]:
    """The note's id (its form's key: the same form posted again adds nothing) and text."""
    key = form_keys.posted(data)
    reader = Reader(data)
    body = reader.text("note", "The note", NOTE, required=True, multiline=True)
    _finish(reader)
    return key, body


def parse_what(data: FormData) -> str:
    """A supervisor's correction of what is to be done."""
    reader = Reader(data)
    what = reader.text("what", "What is to be done", NOTE, required=True, multiline=True)
    _finish(reader)
    return what
