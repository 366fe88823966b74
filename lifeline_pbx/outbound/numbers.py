"""Outside phone numbers: normalising what a person typed to E.164, and matching E.164
patterns (the toll-fraud allow-list). Pure.

Patterns use the dial-plan letters people who run phone systems know: N is 2-9, X is 0-9,
Z is 1-9, digits stand for themselves, `+` leads. A pattern matches a whole number, never a
prefix, so `+1NXXNXXXXXX` is exactly the eleven-digit North American shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# US and Canada: +1, then a NANP area code and exchange (neither starts with 0 or 1).
DEFAULT_ALLOW = ("+1NXXNXXXXXX",)
# Inside +1 but not US or Canada, or not a person: the Caribbean and Pacific NANP
# countries (the classic toll-fraud targets: +1 yet billed internationally), premium
# rate (900, 976), N11 service codes as area code or exchange (911, 411, ...).
NANP_ELSEWHERE = (
    "242", "246", "264", "268", "284", "340", "345", "441", "473", "649", "658", "664",
    "670", "671", "684", "721", "758", "767", "784", "787", "809", "829", "849", "868",
    "869", "876", "939",
)
DEFAULT_DENY = (
    *(f"+1{area}XXXXXXX" for area in NANP_ELSEWHERE),
    "+1900XXXXXXX", "+1976XXXXXXX", "+1N11XXXXXXX", "+1NXXN11XXXX",
)
_SEPARATORS = re.compile(r"[\s().\-/]")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_PATTERN = re.compile(r"\+[0-9NXZ]{1,15}")
_LETTERS = {"N": "[2-9]", "X": "[0-9]", "Z": "[1-9]"}


def normalise(raw: str) -> str | None:
    """E.164 (`+12025550143`) from what a person typed, or None when it is not a number.

    Accepted: `+` and digits with spaces, dots, dashes, slashes or brackets between;
    `00` or `011` before a country code; ten digits (a North American number without
    its 1) or eleven starting with 1. Anything else (letters, `*`, `#`, too short) is
    refused rather than guessed at."""
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("+"):
        candidate = text
    elif text.startswith("011"):
        candidate = "+" + text[3:]
    elif text.startswith("00"):
        candidate = "+" + text[2:]
    elif len(text) == 10 and text.isdigit():
        candidate = "+1" + text
    elif len(text) == 11 and text.startswith("1") and text.isdigit():
        candidate = "+" + text
    else:
        return None
    return candidate if _E164.fullmatch(candidate) else None


def valid_pattern(pattern: str) -> bool:
    return bool(_PATTERN.fullmatch(pattern))


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(re.escape("+") + "".join(_LETTERS.get(c, c) for c in pattern[1:]))


def matches(number: str, pattern: str) -> bool:
    """Whether the E.164 number has the pattern's shape (the whole number)."""
    return valid_pattern(pattern) and bool(_regex(pattern).fullmatch(number))


def allowed(number: str, allow: Iterable[str], deny: Iterable[str] = ()) -> bool:
    """On the allow-list and on no deny pattern."""
    return any(matches(number, p) for p in allow) and not any(matches(number, p) for p in deny)


def tail(number: str) -> str:
    """What a screen may show of a number: its last two digits (`…43`)."""
    return f"…{number[-2:]}" if len(number) > 2 else "…"
