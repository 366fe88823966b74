"""What each operator's time went to in a period: logged in, paused (by reason), talking,
wrap-up. Pure functions; the database supplies the queue log and the calls.

- Logged in and paused come from the queue log (queue_events: login, logout, pause with
  its reason, unpause), written once per queue the operator serves: the same moment in
  several queues counts once. An operator is logged in from a login to the next logout,
  and paused from a pause to the next unpause, login or logout, as queues/staff.py
  applies them. Time before the first login on record counts as logged out.
- Talking: from the moment an operator took a call to its end.
- Wrap-up: from a call's end for the queue's wrap-up time (as set now; its history is not
  kept), cut short when the operator is ready early (queue_events 'ready', recorded since
  migration 0024; before it, wrap-up counts in full), logs out, or takes the next call.
States overlap where the work does: a paused operator may still be in wrap-up.
Time after `now` is not counted: the period is cut at the moment it is asked about.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lifeline_pbx.statistics.figures import clipped

PRESENCE = ("login", "logout", "pause", "unpause")
STOPS = ("ready", "logout")  # what ends a wrap-up early (besides the next call)
# Lines of one moment, in the order they apply: a logout and a login at once leave the
# operator logged in.
_AT_ONCE = {"logout": 0, "login": 1, "unpause": 2, "pause": 3}


@dataclass(frozen=True)
class Mark:
    """A line of the queue log about an operator."""

    operator_id: int
    at: datetime
    kind: str  # login, logout, pause, unpause, ready
    reason: str = ""  # a pause's


@dataclass(frozen=True)
class Talk:
    operator_id: int
    connected_at: datetime
    ended_at: datetime | None  # None: still talking
    wrapup_seconds: float


@dataclass(frozen=True)
class Presence:
    logged_in: float = 0.0
    paused: dict[str, float] = field(default_factory=dict)  # seconds by reason


@dataclass(frozen=True)
class Work:
    answered: int = 0
    talking: float = 0.0
    wrap_up: float = 0.0


def presence(marks: Iterable[Mark], start: datetime, end: datetime) -> dict[int, Presence]:
    """Per operator, seconds logged in and paused (by reason) within [start, end)."""
    return presence_by_day(marks, (start, end))[0]


def presence_by_day(marks: Iterable[Mark], midnights: Sequence[datetime]
                    ) -> list[dict[int, Presence]]:
    """`presence` of each day [midnights[i], midnights[i + 1]) in one pass over the marks
    (each operator's since their last login or logout before the first day)."""
    days = len(midnights) - 1
    logged: list[dict[int, float]] = [{} for _ in range(days)]
    paused: list[dict[int, dict[str, float]]] = [{} for _ in range(days)]

    def add(operator_id: int, lo: datetime, hi: datetime, reason: str | None) -> None:
        day = max(0, bisect_right(midnights, lo) - 1)
        while day < days and midnights[day] < hi:
            seconds = clipped(lo, hi, midnights[day], midnights[day + 1])
            logged[day][operator_id] = logged[day].get(operator_id, 0.0) + seconds
            if reason is not None:
                own = paused[day].setdefault(operator_id, {})
                own[reason] = own.get(reason, 0.0) + seconds
            day += 1

    by_operator: dict[int, list[Mark]] = {}
    for mark in marks:
        if mark.kind in PRESENCE:
            by_operator.setdefault(mark.operator_id, []).append(mark)
    for operator_id, own in by_operator.items():
        logged_in, is_paused, reason = False, False, ""
        since: datetime | None = None
        for mark in sorted(set(own), key=lambda m: (m.at, _AT_ONCE[m.kind])):
            if since is not None and logged_in:
                add(operator_id, since, mark.at, reason if is_paused else None)
            logged_in, is_paused, reason = _after(mark, logged_in, is_paused, reason)
            since = mark.at
        if since is not None and logged_in:
            add(operator_id, since, midnights[-1], reason if is_paused else None)
    found = []
    for day in range(days):
        today: dict[int, Presence] = {}
        for operator_id in logged[day].keys() | paused[day].keys():
            pauses = {r: s for r, s in paused[day].get(operator_id, {}).items() if s > 0}
            total = logged[day].get(operator_id, 0.0)
            if total > 0 or pauses:
                today[operator_id] = Presence(total, pauses)
        found.append(today)
    return found


def _after(mark: Mark, logged_in: bool, paused: bool, reason: str) -> tuple[bool, bool, str]:
    if mark.kind == "login":
        return True, False, ""
    if mark.kind == "logout":
        return False, False, ""
    if mark.kind == "pause":
        return logged_in, True, mark.reason
    return logged_in, False, ""


def work(talks: Iterable[Talk], marks: Iterable[Mark], start: datetime,
         end: datetime) -> dict[int, Work]:
    """Per operator, calls answered in [start, end), and seconds talking and in wrap-up
    within it (end: the period's end, or now if sooner)."""
    stops: dict[int, list[datetime]] = {}
    for mark in marks:
        if mark.kind in STOPS:
            stops.setdefault(mark.operator_id, []).append(mark.at)
    own: dict[int, list[Talk]] = {}
    for talk in talks:
        own.setdefault(talk.operator_id, []).append(talk)
    found = {}
    for operator_id, calls in own.items():
        calls.sort(key=lambda t: t.connected_at)
        answered, talking, wrap = 0, 0.0, 0.0
        for n, talk in enumerate(calls):
            if start <= talk.connected_at < end:
                answered += 1
            finished = talk.ended_at or end
            talking += clipped(talk.connected_at, finished, start, end)
            if talk.ended_at is None:
                continue
            cut = [t for t in stops.get(operator_id, []) if t >= talk.ended_at]
            if n + 1 < len(calls):
                cut.append(calls[n + 1].connected_at)
            over = min([talk.ended_at + timedelta(seconds=talk.wrapup_seconds), *cut])
            wrap += clipped(talk.ended_at, over, start, end)
        if answered or talking or wrap:
            found[operator_id] = Work(answered, talking, wrap)
    return found


def added(parts: Iterable[tuple[dict[int, Work], dict[int, Presence]]]
          ) -> tuple[dict[int, Work], dict[int, Presence]]:
    """Each operator's time over consecutive spans, from each span's (each is cut at its
    ends, so the spans' times add up to the whole's)."""
    work_sum: dict[int, Work] = {}
    presence_sum: dict[int, Presence] = {}
    for works, presences in parts:
        for operator_id, w in works.items():
            was = work_sum.get(operator_id, Work())
            work_sum[operator_id] = Work(was.answered + w.answered, was.talking + w.talking,
                                         was.wrap_up + w.wrap_up)
        for operator_id, p in presences.items():
            had = presence_sum.get(operator_id, Presence())
            paused = dict(had.paused)
            for reason, seconds in p.paused.items():
                paused[reason] = paused.get(reason, 0.0) + seconds
            presence_sum[operator_id] = Presence(had.logged_in + p.logged_in, paused)
    return work_sum, presence_sum
