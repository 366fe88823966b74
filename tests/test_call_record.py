"""The call row from the call's events, as tables written as text. No Asterisk, no database.

An event table has one event a line: seconds since the call began, the event, its details.
    0.0  opened     line=1 facility=7          (the call reached the app)
    0.1  answered
    9.0  queued     queue=3 language=es priority=1
   21.0  connected  operator=12                (operator=- : an operator with no id)
   21.0  recorded   name=call-1
   95.0  closed     disposition=answered by=caller cause=16
    5.0  note       prompt name=greeting      (a timeline line: kind, then its details)
   21.0  queue      connected wait=12          (a queue log line: kind, then its wait if any)
The expected row lists the columns that are set, times again in seconds since the call
began; every other column is empty (priority 0).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest

from lifeline_pbx.calls import call_record
from lifeline_pbx.calls.call_record import (
    CallAnswered,
    CallClosed,
    CallConnected,
    CallEvent,
    CallOpened,
    CallQueued,
    CallRecorded,
    CallRow,
    QueueEvent,
    RowEvent,
)

T0 = datetime(2025, 3, 1, 3, 0, tzinfo=UTC)
CALL = uuid.UUID("00000000-0000-4000-8000-000000000001")
IDENTITY = ("id", "channel_id", "channel_name", "did", "line_id", "facility_id",
            "caller_number", "caller_name")
TIMES = ("started_at", "answered_at", "queued_at", "connected_at", "ended_at")


def at(offset: str) -> datetime:
    return T0 + timedelta(seconds=float(offset))


def number(value: str) -> int | None:
    return None if value == "-" else int(value)


def parse_event(line: str) -> RowEvent:
    offset, kind, *rest = line.split()
    when = at(offset)
    if kind == "note":
        note, *pairs = rest
        return CallEvent(CALL, when, note, dict(pair.split("=", 1) for pair in pairs))
    if kind == "queue":
        logged, *pairs = rest
        wait = dict(pair.split("=", 1) for pair in pairs).get("wait")
        return QueueEvent(when, logged, 3, CALL, None, None if wait is None else float(wait))
    d = dict(pair.split("=", 1) for pair in rest)
    if kind == "opened":
        return CallOpened(CALL, d.get("channel", "1700000000.1"), "PJSIP/carrier-00000001",
                          d.get("did", "15550100101"), number(d.get("line", "1")),
                          number(d.get("facility", "7")), "5550100", "Caller", when)
    if kind == "answered":
        return CallAnswered(CALL, when)
    if kind == "queued":
        return CallQueued(CALL, when, int(d["queue"]), d["language"], int(d.get("priority", "0")))
    if kind == "connected":
        return CallConnected(CALL, when, number(d["operator"]))
    if kind == "recorded":
        return CallRecorded(CALL, d["name"])
    if kind == "closed":
        return CallClosed(CALL, when, d["disposition"], d["by"], int(d["cause"]))
    raise ValueError(f"unknown event {kind!r} in {line!r}")


def parse_events(table: str) -> list[RowEvent]:
    return [parse_event(line) for line in table.strip().splitlines()]


def shown(row: CallRow | None) -> str:
    """The row as the tables write it: set columns only, times in seconds from T0."""
    if row is None:
        return "(no row)"
    out = []
    for name, value in asdict(row).items():
        if name in IDENTITY or value is None or (name == "priority" and value == 0):
            continue
        if name in TIMES:
            value = f"{(value - T0).total_seconds():g}"
        out.append(f"{name}={value}")
    return " ".join(out)


def expected(text: str) -> str:
    return " ".join(text.split())


CASES = {
    "an answered call: IVR, queue, operator, recording, caller hangs up": ("""
        0.0  opened
        0.1  answered
        0.1  note       answered
        0.2  note       prompt name=greeting
        6.0  note       language language=es
        9.0  queued     queue=3 language=es priority=0
        9.0  note       queued priority=0
       21.0  connected  operator=12
       21.0  note       connected operator=op-a
       21.1  recorded   name=call-1
       95.0  note       caller_hangup cause=16
       95.0  closed     disposition=answered by=caller cause=16
    """, """
        started_at=0 answered_at=0.1 queued_at=9 queue_id=3 language=es connected_at=21
        operator_id=12 recording=call-1 ended_at=95 disposition=answered hangup_by=caller
        hangup_cause=16
    """),
    "the caller hangs up in the IVR: abandoned, never queued": ("""
        0.0  opened
        0.1  answered
        0.2  note       prompt name=greeting
        3.0  note       caller_hangup cause=16
        3.0  closed     disposition=abandoned by=caller cause=16
    """, """
        started_at=0 answered_at=0.1 ended_at=3 disposition=abandoned hangup_by=caller
        hangup_cause=16
    """),
    "the caller hangs up in the queue: abandoned, queued but never connected": ("""
        0.0  opened
        0.1  answered
        9.0  queued     queue=3 language=ht priority=1
       30.0  note       announced position=2 minutes=3
       61.0  closed     disposition=abandoned by=caller cause=16
    """, """
        started_at=0 answered_at=0.1 queued_at=9 queue_id=3 language=ht priority=1
        ended_at=61 disposition=abandoned hangup_by=caller hangup_cause=16
    """),
    "the queue gives the caller back after the longest wait: a voicemail": ("""
        0.0  opened
        0.1  answered
        9.0  queued     queue=3 language=es priority=0
       9.0  queue      entered
      309.0  queue      timeout wait=300
      309.0  note       queue_left reason=max_wait
      309.0  note       voicemail reason=max_wait prompt=voicemail-busy
      340.0  closed     disposition=voicemail by=system cause=16
    """, """
        started_at=0 answered_at=0.1 queued_at=9 queue_id=3 language=es ended_at=340
        disposition=voicemail hangup_by=system hangup_cause=16 voicemail_reason=max_wait
        wait_seconds=300.0
    """),
    "a closed line: straight to voicemail, no queue and so no language on the row": ("""
        0.0  opened
        0.1  answered
        8.0  note       voicemail reason=closed
       70.0  closed     disposition=voicemail by=caller cause=16
    """, """
        started_at=0 answered_at=0.1 ended_at=70 disposition=voicemail hangup_by=caller
        hangup_cause=16 voicemail_reason=closed
    """),
    "an unknown number: not in service, no line or facility": ("""
        0.0  opened     line=- facility=-
        0.1  answered
        0.1  note       unknown_did
        4.0  closed     disposition=not_in_service by=system cause=16
    """, """
        started_at=0 answered_at=0.1 ended_at=4 disposition=not_in_service hangup_by=system
        hangup_cause=16
    """),
    "offers missed (queue events, not call events), then an operator answers": ("""
        0.0  opened
        0.1  answered
        9.0  queued     queue=3 language=en priority=0
       30.0  note       announced position=1 minutes=1
       60.0  note       announced position=1 minutes=1
       64.0  connected  operator=14
      200.0  closed     disposition=answered by=operator cause=16
    """, """
        started_at=0 answered_at=0.1 queued_at=9 queue_id=3 language=en connected_at=64
        operator_id=14 ended_at=200 disposition=answered hangup_by=operator hangup_cause=16
    """),
    "the queue log's wait: the time it left the queue; other lines change nothing": ("""
        0.0  opened
        9.0  queued     queue=3 language=en priority=0
        9.0  queue      entered
       30.0  queue      ring_no_answer
       31.0  queue      declined
       64.0  queue      connected wait=55
       64.0  connected  operator=14
      200.0  closed     disposition=answered by=operator cause=16
    """, """
        started_at=0 queued_at=9 queue_id=3 language=en connected_at=64 operator_id=14
        ended_at=200 disposition=answered hangup_by=operator hangup_cause=16
        wait_seconds=55.0
    """),
    "the first wait stands: a call taken back after a restart leaves the queue again": ("""
        0.0  opened
        9.0  queued     queue=3 language=es priority=0
       20.0  queue      abandoned wait=11
       30.0  opened
       31.0  queued     queue=3 language=es priority=0
       40.0  queue      connected wait=9
       40.0  connected  operator=12
       90.0  closed     disposition=answered by=caller cause=16
    """, """
        started_at=0 queued_at=9 queue_id=3 language=es connected_at=40 operator_id=12
        ended_at=90 disposition=answered hangup_by=caller hangup_cause=16 wait_seconds=11.0
    """),
    "the first voicemail reason stands; other notes never change the row": ("""
        0.0  opened
        9.0  queued     queue=3 language=es priority=0
       20.0  note       error reason=KeyError
       20.0  note       voicemail reason=error prompt=voicemail-busy
       25.0  note       voicemail reason=max_wait prompt=voicemail-busy
       70.0  closed     disposition=voicemail by=caller cause=16
    """, """
        started_at=0 queued_at=9 queue_id=3 language=es ended_at=70 disposition=voicemail
        hangup_by=caller hangup_cause=16 voicemail_reason=error
    """),
    "a line of the queue log after the close changes nothing, like any event": ("""
        0.0  opened
        9.0  queued     queue=3 language=es priority=0
       20.0  closed     disposition=abandoned by=caller cause=16
       20.0  queue      abandoned wait=11
    """, """
        started_at=0 queued_at=9 queue_id=3 language=es ended_at=20 disposition=abandoned
        hangup_by=caller hangup_cause=16
    """),
    "the first answer wins: a call taken back in the IVR after an ARI reconnect": ("""
        0.0  opened
        0.1  answered
        0.2  note       prompt name=greeting
       30.0  opened
       30.0  note       resumed phase=greeting
       30.1  answered
       44.0  queued     queue=3 language=en priority=0
       50.0  closed     disposition=abandoned by=caller cause=16
    """, """
        started_at=0 answered_at=0.1 queued_at=44 queue_id=3 language=en ended_at=50
        disposition=abandoned hangup_by=caller hangup_cause=16
    """),
    "queued twice: the first time in the queue, the last choice of language and triage": ("""
        0.0  opened
        0.1  answered
        9.0  queued     queue=3 language=es priority=0
       20.0  opened
       20.1  answered
       31.0  queued     queue=3 language=en priority=1
       40.0  connected  operator=12
       90.0  closed     disposition=answered by=caller cause=16
    """, """
        started_at=0 answered_at=0.1 queued_at=9 queue_id=3 language=en priority=1
        connected_at=40 operator_id=12 ended_at=90 disposition=answered hangup_by=caller
        hangup_cause=16
    """),
    "the first connection names the operator who took the call": ("""
        0.0  opened
        9.0  queued     queue=3 language=es priority=0
       20.0  connected  operator=12
       25.0  connected  operator=14
       90.0  closed     disposition=answered by=caller cause=16
    """, """
        started_at=0 queued_at=9 queue_id=3 language=es connected_at=20 operator_id=12
        ended_at=90 disposition=answered hangup_by=caller hangup_cause=16
    """),
    "an operator whose id the app did not know: connected, no operator on the row": ("""
        0.0  opened
        9.0  queued     queue=3 language=es priority=0
       20.0  connected  operator=-
    """, """
        started_at=0 queued_at=9 queue_id=3 language=es connected_at=20
    """),
    "the close never came: the call is still open": ("""
        0.0  opened
        0.1  answered
        9.0  queued     queue=3 language=es priority=0
       20.0  connected  operator=12
       20.1  recorded   name=call-1
    """, """
        started_at=0 answered_at=0.1 queued_at=9 queue_id=3 language=es connected_at=20
        operator_id=12 recording=call-1
    """),
    "nothing after the close changes the row, not even a second close": ("""
        0.0  opened
        3.0  closed     disposition=abandoned by=caller cause=16
        3.0  note       ended by=caller
        3.5  answered
        4.0  queued     queue=3 language=es priority=1
        5.0  connected  operator=12
        5.0  recorded   name=call-1
        6.0  closed     disposition=answered by=operator cause=17
    """, """
        started_at=0 ended_at=3 disposition=abandoned hangup_by=caller hangup_cause=16
    """),
    "an apology after an error: failed, closed by the system": ("""
        0.0  opened
        0.1  answered
        0.5  note       error reason=KeyError
        0.5  note       prompt name=technical-difficulty
        7.0  closed     disposition=failed by=system cause=16
    """, """
        started_at=0 answered_at=0.1 ended_at=7 disposition=failed hangup_by=system
        hangup_cause=16
    """),
    "events count in the order they came; times are copied, never compared": ("""
        0.0  opened
        9.0  queued     queue=3 language=es priority=0
       20.0  connected  operator=12
       19.5  answered
       19.9  closed     disposition=answered by=caller cause=16
    """, """
        started_at=0 answered_at=19.5 queued_at=9 queue_id=3 language=es connected_at=20
        operator_id=12 ended_at=19.9 disposition=answered hangup_by=caller hangup_cause=16
    """),
    "events before the call was opened have nothing to attach to": ("""
        0.0  answered
        0.0  note       answered
        1.0  opened
        5.0  closed     disposition=abandoned by=caller cause=16
    """, """
        started_at=1 ended_at=5 disposition=abandoned hangup_by=caller hangup_cause=16
    """),
    "a call never opened has no row": ("""
        0.1  answered
        3.0  closed     disposition=abandoned by=caller cause=16
    """, "(no row)"),
}


@pytest.mark.parametrize("events,row", CASES.values(), ids=CASES.keys())
def test_the_row_from_the_events(events: str, row: str) -> None:
    assert shown(call_record.build(parse_events(events))) == expected(row)


@pytest.mark.parametrize("events", [events for events, _ in CASES.values()], ids=CASES.keys())
def test_the_same_events_twice_change_nothing(events: str) -> None:
    """What the writer relies on when a batch is retried, or a call is taken back."""
    parsed = parse_events(events)
    once = call_record.build(parsed)
    assert call_record.build(parsed, once) == once


@pytest.mark.parametrize("events", [events for events, _ in CASES.values()], ids=CASES.keys())
def test_a_stored_row_continues_like_the_whole_history(events: str) -> None:
    """The writer after a restart: the stored row, then the events it has not seen."""
    parsed = parse_events(events)
    whole = call_record.build(parsed)
    for cut in range(len(parsed) + 1):
        assert call_record.build(parsed[cut:], call_record.build(parsed[:cut])) == whole


def test_who_called_and_where_come_from_the_first_opening() -> None:
    row = call_record.build(parse_events("""
        0.0  opened     channel=1700000000.1 did=15550100101 line=1 facility=7
        9.0  opened     channel=1700000099.9 did=15550100999 line=2 facility=8
    """))
    assert row is not None
    assert (row.id, row.channel_id, row.did, row.line_id, row.facility_id) == (
        CALL, "1700000000.1", "15550100101", 1, 7)
    assert (row.channel_name, row.caller_number, row.caller_name) == (
        "PJSIP/carrier-00000001", "5550100", "Caller")


def test_an_event_of_another_call_is_refused() -> None:
    row = call_record.build(parse_events("0.0 opened"))
    with pytest.raises(ValueError, match="given to call"):
        call_record.step(row, CallAnswered(uuid.uuid4(), T0))


def test_an_operators_line_of_the_queue_log_changes_no_row() -> None:
    logged_in = QueueEvent(T0, "login", 3, None, 12)
    assert call_record.row_of(logged_in) is None


def test_a_table_with_an_unknown_event_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown event"):
        parse_events("0.0 rang")
