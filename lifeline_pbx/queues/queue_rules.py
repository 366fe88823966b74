"""What a queue's settings may be: pure parsing of the admin's form (or the CLI's options).

`parse_settings(fields)` takes the submitted text by field name and returns the settings
to save, or raises Invalid with one message per field, named as the form and the table
name them; `parse_queue` adds who serves the queue. The bounds are what a hotline can live
with; the table's CHECKs are wider.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from lifeline_pbx.errors import Invalid

MAX_NAME = 100


@dataclass(frozen=True)
class Bound:
    label: str
    low: int
    high: int
    default: int


# Field name (the column) -> its label and bounds, in the order the form shows them.
BOUNDS: dict[str, Bound] = {
    "language_wait_seconds": Bound("Language wait (seconds)", 0, 600, 30),
    "ring_timeout_seconds": Bound("Ring time (seconds)", 5, 120, 20),
    "max_missed": Bound("Missed offers before pause", 1, 20, 3),
    "wrapup_seconds": Bound("Wrap-up (seconds)", 0, 600, 30),
    "max_wait_seconds": Bound("Maximum wait (seconds)", 30, 14_400, 600),
    "announce_every_seconds": Bound("Announcement interval (seconds)", 10, 3600, 45),
}


@dataclass(frozen=True)
class QueueSettings:
    name: str
    language_wait_seconds: int
    ring_timeout_seconds: int
    max_missed: int
    wrapup_seconds: int
    max_wait_seconds: int
    announce_every_seconds: int
    accept_by_key: bool


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(QueueSettings))
DEFAULTS: dict[str, str] = {name: str(b.default) for name, b in BOUNDS.items()}


def name_problem(name: str) -> str | None:
    if not name:
        return "Give the queue a name."
    if len(name) > MAX_NAME:
        return f"A queue's name can have at most {MAX_NAME} characters."
    if not name.isprintable():
        return "A queue's name cannot contain line breaks or control characters."
    return None


def whole_number(text: str, bound: Bound) -> tuple[int | None, str | None]:
    """(value, problem) of one numeric field."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        return None, f"{bound.label}: give a whole number from {bound.low} to {bound.high}."
    value = int(text)
    if not bound.low <= value <= bound.high:
        return None, f"{bound.label}: give a whole number from {bound.low} to {bound.high}."
    return value, None


def checkbox(value: str) -> bool:
    return value.strip().lower() in ("on", "yes", "true", "1")


def parse_settings(form: Mapping[str, str]) -> QueueSettings:
    """The settings to save, or Invalid naming each field that cannot be taken."""
    name = form.get("name", "").strip()
    errors: dict[str, str] = {}
    if problem := name_problem(name):
        errors["name"] = problem
    numbers: dict[str, int] = {}
    for field_name, bound in BOUNDS.items():
        value, problem = whole_number(form.get(field_name, ""), bound)
        if problem:
            errors[field_name] = problem
        elif value is not None:
            numbers[field_name] = value
    wait, most = numbers.get("language_wait_seconds"), numbers.get("max_wait_seconds")
    if wait is not None and most is not None and wait >= most:
        errors["language_wait_seconds"] = (
            "Language wait must be shorter than the maximum wait, or callers go to voicemail "
            "before an operator without their language is tried.")
    if errors:
        raise Invalid(errors)
    return QueueSettings(name=name, accept_by_key=checkbox(form.get("accept_by_key", "")),
                         **numbers)


def changed_fields(before: QueueSettings, after: QueueSettings) -> list[str]:
    """The names of the settings that differ (what the audit entry lists)."""
    return [name for name in FIELDS if getattr(before, name) != getattr(after, name)]


def as_form(settings: QueueSettings) -> dict[str, str]:
    """The settings as the form shows them."""
    values = {name: str(getattr(settings, name)) for name in FIELDS}
    values["accept_by_key"] = "on" if settings.accept_by_key else ""
    return values


def parse_ids(values: Iterable[str], field: str) -> tuple[int, ...]:
    """Ticked checkboxes of ids (a queue's operators, an operator's queues), each once."""
    found: list[int] = []
    for value in values:
        text = value.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            raise Invalid(f"Choose {field} from the list.", field)
        found.append(int(text))
    return tuple(dict.fromkeys(found))


def parse_queue(form: Mapping[str, Any]) -> tuple[QueueSettings, tuple[int, ...] | None]:
    """The settings and the operators ticked (`operators`, a list; None when the form does
    not have it: who serves the queue stays as it is); Invalid naming every bad field."""
    errors: dict[str, str] = {}
    settings = operators = None
    try:
        settings = parse_settings(form)
    except Invalid as e:
        errors.update(e.errors)
    try:
        if "operators" in form:
            operators = parse_ids(form["operators"], "operators")
    except Invalid as e:
        errors.update(e.errors)
    if errors or settings is None:
        raise Invalid(errors)
    return settings, operators
