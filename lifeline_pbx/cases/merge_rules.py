"""Merging a duplicate person record into another: which record an A-number typed may
merge, and why a confirmation is refused. Pure, no I/O.

A merge is previewed before it is made. The confirmation carries the mark of what the
preview showed (edit_marks.merge: both records' last change and what would move) and
merges only if the records still give the same mark: a record edited, merged, given a new
intake or a legal hold (on either record) meanwhile is looked at again first.
"""

from __future__ import annotations

from lifeline_pbx.cases import anumber
from lifeline_pbx.cases.people import Person

CHANGED = ("One of the records changed after the preview, so nothing was merged: look at "
           "the preview again.")
ALREADY_ONE = "These records are already one person."


def refusal(keep: Person, typed: str, found: Person | None) -> str:
    """Why the record found by the A-number typed (normalised) cannot be merged into keep
    ("" when it can); found is the record it leads to, merges followed."""
    if typed == keep.a_number:
        return "That is this record's own A-number."
    if found is None:
        return f"No record has the A-number {anumber.display(typed)}."
    if found.id == keep.id:
        return f"The record of {anumber.display(typed)} is already merged into this one."
    return ""

