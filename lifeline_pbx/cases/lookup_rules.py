"""Whether an operator may look an A-number up during a call: pure, no I/O.

A lookup is made for a call put through to the operator's phone, while it goes on or in its
wrap-up, and shows at most one person: the one whose A-number was typed for that call. A
few A-numbers that find nobody (typing slips) are allowed before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lifeline_pbx.cases.correction_rules import WRAP_UP

MAX_TRIES = 3  # different A-numbers looked up for one call
LONGEST_CALL = dt.timedelta(hours=6)  # a call never marked ended stops counting as going on
NOT_DURING = "Look a person up while taking their call (or during its wrap-up)."
ONE_PERSON = ("This call already found a person: only their A-number can be looked up for "
              "it. To look someone else up, ask a supervisor.")
TOO_MANY = (f"{MAX_TRIES} different A-numbers were already looked up for this call: no more "
            "lookups for it. Save the intake with the A-number the caller gave.")


def during_call(started_at: dt.datetime, ended_at: dt.datetime | None,
                now: dt.datetime) -> bool:
    if ended_at is None:
        return now - started_at < LONGEST_CALL
    return now - ended_at < WRAP_UP


def refusal(seen: Sequence[tuple[bytes, bool]], key: bytes) -> str:
    """seen: the A-number keys already looked up for the call and whether each found a
    person; key: the one asked for. Why it is refused, "" when it is not."""
    if any(key == k for k, _ in seen):
        return ""
    if any(found for _, found in seen):
        return ONE_PERSON
    if len({k for k, _ in seen}) >= MAX_TRIES:
        return TOO_MANY
    return ""
