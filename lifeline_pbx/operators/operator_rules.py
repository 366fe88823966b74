"""What the admin's operator forms accept: pure parsing into values, or Invalid by field.

The rules themselves are the store's (operators/store.py: username, display name,
languages), shared with `lifeline operator`; here each problem is put beside the field
the admin typed it in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lifeline_pbx.accounts import users
from lifeline_pbx.errors import Invalid
from lifeline_pbx.operators import store
from lifeline_pbx.queues.queue_rules import parse_ids


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
    text = problem.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _first(problems: list[str]) -> str | None:
    return sentence(problems[0]) if problems else None


def _profile(display_name: str, languages: Iterable[str], queues: list[str],
             errors: dict[str, str]) -> Profile:
    name = display_name.strip()
    codes = tuple(dict.fromkeys(code.strip().lower() for code in languages if code.strip()))
    if problem := _first(store.display_name_problems(name)):
        errors["display_name"] = problem
    if problem := _first(store.language_problems(codes)):
        errors["languages"] = problem
    queue_ids: tuple[int, ...] = ()
    try:
        queue_ids = parse_ids(queues, "queues", "queues")
    except Invalid as e:
        errors.update(e.errors)
    return Profile(name, codes, queue_ids)


def parse_profile(display_name: str, languages: Iterable[str], queues: list[str]) -> Profile:
    errors: dict[str, str] = {}
    profile = _profile(display_name, languages, queues, errors)
    if errors:
        raise Invalid(errors)
    return profile


def user_problem(username: str) -> str | None:
    if username and not users.USERNAME.fullmatch(username):
        return "Choose a web user from the list."
    return None


def parse_new(sip_username: str, display_name: str, languages: Iterable[str],
              queues: list[str], user: str = "") -> NewOperatorForm:
    errors: dict[str, str] = {}
    username = sip_username.strip()
    if problem := _first(store.username_problems(username)):
        errors["sip_username"] = problem
    profile = _profile(display_name, languages, queues, errors)
    if problem := user_problem(user.strip()):
        errors["user"] = problem
    if errors:
        raise Invalid(errors)
    return NewOperatorForm(username, profile, user.strip() or None)


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
