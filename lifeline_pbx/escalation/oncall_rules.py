"""The on-call list as an admin writes it: one entry a line, who then how many seconds to
ring, e.g. `op-a 20` or `+1 202 555 0143 30`. Parsing and checking it is pure. Each
operator and number is on it once: ringing the same phone again only delays the next. A
list saved before that rule may hold a repeat: its pages flag it (`repeat_problem`) and an
emergency rings each phone once (`once_each`).

An outside number must already be one the toll-fraud guard lets through (the allow-list
of the installation's settings): refused here with its line, rather than found out during
an emergency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lifeline_pbx.escalation.oncall import Entry
from lifeline_pbx.outbound import numbers
from lifeline_pbx.outbound.guard import Policy

MAX_ENTRIES = 20
RING_SECONDS = (5, 120)
DEFAULT_RING = 20
WAIT_SECONDS = (5, 600)


@dataclass(frozen=True)
class OnCallSettings:
    entries: tuple[Entry, ...]
    emergency_wait: int | None


def as_text(entries: list[Entry]) -> str:
    return "\n".join(f"{e.operator or e.number} {e.ring_seconds}" for e in entries)


def phone(entry: Entry) -> str:
    """What an entry rings: an operator's SIP account or an outside number."""
    return entry.operator or entry.number or ""


def repeats(entries: Sequence[Entry]) -> list[tuple[Entry, int]]:
    """Each entry that rings a phone an earlier entry rings, with that one's position."""
    first_at: dict[str, int] = {}
    found: list[tuple[Entry, int]] = []
    for entry in entries:
        first = first_at.setdefault(phone(entry), entry.position)
        if first != entry.position:
            found.append((entry, first))
    return found


def once_each(entries: Sequence[Entry]) -> tuple[Entry, ...]:
    """The list as rung: each phone once, at its first position."""
    repeated = {entry.position for entry, _ in repeats(entries)}
    return tuple(entry for entry in entries if entry.position not in repeated)


def repeat_problem(entries: Sequence[Entry]) -> str | None:
    """What the admin is told of a list saved before repeats were refused. Positions only:
    the lists page shows no numbers."""
    found = repeats(entries)
    if not found:
        return None
    said = "; ".join(f"position {entry.position} is the same phone as position {first}"
                     for entry, first in found)
    return (f"The on-call list has a phone twice ({said}). Each phone is rung once, at its "
            "first position: save the list without the repeat.")


def _entry(position: int, text: str, operators: Mapping[str, int], policy: Policy
           ) -> Entry | str:
    """One line: the entry, or what is wrong with it."""
    words = text.split()
    seconds = DEFAULT_RING
    rest = " ".join(words[:-1])
    # The ring time is a last word of 1-3 digits after a whole account or number: the
    # last group of "+1 202 555 0143" is the number's own.
    if (len(words) > 1 and words[-1].isdigit() and len(words[-1]) <= 3
            and (rest in operators or numbers.normalise(rest) is not None)):
        seconds = int(words.pop())
    if not RING_SECONDS[0] <= seconds <= RING_SECONDS[1]:
        return f"line {position}: ring {RING_SECONDS[0]}-{RING_SECONDS[1]} seconds"
    who = " ".join(words)
    if who in operators:
        return Entry(position, seconds, operator=who, operator_id=operators[who])
    number = numbers.normalise(who)
    if number is None:
        return f"line {position}: {who[:40]!r} is neither an operator's SIP account nor a number"
    if not policy.trunk:
        return f"line {position}: outside numbers need the outbound trunk (outbound_trunk)"
    if not numbers.allowed(number, policy.allow, policy.deny):
        return f"line {position}: {number} is outside the numbers this hotline may call"
    return Entry(position, seconds, number=number)


def parse(form: Mapping[str, str], operators: Mapping[str, int], policy: Policy
          ) -> OnCallSettings | dict[str, str]:
    """The settings, or the problems by field (entries, emergency_wait)."""
    problems: dict[str, str] = {}
    lines = [line.strip() for line in form.get("entries", "").splitlines() if line.strip()]
    entries: list[Entry] = []
    wrong: list[tuple[int, str]] = []  # (line, problem): told in the list's order
    for position, text in enumerate(lines, 1):
        found = _entry(position, text, operators, policy)
        if isinstance(found, str):
            wrong.append((position, found))
        else:
            entries.append(found)
    wrong += [(entry.position, f"line {entry.position}: {phone(entry)} is already on line {first}")
              for entry, first in repeats(entries)]
    if len(lines) > MAX_ENTRIES:
        wrong.append((0, f"at most {MAX_ENTRIES} entries"))
    if wrong:
        problems["entries"] = "; ".join(problem for _, problem in sorted(wrong)[:3])
    wait_text = form.get("emergency_wait", "").strip()
    wait = int(wait_text) if wait_text.isdigit() else None
    if wait_text and (wait is None or not WAIT_SECONDS[0] <= wait <= WAIT_SECONDS[1]):
        problems["emergency_wait"] = (f"{WAIT_SECONDS[0]}-{WAIT_SECONDS[1]} seconds, or empty "
                                      "(only when nobody is logged in or the line is closed)")
    return problems or OnCallSettings(tuple(entries), wait)
