"""The live queue view's lines about answered calls with no intake, worded once: the page
shows them as it loads, and its snapshot (views.current) carries them for queues.js to
refresh every few seconds, so both count and say the same (call_history.missing_intakes)."""

from __future__ import annotations

from dataclasses import dataclass

from lifeline_pbx.cases.drafts import Stranded
from lifeline_pbx.supervision.call_history import WEEK_DAYS, MissingIntakes
from lifeline_pbx.web.app import counted
from lifeline_pbx.web.times import day, when

STRANDED_SHOWN = 20  # the unsaved intakes listed, the soonest retention removes first


@dataclass(frozen=True)
class StrandedLine:
    href: str  # the call's page
    call: str  # the link's words
    rest: str


@dataclass(frozen=True)
class MissingLines:
    count: int
    link: str  # the call history's list of them
    counted: str  # the link's words: "2 answered calls"
    rest: str
    stranded: str  # the unsaved intakes' heading; "" when there are none
    stranded_lines: tuple[StrandedLine, ...]
    more_stranded: bool  # more than STRANDED_SHOWN


def lines(missing: MissingIntakes) -> MissingLines:
    n, stranded = missing.count, missing.stranded
    heading = f"{counted(len(stranded), 'unsaved intake')} on answered calls with no intake"
    return MissingLines(
        n, missing.link, counted(n, "answered call"),
        f"in the last {WEEK_DAYS} days ({missing.since} to today) "
        f"{'has' if n == 1 else 'have'} no intake.",
        heading if stranded else "",
        tuple(_stranded(s) for s in stranded[:STRANDED_SHOWN]),
        len(stranded) > STRANDED_SHOWN)


def _stranded(s: Stranded) -> StrandedLine:
    sign = s.sign
    removed = (f"; retention removes it on {day(sign.goes_on)} unless it is saved before"
               if sign.goes_on else "")
    return StrandedLine(f"/calls/{s.call_id}", f"Call of {when(s.call_at)}",
                        f": by {sign.author}, last saved {when(sign.updated_at)}"
                        f"{removed}.")
