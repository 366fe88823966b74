"""The statistics' rules, as pure functions over plain rows: what counts as answered,
abandoned, voicemail or closed, the waits, the service level, talk time. No I/O.

store.py computes the same figures in SQL over a period's calls (the database groups
millions of rows far faster than Python): tests/test_statistics_store.py holds the two to
each other on a fixture whose counts are worked out by hand.

A call's outcome, first match wins:
- answered: an operator took it, or someone on the on-call list took the emergency (connected);
- closed: it reached a line outside its opening hours (or on a closure day), message or not;
- voicemail: sent to voicemail for any other reason (no operator, waited too long, a fault);
- no message: sent to voicemail, gone before the beep (since migration 0047; a voicemail
  before);
- abandoned in the IVR: the caller hung up before reaching a queue;
- abandoned in the queue: the caller hung up while waiting;
- other: still in progress, an unknown number, a failure before any of these.
The outcomes add up to the calls received.

Waits are the time in the queue of every call that left it (answered, hung up, or sent
to voicemail), as the distributor measured it. The service level is the share of calls
that left a queue that an operator answered within the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

OUTCOMES = ("answered", "closed", "voicemail", "no_message", "abandoned_ivr", "abandoned_queue",
            "other")


@dataclass(frozen=True)
class Call:
    """What the statistics read of one call (one row of `calls`)."""

    disposition: str | None
    queued: bool  # reached a queue
    connected: bool  # an operator took it
    ended: bool
    voicemail_reason: str | None
    wait_seconds: float | None  # time in the queue, once it left it
    talk_seconds: float | None  # connected to ended; None unless both


@dataclass(frozen=True)
class Figures:
    received: int = 0
    answered: int = 0
    closed: int = 0
    voicemail: int = 0
    no_message: int = 0  # sent to voicemail, gone before the beep
    abandoned_ivr: int = 0
    abandoned_queue: int = 0
    other: int = 0
    left_queue: int = 0  # calls that reached a queue and left it: the service level's base
    within: int = 0  # of those, answered within the threshold
    wait_median: float | None = None
    wait_p90: float | None = None
    wait_max: float | None = None
    talk_seconds: float = 0.0
    talked: int = 0  # answered calls that ended (talk time is known)

    @property
    def service_level(self) -> float | None:
        return self.within / self.left_queue if self.left_queue else None

    @property
    def talk_mean(self) -> float | None:
        return self.talk_seconds / self.talked if self.talked else None


def outcome(call: Call) -> str:
    if call.connected:
        return "answered"
    if call.voicemail_reason == "closed":
        return "closed"
    if call.disposition == "voicemail":
        return "voicemail"
    if call.disposition == "no_message":
        return "no_message"
    if call.disposition == "abandoned":
        return "abandoned_queue" if call.queued else "abandoned_ivr"
    return "other"


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear between the two nearest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def figures(calls: Iterable[Call], threshold: float) -> Figures:
    counts = dict.fromkeys(OUTCOMES, 0)
    waits: list[float] = []
    left_queue = within = talked = 0
    talk = 0.0
    received = 0
    for call in calls:
        received += 1
        kind = outcome(call)
        counts[kind] += 1
        if call.wait_seconds is not None:
            waits.append(call.wait_seconds)
        if call.queued and (call.connected or call.ended):
            left_queue += 1
            if (call.connected and call.wait_seconds is not None
                    and call.wait_seconds <= threshold):
                within += 1
        if call.talk_seconds is not None:
            talked += 1
            talk += call.talk_seconds
    return Figures(
        received=received, left_queue=left_queue, within=within,
        wait_median=percentile(waits, 0.5), wait_p90=percentile(waits, 0.9),
        wait_max=max(waits) if waits else None, talk_seconds=talk, talked=talked,
        **counts,
    )


def grouped(calls: Iterable[tuple[object, Call]], threshold: float) -> dict[object, Figures]:
    """Figures per key, from (key, call) pairs."""
    groups: dict[object, list[Call]] = {}
    for key, call in calls:
        groups.setdefault(key, []).append(call)
    return {key: figures(members, threshold) for key, members in groups.items()}


def clipped(start: datetime, end: datetime, lo: datetime, hi: datetime) -> float:
    """Seconds of [start, end) inside [lo, hi)."""
    return max(0.0, (min(end, hi) - max(start, lo)).total_seconds())
