"""Feature codes an operator keys on their phone during a call they took: what the console's
transfer tools start, by keys. Pure; transfers/service.py feeds it the keys of the
operator's own leg only (queues/offers.py passes keys pressed on a taken call's operator
leg; a caller's keys reach their call's session, never this).

    *2 <operator number> #   warm transfer to that operator or supervisor (talk first)
    *3 <queue number> #      send the caller to that queue (in their language)

The operator number is the one admins see in the operator list (operators.id); the
queue number the queue's. During a warm transfer the phone's keys are # (complete) and
* (back to the caller) instead (rules.PHONE_KEYS). A * in the middle of a code starts
again; an unknown code, or more than MAX_DIGITS digits, is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from lifeline_pbx.transfers.rules import Ask

START, END = "*", "#"
CODES = {"2": Ask.WARM, "3": Ask.QUEUE}
MAX_DIGITS = 9


@dataclass(frozen=True)
class Keyed:
    """A code keyed in full: what to do, to which operator or queue number."""

    ask: Ask
    number: int


def press(keys: str, digit: str) -> tuple[str, Keyed | None]:
    """The keys held after this one, and the code it completes, if any."""
    if digit == START:
        return START, None
    if not keys:
        return "", None  # a key outside a code: not ours
    if len(keys) == 1:
        return (keys + digit, None) if digit in CODES else ("", None)
    if digit == END:
        number = keys[2:]
        return "", Keyed(CODES[keys[1]], int(number)) if number else None
    if not digit.isdigit() or len(keys) - 2 >= MAX_DIGITS:
        return "", None
    return keys + digit, None
