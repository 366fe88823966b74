"""How many people a group report is about, as typed on the report block: no I/O.

Optional, a whole number from 2 (a group) to MOST, and only on a report about a group:
a report about one person refuses a number rather than drop it (migrations/0045).
"""

from __future__ import annotations

MOST = 10_000
LABEL = "How many people (about)"


class Refused(ValueError):
    """The typed number will not do; str() says why, quoting what was typed."""


def parse(typed: str, affected: str) -> int | None:
    """The number typed for a report about `affected` ("person" or "group"); None when
    nothing was typed."""
    value = typed.strip()
    if not value:
        return None
    shown = value if len(value) <= 20 else value[:20] + "…"
    if affected != "group":
        raise Refused(f"{LABEL}: \"{shown}\" is for a report about a group; choose "
                      "\"A group\" or clear the number.")
    negative = value.startswith("-")
    digits = value.removeprefix("-").replace(",", "").replace(" ", "")
    if not (digits.isascii() and digits.isdigit()):
        raise Refused(f"{LABEL}: \"{shown}\" is not a whole number.")
    # More digits than MOST has is more than MOST (and int() of a long string is refused).
    digits = digits.lstrip("0") or "0"
    number = MOST + 1 if len(digits) > len(str(MOST)) else int(digits)
    if negative or number < 2:
        raise Refused(f"{LABEL}: \"{shown}\": a group is 2 people or more (for one person, "
                      "choose \"One person\").")
    if number > MOST:
        raise Refused(f"{LABEL}: \"{shown}\" is more than {MOST:,}.")
    return number
