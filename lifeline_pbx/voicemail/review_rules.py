"""What "Mark reviewed" asks for, without I/O: a message with no intake written from it is
reviewed only with a reason (and a short note when the reason is "other"), so the list
says why nothing was recorded; one with an intake needs none (the intake is the record)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lifeline_pbx.errors import Invalid

REASONS = {
    "nothing_to_record": "Nothing to record (silence, a wrong number)",
    "duplicate": "A duplicate of another message",
    "handled_elsewhere": "Handled outside the hotline",
    "other": "Other",
}
NOTE_MAX = 200
NO_REASON = "No intake was written from this message: choose why it needs none."
NO_NOTE = "Say in a few words why this message needs no intake."


@dataclass(frozen=True)
class Review:
    reason: str | None  # one of REASONS; None when the message has an intake
    note: str | None  # only with "other"


def parse(form: Mapping[str, str], *, has_intake: bool) -> Review:
    """The reason chosen (and the note, for "other"), or Invalid naming the field."""
    if has_intake:
        return Review(None, None)
    reason = form.get("reason", "").strip()
    if reason not in REASONS:
        raise Invalid(NO_REASON, "reason")
    if reason != "other":
        return Review(reason, None)
    note = " ".join(form.get("note", "").split())
    if not note:
        raise Invalid(NO_NOTE, "note")
    if len(note) > NOTE_MAX:
        raise Invalid(f"At most {NOTE_MAX} characters (this one has {len(note)}): shorten it.",
                      "note")
    return Review(reason, note)


def said(reason: str | None, note: str | None) -> str:
    """The reason as the list shows it: "" for none; "Other: <note>"."""
    if reason is None:
        return ""
    words = REASONS.get(reason, reason.replace("_", " "))
    return f"{words}: {note}" if note else words
