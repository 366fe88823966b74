"""What the queues look like right now, for supervisors watching them live: a pure function.

`snapshot(picture, now)` reads the call distributor's picture (queues/picture.py) and says,
per queue, who waits (in the order routing will serve them: emergencies first), which calls
are in progress, and what each operator serving the queue is doing; and the emergencies
that left the queues for their line's on-call list (escalation/runner.py), until their
call ends. No I/O.

It carries no caller identifier: no caller number or name, only the call id, the facility,
the line's DID, the language and the triage answer. What the picture lacks (queue names,
why an operator paused) comes in as plain mappings from whoever reads the database.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lifeline_pbx.calls import model
from lifeline_pbx.escalation import oncall
from lifeline_pbx.queues import routing
from lifeline_pbx.queues.picture import Picture, Talk, Waiter

EMERGENCY = 1  # routing.Caller.priority of an emergency (triage: life or health in danger)
# An operator's phone on a leg the distributor did not place (queues/picture.side_call),
# by the leg's purpose: busy, not ready.
SIDE_STATUSES = {"callback": "on a relay call", "transfer": "taking a transfer",
                 "oncall": "on-call emergency"}
SIDE_STATUS = "on another call"


@dataclass(frozen=True)
class WaitingCall:
    call_id: str
    position: int  # 1-based, in the order the queue serves callers
    facility: str
    did: str
    language: str
    triage: int  # routing priority: 0 normal, 1 emergency
    emergency: bool
    waited: int  # seconds in the queue
    long_wait: bool  # waited more than half the queue's max wait (then voicemail)


@dataclass(frozen=True)
class CallInProgress:
    call_id: str
    operator: str
    facility: str
    did: str
    language: str
    triage: int
    emergency: bool
    talking: int | None  # seconds since connected; None when unknown (adopted after a restart)
    waited: int  # seconds the caller had waited


@dataclass(frozen=True)
class OperatorStatus:
    username: str
    status: str  # one word or two for the table: see _status
    logged_in: bool
    paused: bool
    pause_reason: str  # "" unless paused
    wrapup_left: int  # seconds of wrap-up left; 0 when none
    on_call: bool
    registered: bool  # the SIP phone is online
    side_call: str = ""  # the status word of a side call (SIDE_STATUSES), "" when none


@dataclass(frozen=True)
class Counts:
    waiting: int
    emergencies_waiting: int
    long_waits: int
    in_progress: int
    logged_in: int
    ready: int
    longest_wait: int  # seconds; 0 when nobody waits
    on_call: int = 0  # emergencies of the queue's lines with the on-call list


@dataclass(frozen=True)
class QueueView:
    queue_id: int
    name: str
    max_wait: int  # seconds before a waiting caller goes to voicemail
    waiting: tuple[WaitingCall, ...]
    in_progress: tuple[CallInProgress, ...]
    operators: tuple[OperatorStatus, ...]
    counts: Counts


@dataclass(frozen=True)
class Escalated:
    """An emergency call whose line's on-call list is being rung, or who took it."""

    call_id: uuid.UUID
    line: model.Line
    language: str
    run: oncall.Run
    started: float  # epoch seconds the list began


@dataclass(frozen=True)
class OnCallCall:
    call_id: str
    queue_id: int | None  # the line's queue, if it has one
    facility: str
    did: str
    language: str
    status: str  # on_call_status
    seconds: int  # since the on-call list began


@dataclass(frozen=True)
class QueueSnapshot:
    at: float  # epoch seconds the snapshot was taken
    queues: tuple[QueueView, ...]
    on_call: tuple[OnCallCall, ...] = ()  # oldest first


def snapshot(
    picture: Picture,
    now: float,
    *,
    queue_names: Mapping[int, str] | None = None,
    pause_reasons: Mapping[str, str] | None = None,
    escalated: Sequence[Escalated] = (),
) -> QueueSnapshot:
    """Every known queue (from policies, callers, calls and operators), by id, and the
    emergencies with an on-call list."""
    names = queue_names or {}
    on_call = tuple(_on_call(e, now) for e in sorted(escalated, key=lambda e: e.started))
    reasons = pause_reasons or {}
    busy = {talk.operator for talk in picture.talking.values()}
    operators = {
        username: _operator(op, now, username in busy, username in picture.online,
                            reasons.get(username, ""), picture.side_call(username))
        for username, op in picture.operators.items()
    }
    views = []
    for queue_id in sorted(_queue_ids(picture)):
        policy = picture.policies.get(queue_id, routing.Policy())
        waiting = _waiting(
            [w for w in picture.waiting.values() if w.queue_id == queue_id], now, policy)
        talking = tuple(sorted(
            (_in_progress(t, now) for t in picture.talking.values() if t.queue_id == queue_id),
            key=lambda c: (c.operator, c.call_id)))
        serving = tuple(operators[u] for u in sorted(operators)
                        if str(queue_id) in picture.operators[u].queues)
        views.append(QueueView(
            queue_id=queue_id,
            name=names.get(queue_id) or f"Queue {queue_id}",
            max_wait=int(policy.max_wait),
            waiting=waiting,
            in_progress=talking,
            operators=serving,
            counts=_counts(waiting, talking, serving,
                           sum(1 for c in on_call if c.queue_id == queue_id)),
        ))
    return QueueSnapshot(at=now, queues=tuple(views), on_call=on_call)


def on_call_status(run: oncall.Run) -> str:
    """Where an emergency is on its on-call list, in the board's words. Never a number:
    an outside number is said by its position on the list."""
    if run.stage is oncall.Stage.IDLE:
        return "on-call list starting"
    if run.stage is oncall.Stage.DONE or not 0 <= run.index < len(run.entries):
        return "on-call list over"
    entry = run.current
    where = f"position {entry.position}"
    if run.stage is oncall.Stage.RINGING:
        return f"on-call list ringing ({where})"
    if run.stage is oncall.Stage.ASKING:
        return f"on-call list answered ({where}), not yet accepted"
    if run.stage is oncall.Stage.BRIDGED:
        if entry.operator is not None:
            return f"with {entry.operator} (on call)"
        if entry.number is not None:
            return f"with an outside number ({where}) (on call)"
        return f"with the on-call list's {where} (on call)"  # taken back after a restart
    raise AssertionError(run.stage)


def _on_call(call: Escalated, now: float) -> OnCallCall:
    facility, did = _where(call.line)
    return OnCallCall(call_id=str(call.call_id), queue_id=call.line.queue_id,
                      facility=facility, did=did, language=call.language,
                      status=on_call_status(call.run), seconds=_seconds(now - call.started))


def _queue_ids(picture: Picture) -> set[int]:
    ids = set(picture.policies)
    ids.update(w.queue_id for w in picture.waiting.values())
    ids.update(t.queue_id for t in picture.talking.values())
    for op in picture.operators.values():
        ids.update(int(q) for q in op.queues if q.isdigit())
    return ids


def _where(line: model.Line | None) -> tuple[str, str]:
    return (line.facility_name, line.did) if line else ("", "")


def _waiting(held: list[Waiter], now: float, policy: routing.Policy) -> tuple[WaitingCall, ...]:
    by_id = {w.caller.call_id: w for w in held}
    ordered = routing.queue_order(w.caller for w in held)
    calls = []
    for position, caller in enumerate(ordered, start=1):
        facility, did = _where(by_id[caller.call_id].call.line)
        waited = _seconds(now - caller.entered_at)
        calls.append(WaitingCall(
            call_id=caller.call_id,
            position=position,
            facility=facility,
            did=did,
            language=caller.language,
            triage=caller.priority,
            emergency=caller.priority >= EMERGENCY,
            waited=waited,
            long_wait=waited > policy.max_wait / 2,
        ))
    return tuple(calls)


def _in_progress(talk: Talk, now: float) -> CallInProgress:
    call = talk.call
    facility, did = _where(call.line)
    return CallInProgress(
        call_id=str(call.call_id),
        operator=talk.operator,
        facility=facility,
        did=did,
        language=call.language,
        triage=call.priority,
        emergency=call.priority >= EMERGENCY,
        talking=_seconds(now - talk.connected_at) if talk.connected_at else None,
        waited=_seconds(talk.waited),
    )


def _operator(op: routing.Operator, now: float, on_call: bool, registered: bool,
              reason: str, side_call: str | None) -> OperatorStatus:
    paused = op.logged_in and op.paused
    wrapup_left = max(0, math.ceil(op.wrapup_until - now)) if op.logged_in else 0
    side = "" if side_call is None else SIDE_STATUSES.get(side_call, SIDE_STATUS)
    return OperatorStatus(
        username=op.id,
        status=side if side and not on_call else _status(
            op.logged_in, paused, wrapup_left, on_call, registered),
        logged_in=op.logged_in,
        paused=paused,
        pause_reason=reason if paused else "",
        wrapup_left=wrapup_left,
        on_call=on_call,
        registered=registered,
        side_call=side,
    )


def _status(logged_in: bool, paused: bool, wrapup_left: int, on_call: bool,
            registered: bool) -> str:
    if on_call:
        return "on a call"
    if not logged_in:
        return "logged out"
    if paused:
        return "paused"
    if wrapup_left > 0:
        return "wrap-up"
    if not registered:
        return "phone offline"
    return "ready"


def _counts(waiting: tuple[WaitingCall, ...], talking: tuple[CallInProgress, ...],
            serving: tuple[OperatorStatus, ...], on_call: int) -> Counts:
    return Counts(
        waiting=len(waiting),
        emergencies_waiting=sum(1 for w in waiting if w.emergency),
        long_waits=sum(1 for w in waiting if w.long_wait),
        in_progress=len(talking),
        logged_in=sum(1 for o in serving if o.logged_in),
        ready=sum(1 for o in serving if o.status == "ready"),
        longest_wait=max((w.waited for w in waiting), default=0),
        on_call=on_call,
    )


def _seconds(span: float) -> int:
    """Whole seconds, never negative (clocks of two sources can disagree by a little)."""
    return max(0, int(span))
