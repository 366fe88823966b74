"""Decisions of the call distributor (ACD), without I/O: who is offered which caller, when.

The shell holds callers in Asterisk holding bridges and rings operators' phones; it asks
these functions what to do. Times are plain seconds on one clock chosen by the shell.

Routing rules, in order of strength:
1. Emergencies first (triage said a life or health is in danger), then the longest wait.
2. A caller is offered to an operator who speaks their language when one is free. If none
   is, any operator serving the queue may take the call once the caller has waited
   `language_wait`; an emergency caller may go to any operator at once: life first, an
   interpreter line can be brought in.
3. An operator who declined or let this call ring out is not offered it again while another
   eligible operator is free, even one without the caller's language once the language
   wait is over; if nobody else is eligible they may be offered it again.
4. Among the rest, the operator idle longest; ties by id.
A caller who cannot be served now does not hold operators they cannot use; a caller ahead
in the queue picks first among the operators they can use now.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

DEFAULT_HANDLE_SECONDS = 300.0
MAX_ESTIMATE_MINUTES = 60


@dataclass(frozen=True)
class Caller:
    """A caller waiting in a queue."""

    call_id: str
    queue: str
    language: str
    priority: int  # 0 normal, 1 emergency (triage: someone's life or health is in danger)
    entered_at: float  # when the caller entered the queue
    ringing: bool  # an offer to an operator is in progress for this caller
    declined_by: frozenset[str]  # operators who declined or let this call ring out


@dataclass(frozen=True)
class Operator:
    id: str  # SIP username
    languages: frozenset[str]
    queues: frozenset[str]
    logged_in: bool
    paused: bool  # paused with a reason (break, missed calls, ...)
    registered: bool  # the SIP endpoint is online
    on_call: bool
    ringing: bool
    wrapup_until: float  # not offered a call before this time
    idle_since: float  # when the last call ended (or when they became ready)
    missed_in_row: int
    unreachable_until: float = 0.0  # the last offer could not be placed: not before this


@dataclass(frozen=True)
class Policy:
    language_wait: float = 30.0  # wait for an operator with the caller's language, then any
    ring_timeout: float = 20.0
    max_missed: int = 3  # consecutive missed offers before auto-pause
    wrapup: float = 30.0
    max_wait: float = 600.0  # then voicemail
    announce_every: float = 45.0
    accept_by_key: bool = False  # offers ask the operator to press 1 to take the call

    def __post_init__(self) -> None:
        for name in ("language_wait", "wrapup"):
            if getattr(self, name) < 0:
                raise ValueError(f"queue policy: {name} must be >= 0")
        for name in ("ring_timeout", "max_wait", "announce_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"queue policy: {name} must be > 0")
        if self.max_missed < 1:
            raise ValueError("queue policy: max_missed must be >= 1")


def for_line(policy: Policy, line_max_wait: int | None) -> Policy:
    """The queue's policy for a caller of a line that waits less than the queue would."""
    if line_max_wait is None or line_max_wait >= policy.max_wait:
        return policy
    return replace(policy, max_wait=float(line_max_wait))


def available(op: Operator, now: float) -> bool:
    """Whether the operator may be offered a call now."""
    return (
        op.logged_in
        and not op.paused
        and op.registered
        and not op.on_call
        and not op.ringing
        and now >= op.wrapup_until
        and now >= op.unreachable_until
    )


# Why a caller is sent to voicemail for want of staff (calls' voicemail reasons).
NO_OPERATORS = "no_operators"  # nobody serving the queue is logged in
PHONES_OFFLINE = "phones_offline"  # some are, but none of their phones is registered
# A queue left with nobody to ring while callers wait (the last operator logged out, the
# last phone went offline) keeps them this long before they are given back: a softphone
# restarted or back on the network registers again within seconds (one that died is seen
# offline only by qualify, 30 s), and an operator who logged out by mistake logs back in.
# About 5% of the 15 minutes a facility gives a call. Not a queue setting: that would take
# a migration and a field on the queue's page for what no queue has asked to tune.
EMPTY_GRACE = 45.0


def nobody_to_ring(queue: str, operators: Mapping[str, Operator], online: frozenset[str]
                   ) -> str | None:
    """Why `queue` has nobody who could ever be rung, or None when an operator serving it
    is logged in with a phone that can ring (paused, busy, in wrap-up or not: its callers
    wait for them). Languages do not count: any operator of the queue may take a caller
    once the language wait is over.

    Asked every round for each queue with callers: the phones online are looked at first,
    and under load the first of them serves the queue."""
    for username in online:
        op = operators.get(username)
        if op is not None and op.logged_in and queue in op.queues:
            return None
    if any(op.logged_in and queue in op.queues for op in operators.values()):
        return PHONES_OFFLINE
    return NO_OPERATORS


def unstaffed(nobody: str | None, since: float | None, now: float, grace: float
              ) -> tuple[float | None, str | None]:
    """A queue with callers waiting, `nobody` its nobody_to_ring now and `since` when it
    was first found so (None: it was staffed): (since when it has had nobody, None if it
    has someone; the reason to give its callers back now, None to keep them waiting)."""
    if nobody is None:
        return None, None
    since = now if since is None else since
    return since, nobody if now - since >= grace else None


def queue_order(callers: Iterable[Caller]) -> list[Caller]:
    """Emergencies first, then the longest waiting; ties by call id."""
    return sorted(callers, key=lambda c: (-c.priority, c.entered_at, c.call_id))


def _any_language_allowed(caller: Caller, now: float, policy: Policy) -> bool:
    return caller.priority > 0 or now - caller.entered_at >= policy.language_wait


def _pick(caller: Caller, ready: Sequence[Operator], taken: set[str], now: float,
          policy: Policy) -> str | None:
    """The operator to offer `caller` to, or None if none may take it.

    The best is the least (declined, without the language, idle since, id): `ready` is in
    idle order already, so the first of the best kind is it, and the scan stops at the
    first operator of the best kind possible (most often the first one looked at)."""
    any_language = _any_language_allowed(caller, now, policy)
    best, best_rank = None, (True, True, True)
    for op in ready:
        if op.id in taken or caller.queue not in op.queues:
            continue
        other_language = caller.language not in op.languages
        if other_language and not any_language:
            continue
        rank = (False, op.id in caller.declined_by, other_language)
        if rank < best_rank:
            best, best_rank = op.id, rank
            if rank == (False, False, False):
                break
    return best


def assign(
    callers: Iterable[Caller], operators: Iterable[Operator], now: float, policy: Policy
) -> list[tuple[str, str]]:
    """The offers to start now, as (call_id, operator_id) pairs, in queue order.

    The free operators are put in idle order once; each caller then looks only as far as
    its best operator (a round costs about callers x the operators each passes over, not
    callers x every free operator)."""
    ready = sorted((op for op in operators if available(op, now)),
                   key=lambda op: (op.idle_since, op.id))
    taken: set[str] = set()
    offers: list[tuple[str, str]] = []
    for caller in queue_order(callers):
        if caller.ringing or len(taken) >= len(ready):
            continue
        chosen = _pick(caller, ready, taken, now, policy)
        if chosen is not None:
            offers.append((caller.call_id, chosen))
            taken.add(chosen)
    return offers


def after_offer(op: Operator, answered: bool, policy: Policy) -> tuple[int, bool]:
    """(new missed_in_row, whether to auto-pause the operator with reason "missed calls")."""
    if answered:
        return 0, False
    missed = op.missed_in_row + 1
    return missed, missed >= policy.max_missed


def timed_out(caller: Caller, now: float, policy: Policy) -> bool:
    """Whether the caller has waited long enough to be sent to voicemail.

    A caller whose phone offer is ringing is left to ring (at most ring_timeout): taking
    them away while an operator may be about to answer would lose the call.
    """
    return not caller.ringing and now - caller.entered_at >= policy.max_wait


def leaves(caller: Caller, now: float, policy: Policy, unstaffed_for: str | None
           ) -> str | None:
    """Why the waiting caller leaves the queue now ("max_wait", or the queue's
    `unstaffed_for` once its grace is over), or None. Never while an offer rings them."""
    if caller.ringing:
        return None
    if timed_out(caller, now, policy):
        return "max_wait"
    return unstaffed_for


def position(caller_id: str, callers: Iterable[Caller]) -> int:
    """1-based place of the caller in their own queue (callers of other queues are ignored)."""
    waiting = list(callers)
    me = next((c for c in waiting if c.call_id == caller_id), None)
    if me is None:
        raise ValueError(f"caller {caller_id!r} is not waiting")
    same_queue = queue_order(c for c in waiting if c.queue == me.queue)
    return next(i for i, c in enumerate(same_queue, start=1) if c.call_id == caller_id)


def estimated_wait_minutes(
    position: int, ready_operators: int, recent_handle_seconds: Sequence[float]
) -> int:
    """Average handle time x rounds of operators ahead, in whole minutes, from 1 to 60.

    Non-positive or non-finite handle times are ignored as bad data; without any history
    a handle time of DEFAULT_HANDLE_SECONDS is assumed.
    """
    handled = [s for s in recent_handle_seconds if math.isfinite(s) and s > 0]
    average = sum(handled) / len(handled) if handled else DEFAULT_HANDLE_SECONDS
    rounds = math.ceil(max(1, position) / max(1, ready_operators))
    minutes = math.ceil(average * rounds / 60)
    return min(MAX_ESTIMATE_MINUTES, max(1, minutes))


def announcement_due(last_at: float | None, entered_at: float, now: float, policy: Policy) -> bool:
    """First announcement announce_every after entering the queue, then every announce_every."""
    since = entered_at if last_at is None else last_at
    return now - since >= policy.announce_every
