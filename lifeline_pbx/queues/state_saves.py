"""Operators' states waiting to be written to PostgreSQL: what to keep, what to write next.

Pure. The distributor hands each new state over and goes on (queues/operator_state.py
writes them in the background): only the latest state of an operator is worth writing,
and a batch leaves the map only once it is committed, so a database outage loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from lifeline_pbx.queues.routing import Operator


@dataclass(frozen=True)
class Pending:
    operator_id: int
    state: Operator
    pause_reason: str | None  # None: the stored reason stays


Pendings = Mapping[int, Pending]  # by operator id, the oldest first


def added(pending: Pendings, new: Pending) -> dict[int, Pending]:
    """The newer state replaces the older (an operator keeps their place in line); a pause
    reason not yet written stays when the newer state leaves the reason as it is."""
    older = pending.get(new.operator_id)
    if older is not None and new.pause_reason is None:
        new = replace(new, pause_reason=older.pause_reason)
    return {**pending, new.operator_id: new}


def next_batch(pending: Pendings, limit: int) -> list[Pending]:
    """The states waiting longest, at most `limit`, in operator id order (the order rows
    are locked in, the same for every writer)."""
    oldest = list(pending.values())[:limit]
    return sorted(oldest, key=lambda p: p.operator_id)


def written(pending: Pendings, batch: list[Pending]) -> dict[int, Pending]:
    """What is left once a batch is committed: a state that changed meanwhile still waits."""
    done = {p.operator_id: p for p in batch}
    return {k: p for k, p in pending.items() if done.get(k) != p}


def with_pending(loaded: Operator, pending: Pending | None) -> Operator:
    """An operator read from the database, with their state not written yet (the database
    is behind the distributor while it is away)."""
    if pending is None:
        return loaded
    state = pending.state
    return replace(loaded, logged_in=state.logged_in, paused=state.paused,
                   wrapup_until=state.wrapup_until, idle_since=state.idle_since,
                   missed_in_row=state.missed_in_row)
