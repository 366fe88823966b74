"""The `calls` row, derived from the call's events in the order they happened. No I/O.

The engine only says what happened (CallOpened, CallAnswered, ...); the rules of the row
are here and nowhere else:
- the row starts at the first CallOpened; an event before it has nothing to attach to,
  and a CallOpened again (a call taken back after a reconnect) changes nothing;
- the first answer wins (a call taken back in the IVR is answered again);
- queued_at is the first time in a queue; queue, language and priority the last choice;
- the first connection names the operator who took the call (from a queue, or from the
  line's on-call list: none for an outside number);
- the recording is the last one started;
- the first CallClosed ends the row: the outcome, who hung up and the cause are what
  calls/flow.py decided; anything after it is ignored;
- notes (CallEvent) are the call's timeline (call_events); only the first voicemail note
  changes the row: its reason is why the call went to voicemail;
- the queue log (QueueEvent) is its own table; only the first time the call left the
  queue with a wait (answered, abandoned, timed out, given to voicemail) changes the row:
  that wait is the call's (a call taken back after a restart leaves the queue once more);
- events count in the order they arrived; their times are copied, never compared.

Every rule is "first wins", "last wins" or "nothing after the close", so the row is the
whole state of the fold: events applied to a stored row continue it (the writer does this
after a restart), and the same events applied twice change nothing (a retried batch).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class CallOpened:
    call_id: uuid.UUID
    channel_id: str
    channel_name: str
    did: str
    line_id: int | None
    facility_id: int | None
    caller_number: str
    caller_name: str
    at: datetime
    # The call id was made just now: no row can be stored yet. False for a call taken back
    # after a restart, whose row the writer reads and continues.
    fresh: bool = False


@dataclass(frozen=True)
class CallAnswered:
    call_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class CallQueued:
    call_id: uuid.UUID
    at: datetime
    queue_id: int
    language: str
    priority: int


@dataclass(frozen=True)
class CallConnected:
    call_id: uuid.UUID
    at: datetime
    operator_id: int | None


@dataclass(frozen=True)
class CallRecorded:
    call_id: uuid.UUID
    recording: str


@dataclass(frozen=True)
class CallClosed:
    call_id: uuid.UUID
    at: datetime
    disposition: str
    hangup_by: str
    cause: int


@dataclass(frozen=True)
class QueueEvent:
    """A line of the queue log (queue_events): a caller's or an operator's."""

    at: datetime
    kind: str
    queue_id: int | None
    call_id: uuid.UUID | None = None
    operator_id: int | None = None
    wait_seconds: float | None = None
    detail: str = ""


# The queue log's kinds that say the caller left the queue (their wait_seconds is the wait).
LEFT_QUEUE = frozenset({"connected", "abandoned", "timeout", "voicemail"})
VOICEMAIL_NOTE = "voicemail"


@dataclass(frozen=True)
class CallEvent:
    """A line in the call's timeline (prompt played, digit chosen, ...)."""

    call_id: uuid.UUID
    at: datetime
    kind: str
    detail: dict[str, str]


CallFact = (
    CallOpened | CallAnswered | CallQueued | CallConnected | CallRecorded | CallClosed | CallEvent
)


@dataclass(frozen=True)
class CallRow:
    """One row of `calls`; the field names are its columns."""

    id: uuid.UUID
    channel_id: str
    channel_name: str
    did: str
    line_id: int | None
    facility_id: int | None
    caller_number: str
    caller_name: str
    started_at: datetime
    answered_at: datetime | None = None
    queued_at: datetime | None = None
    queue_id: int | None = None
    language: str | None = None
    priority: int = 0
    connected_at: datetime | None = None
    operator_id: int | None = None
    recording: str | None = None
    ended_at: datetime | None = None
    disposition: str | None = None
    hangup_by: str | None = None
    hangup_cause: int | None = None
    voicemail_reason: str | None = None
    wait_seconds: float | None = None


RowEvent = CallFact | QueueEvent


def row_of(event: RowEvent) -> uuid.UUID | None:
    """The call whose row this event may change; None if it changes none."""
    if isinstance(event, QueueEvent):
        waited = event.kind in LEFT_QUEUE and event.wait_seconds is not None
        return event.call_id if waited else None
    if isinstance(event, CallEvent) and event.kind != VOICEMAIL_NOTE:
        return None
    return event.call_id


def step(row: CallRow | None, event: RowEvent) -> CallRow | None:
    if row is None:
        return _opened(event) if isinstance(event, CallOpened) else None
    if event.call_id != row.id:
        raise ValueError(f"event of call {event.call_id} given to call {row.id}")
    if row.ended_at is not None:
        return row
    if isinstance(event, CallAnswered):
        return row if row.answered_at is not None else replace(row, answered_at=event.at)
    if isinstance(event, CallQueued):
        return replace(row, queued_at=row.queued_at or event.at, queue_id=event.queue_id,
                       language=event.language, priority=event.priority)
    if isinstance(event, CallConnected):
        if row.connected_at is not None:
            return row
        return replace(row, connected_at=event.at, operator_id=event.operator_id)
    if isinstance(event, CallRecorded):
        return replace(row, recording=event.recording)
    if isinstance(event, CallClosed):
        return replace(row, ended_at=event.at, disposition=event.disposition,
                       hangup_by=event.hangup_by, hangup_cause=event.cause)
    if row_of(event) is None:
        return row
    if isinstance(event, CallEvent):
        return row if row.voicemail_reason is not None else replace(
            row, voicemail_reason=event.detail.get("reason"))
    if isinstance(event, QueueEvent):
        return row if row.wait_seconds is not None else replace(
            row, wait_seconds=event.wait_seconds)
    return row


def build(events: Iterable[RowEvent], row: CallRow | None = None) -> CallRow | None:
    """The row after these events, from nothing or from a row already stored."""
    for event in events:
        row = step(row, event)
    return row


def _opened(event: CallOpened) -> CallRow:
    return CallRow(
        id=event.call_id, channel_id=event.channel_id, channel_name=event.channel_name,
        did=event.did, line_id=event.line_id, facility_id=event.facility_id,
        caller_number=event.caller_number, caller_name=event.caller_name,
        started_at=event.at,
    )
