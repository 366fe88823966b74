"""What the admin pages accept: pure parsing of their forms into values or messages.

Each parser takes the submitted fields and returns the value to save, or a dict of field
name -> a message the admin can act on. Nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lifeline_pbx.accounts import passwords, users
from lifeline_pbx.errors import Invalid
from lifeline_pbx.operators.store import generate_password

CATEGORY_CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")
PARTNER_KINDS = ("legal", "medical", "family", "press", "oversight", "other")
MAX_NAME = 200

Form = Mapping[str, Any]
Errors = dict[str, str]


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    role: str
    password: str
    generated: bool  # the password was made here and is shown to the admin once
    operator: str | None  # SIP username to link, if any


@dataclass(frozen=True)
class NewCategory:
    code: str
    label: str


@dataclass(frozen=True)
class NewPartner:
    name: str
    kind: str


def text(form: Form, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def raw(form: Form, name: str) -> str:
    """A field as typed (passwords keep their spaces)."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def typed(form: Form, names: Iterable[str] | None = None) -> dict[str, str]:
    """The fields named (default: every field sent) as typed, to show a refused form again."""
    return {name: text(form, name) for name in (form if names is None else names)}


def name_problem(value: str, what: str, limit: int = MAX_NAME) -> str | None:
    if not value:
        return f"Give a {what}."
    if len(value) > limit:
        return f"A {what} can have at most {limit} characters."
    if not value.isprintable():
        return f"A {what} cannot contain line breaks or control characters."
    return None


def username_problem(username: str) -> str | None:
    if not users.USERNAME.fullmatch(username):
        return ("A username is 3 to 40 lowercase letters, digits, '.', '_' or '-', "
                "starting with a letter or digit.")
    return None


def role_problem(role: str) -> str | None:
    return None if role in users.ROLES else f"Choose a role: {', '.join(users.ROLES)}."


def new_password(username: str) -> str:
    """A generated password that meets the rules (it never contains the username)."""
    while True:
        password = generate_password()
        if passwords.problem(password, username) is None:
            return password


def password_choice(form: Form, username: str) -> tuple[str, bool, str | None]:
    """(password, generated, problem): the typed password, or a new one if asked for."""
    if form.get("generate") == "on":
        return new_password(username), True, None
    password = raw(form, "password")
    if not password:
        return "", False, "Type an initial password, or tick 'generate one'."
    problem = passwords.problem(password, username)
    return password, False, problem and problem[0].upper() + problem[1:] + "."


def parse_operator(form: Form) -> tuple[str | None, str | None]:
    """(SIP username or None to unlink, problem): the operator field of a user's link."""
    operator = text(form, "operator") or None
    if operator is not None and not users.USERNAME.fullmatch(operator):
        return None, "Choose a SIP account from the list."
    return operator, None


def parse_new_user(form: Form) -> NewUser:
    username, role = text(form, "username").lower(), text(form, "role")
    display_name = text(form, "display_name")
    password, generated, password_problem = password_choice(form, username)
    operator, operator_problem = parse_operator(form)
    problems = {
        "username": username_problem(username),
        "display_name": name_problem(display_name, "display name"),
        "role": role_problem(role),
        "password": password_problem,
        "operator": operator_problem,
    }
    errors = {field: message for field, message in problems.items() if message}
    if errors:
        raise Invalid(errors)
    return NewUser(username, display_name, role, password, generated, operator)


def parse_category(form: Form) -> NewCategory:
    code, label = text(form, "code"), text(form, "label")
    errors: Errors = {}
    if not CATEGORY_CODE.fullmatch(code):
        errors["code"] = ("A code is 2 to 40 lowercase letters, digits or '_', starting "
                          "with a letter (for example 'water_access').")
    if problem := name_problem(label, "label"):
        errors["label"] = problem
    if errors:
        raise Invalid(errors)
    return NewCategory(code, label)


def parse_partner(form: Form) -> NewPartner:
    name, kind = text(form, "name"), text(form, "kind")
    errors: Errors = {}
    if problem := name_problem(name, "name"):
        errors["name"] = problem
    if kind not in PARTNER_KINDS:
        errors["kind"] = f"Choose a kind: {', '.join(PARTNER_KINDS)}."
    if errors:
        raise Invalid(errors)
    return NewPartner(name, kind)
