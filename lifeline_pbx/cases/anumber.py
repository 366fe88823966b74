"""A-numbers (Alien Registration Numbers): validate what an operator typed, normalise it.

An A-number is the letter A and 8 or 9 digits; 8-digit numbers take a leading 0, so the
normal form is always 9 digits. Operators type what the caller reads out: the "A" is
optional, spaces and dashes are allowed anywhere between digits.
"""

from __future__ import annotations

import re

from lifeline_pbx.errors import Invalid

MAX_TYPED = 30  # longer than any A-number written with separators
_SEPARATORS = re.compile(r"[\s\-]+")


class ANumberError(Invalid):
    """What the operator typed is not an A-number; the message says why, for the screen."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "a_number")


def normalise(typed: str) -> str:
    """`"A 12-345-678"` -> `"012345678"`; raise ANumberError with a message otherwise."""
    text = typed.strip()
    if not text:
        raise ANumberError("Enter the A-number (the letter A and 8 or 9 digits).")
    if len(text) > MAX_TYPED:
        raise ANumberError("That is too long for an A-number (the letter A and 8 or 9 digits).")
    if text[0] in "Aa":
        text = text[1:]
    digits = _SEPARATORS.sub("", text)
    if any(ch not in "0123456789" for ch in digits):
        raise ANumberError(
            "An A-number has only digits after the letter A (spaces and dashes are allowed)."
        )
    if len(digits) not in (8, 9):
        raise ANumberError(f"An A-number has 8 or 9 digits; this one has {len(digits)}.")
    if len(digits) == 8:
        digits = "0" + digits
    if digits.strip("0") == "":
        raise ANumberError("An A-number cannot be all zeros.")
    return digits


def display(normalised: str) -> str:
    """`"012345678"` -> `"A012-345-678"`, how it is shown to operators."""
    return f"A{normalised[:3]}-{normalised[3:6]}-{normalised[6:]}"
