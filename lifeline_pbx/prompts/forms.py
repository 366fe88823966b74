"""What the languages and prompts admin accepts, parsed without I/O: a language's fields,
and which prompt of which language a request is about."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from lifeline_pbx import prompts
from lifeline_pbx.admin.forms import name_problem, text
from lifeline_pbx.errors import Invalid

CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")
MAX_NAME = 60
MAX_LABEL = 200
DIGIT = "{digit}"


@dataclass(frozen=True)
class LanguageForm:
    name: str
    menu_label: str


def code_problem(code: str) -> str | None:
    if not CODE.fullmatch(code):
        return ("A language code is 2 or 3 lowercase letters (ISO 639: es, ht, quc), "
                "optionally a region after a dash (pt-br).")
    return None


def parse_new_language(form: Mapping[str, str]) -> tuple[str, LanguageForm]:
    """The code, name and menu label of a language to add, or Invalid naming every bad
    field."""
    code = text(form, "code")
    errors = {"code": problem} if (problem := code_problem(code)) else {}
    try:
        fields = parse_language(form)
    except Invalid as e:
        raise Invalid({**errors, **e.errors}) from None
    if errors:
        raise Invalid(errors)
    return code, fields


def parse_language(form: Mapping[str, str]) -> LanguageForm:
    """The name and menu label, or Invalid naming every bad field."""
    errors: dict[str, str] = {}
    name, label = text(form, "name"), text(form, "menu_label")
    if problem := name_problem(name, "name", MAX_NAME):
        errors["name"] = problem
    if not label:
        errors["menu_label"] = ("Write the menu entry in the language itself, with {digit} "
                                "where the key is said: \"Para español, oprima {digit}.\"")
    elif len(label) > MAX_LABEL or not label.isprintable():
        errors["menu_label"] = f"A menu label is at most {MAX_LABEL} characters on one line."
    elif label.count(DIGIT) != 1:
        errors["menu_label"] = "Write {digit} once, where the key's number is said."
    if errors:
        raise Invalid(errors)
    return LanguageForm(name, label)


def prompt_problem(name: str) -> str | None:
    if name not in prompts.concrete_names():
        return "There is no prompt of that name in the catalogue."
    return None
