"""What the operator forms (and `lifeline operator`) accept: pure parsing into values, or
Invalid by field.

The form is a mapping of the fields as sent: `sip_username`, `display_name`, `user` (text),
`languages` and `queues` (lists of ticked values). The rules themselves are the store's
(operators/store.py: username, display name, languages among the known codes); here each
problem is put beside the field the admin typed it in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from lifeline_pbx.accounts import users
from lifeline_pbx.admin.forms import text
from lifeline_pbx.errors import Invalid
from lifeline_pbx.operators import store
from lifeline_pbx.queues.queue_rules import parse_ids

Form = Mapping[str, Any]


@dataclass(frozen=True)
class Profile:
    """What an admin edits of an operator (the SIP username and secret are apart)."""

    display_name: str
    languages: tuple[str, ...]
    queue_ids: tuple[int, ...]


@dataclass(frozen=True)
class NewOperatorForm:
    sip_username: str
    profile: Profile
    user: str | None  # a web user to link, by username


def sentence(problem: str) -> str:
    """The store's messages (written for the command line) as the form shows them."""
    said = problem.strip()
    return said[:1].upper() + said[1:] + ("" if said.endswith(".") else ".")


def _first(problems: list[str]) -> str | None:
    return sentence(problems[0]) if problems else None


def _texts(form: Form, name: str) -> list[str]:
    """A field of ticked checkboxes (a list), or of one value."""
    value = form.get(name, [])
    return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]


def _profile(form: Form, known: Collection[str], errors: dict[str, str]) -> Profile:
    name = text(form, "display_name")
    codes = tuple(dict.fromkeys(c.strip().lower() for c in _texts(form, "languages")
                                if c.strip()))
    if problem := _first(store.display_name_problems(name)):
        errors["display_name"] = problem
    if problem := _first(store.language_problems(codes, known)):
        errors["languages"] = problem
    queue_ids: tuple[int, ...] = ()
    try:
        queue_ids = parse_ids(_texts(form, "queues"), "queues")
    except Invalid as e:
        errors.update(e.errors)
    return Profile(name, codes, queue_ids)


def parse_profile(form: Form, known: Collection[str]) -> Profile:
    """Name, languages (among `known`, the languages table's codes) and queues; Invalid
    naming every bad field."""
    errors: dict[str, str] = {}
    profile = _profile(form, known, errors)
    if errors:
        raise Invalid(errors)
    return profile


def user_problem(username: str) -> str | None:
    if username and not users.USERNAME.fullmatch(username):
        return "Choose a web user from the list."
    return None


def parse_new(form: Form, known: Collection[str]) -> NewOperatorForm:
    """The profile, the SIP username and the web user to link; Invalid naming every bad
    field."""
    errors: dict[str, str] = {}
    username, user = text(form, "sip_username"), text(form, "user")
    if problem := _first(store.username_problems(username)):
        errors["sip_username"] = problem
    profile = _profile(form, known, errors)
    if problem := user_problem(user):
        errors["user"] = problem
    if errors:
        raise Invalid(errors)
    return NewOperatorForm(username, profile, user or None)


def changed_fields(before: Profile, after: Profile) -> list[str]:
    """What the audit entry of an edit lists: the names of the fields that changed."""
    found = []
    if before.display_name != after.display_name:
        found.append("display_name")
    if before.languages != after.languages:
        found.append("languages")
    if set(before.queue_ids) != set(after.queue_ids):
        found.append("queues")
    return found
