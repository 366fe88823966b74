"""The supervisors' live view of the queues as tables: a picture in, a snapshot out."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, replace
from typing import Any

import pytest

from lifeline_pbx.calls import model
from lifeline_pbx.escalation.oncall import Entry, Run, Stage
from lifeline_pbx.queues import routing, staff
from lifeline_pbx.queues.handle import CallHandle
from lifeline_pbx.queues.picture import Picture, Talk, Waiter
from lifeline_pbx.queues.snapshot import (
    Escalated,
    QueueSnapshot,
    QueueView,
    on_call_status,
    snapshot,
)

NOW = 50_000.0
LINES = {
    "stewart": model.Line(1, "15550100101", 1, "Stewart Detention Center", "en"),
    "otay": model.Line(2, "15550100201", 2, "Otay Mesa Detention Center", "es"),
}


def call_id(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, name)


def handle(name: str, line: str, language: str, priority: int) -> CallHandle:
    return CallHandle(call_id(name), f"channel-{name}", LINES[line], language, priority,
                      lambda outcome: None)


def table(text: str) -> list[dict[str, str]]:
    """Rows of a whitespace-separated table with a header line."""
    lines = [line.split() for line in text.strip().splitlines()]
    return [dict(zip(lines[0], row, strict=True)) for row in lines[1:]]


def picture(waiting: str = "", talking: str = "", operators: str = "",
            policies: dict[int, routing.Policy] | None = None) -> Picture:
    pic = Picture()
    operators_now: dict[str, routing.Operator] = {}
    online: set[str] = set()
    for row in table(waiting) if waiting else ():
        s = handle(row["call"], row["line"], row["language"], int(row["priority"]))
        caller = routing.Caller(str(s.call_id), row["queue"], row["language"],
                                int(row["priority"]), NOW - float(row["waited"]), False,
                                frozenset())
        pic.waiting[s.call_id] = Waiter(s, caller, int(row["queue"]))
    for row in table(talking) if talking else ():
        s = handle(row["call"], row["line"], row["language"], int(row["priority"]))
        talked = float(row["talked"])
        connected = NOW - talked if talked >= 0 else 0.0  # -1: adopted after a restart
        pic.talking[s.call_id] = Talk(s, row["operator"], f"call-{s.call_id}", "op-chan",
                                      int(row["queue"]), connected, float(row["waited"]))
    for row in table(operators) if operators else ():
        flags = set(row["flags"].split(","))
        username = row["operator"]
        operators_now[username] = routing.Operator(
            id=username, languages=frozenset({"en"}), queues=frozenset(row["queues"].split(",")),
            logged_in="in" in flags, paused="paused" in flags, registered=False,
            on_call=False, ringing=False, wrapup_until=NOW + float(row["wrapup"]),
            idle_since=0.0, missed_in_row=0)
        if "online" in flags:
            online.add(username)
    pic.staff = staff.Staff(operators_now, frozenset(online), policies=policies or {})
    return pic


def queue(snap: QueueSnapshot, queue_id: int) -> QueueView:
    return next(q for q in snap.queues if q.queue_id == queue_id)


def test_emergencies_first_then_the_longest_wait_each_queue_on_its_own() -> None:
    pic = picture(waiting="""
        call     queue  line     language  priority  waited
        bond     1      stewart  en        0         300
        chest    1      otay     es        1         20
        insulin  1      stewart  ht        1         40
        family   1      otay     es        0         90
        other    2      otay     es        0         500
    """)
    snap = snapshot(pic, NOW)
    rows = [(w.position, w.call_id, w.emergency, w.waited, w.facility, w.did, w.language)
            for w in queue(snap, 1).waiting]
    assert rows == [
        (1, str(call_id("insulin")), True, 40, "Stewart Detention Center", "15550100101", "ht"),
        (2, str(call_id("chest")), True, 20, "Otay Mesa Detention Center", "15550100201", "es"),
        (3, str(call_id("bond")), False, 300, "Stewart Detention Center", "15550100101", "en"),
        (4, str(call_id("family")), False, 90, "Otay Mesa Detention Center", "15550100201", "es"),
    ]
    assert [(w.position, w.call_id) for w in queue(snap, 2).waiting] == [(1, str(call_id("other")))]
    # The same order the distributor serves callers in.
    callers = [w.caller for w in pic.waiting.values() if w.queue_id == 1]
    assert [w.call_id for w in queue(snap, 1).waiting] == [
        c.call_id for c in routing.queue_order(callers)]


@pytest.mark.parametrize(("max_wait", "waited", "long_wait"), [
    (600, 0, False),
    (600, 299, False),
    (600, 300, False),  # exactly half is not yet long
    (600, 301, True),
    (120, 61, True),
    (120, 59, False),
])
def test_a_wait_is_long_past_half_the_queues_max_wait(
    max_wait: float, waited: float, long_wait: bool
) -> None:
    pic = picture(waiting=f"""
        call  queue  line     language  priority  waited
        a     3      stewart  en        0         {waited}
    """, policies={3: routing.Policy(max_wait=max_wait)})
    view = queue(snapshot(pic, NOW), 3)
    assert view.max_wait == max_wait
    assert view.waiting[0].long_wait is long_wait
    assert view.counts.long_waits == int(long_wait)


def test_without_a_policy_the_default_max_wait_applies() -> None:
    pic = picture(waiting="""
        call  queue  line     language  priority  waited
        a     7      stewart  en        0         301
        b     7      stewart  en        0         299
    """)
    view = queue(snapshot(pic, NOW), 7)
    assert view.max_wait == routing.Policy().max_wait == 600
    assert [w.long_wait for w in view.waiting] == [True, False]


OPERATORS = """
    operator  queues  flags              wrapup
    ana       1       in,online          -100
    ben       1       in,online,paused   -100
    cruz      1       in,online          25.2
    dee       1       in                 -100
    eli       1       online             -100
    fay       1,2     in,online          -100
    gus       2       in,online          -100
"""


@pytest.mark.parametrize(("username", "expected"), [
    # status, logged_in, paused, pause_reason, wrapup_left, on_call, registered
    ("ana", ("ready", True, False, "", 0, False, True)),
    ("ben", ("paused", True, True, "meeting", 0, False, True)),
    ("cruz", ("wrap-up", True, False, "", 26, False, True)),
    ("dee", ("phone offline", True, False, "", 0, False, False)),
    ("eli", ("logged out", False, False, "", 0, False, True)),
    ("fay", ("on a call", True, False, "", 0, True, True)),
])
def test_what_each_operator_is_doing(username: str, expected: tuple[Any, ...]) -> None:
    pic = picture(operators=OPERATORS, talking="""
        call  queue  operator  line  language  priority  talked  waited
        t1    2      fay       otay  es        0         65      12
    """)
    reasons = {"ben": "meeting", "ana": "stale reason from an earlier pause"}
    view = queue(snapshot(pic, NOW, pause_reasons=reasons), 1)
    op = next(o for o in view.operators if o.username == username)
    assert (op.status, op.logged_in, op.paused, op.pause_reason, op.wrapup_left, op.on_call,
            op.registered) == expected


def test_operators_listed_under_each_queue_they_serve_with_counts() -> None:
    pic = picture(operators=OPERATORS, waiting="""
        call  queue  line     language  priority  waited
        w1    1      stewart  en        1         30
        w2    1      stewart  en        0         400
    """, talking="""
        call  queue  operator  line  language  priority  talked  waited
        t1    2      fay       otay  es        0         65      12
    """)
    snap = snapshot(pic, NOW, queue_names={1: "Demo queue"})
    one, two = queue(snap, 1), queue(snap, 2)
    assert [o.username for o in one.operators] == ["ana", "ben", "cruz", "dee", "eli", "fay"]
    assert [o.username for o in two.operators] == ["fay", "gus"]
    assert (one.name, two.name) == ("Demo queue", "Queue 2")
    assert asdict(one.counts) == {"waiting": 2, "emergencies_waiting": 1, "long_waits": 1,
                                  "in_progress": 0, "logged_in": 5, "ready": 1,
                                  "longest_wait": 400, "on_call": 0}
    assert asdict(two.counts) == {"waiting": 0, "emergencies_waiting": 0, "long_waits": 0,
                                  "in_progress": 1, "logged_in": 2, "ready": 1,
                                  "longest_wait": 0, "on_call": 0}


def test_calls_in_progress_with_operator_and_talk_time() -> None:
    pic = picture(talking="""
        call  queue  operator  line     language  priority  talked  waited
        t2    1      op-b      otay     es        1         125.9   42.5
        t1    1      op-a      stewart  en        0         5       3
        t3    1      op-c      stewart  fr        0         -1      0
    """)
    rows = [(c.operator, c.facility, c.language, c.emergency, c.talking, c.waited)
            for c in queue(snapshot(pic, NOW), 1).in_progress]
    assert rows == [
        ("op-a", "Stewart Detention Center", "en", False, 5, 3),
        ("op-b", "Otay Mesa Detention Center", "es", True, 125, 42),
        ("op-c", "Stewart Detention Center", "fr", False, None, 0),  # adopted after a restart
    ]


def test_every_known_queue_is_shown_even_when_quiet() -> None:
    pic = picture(operators="""
        operator  queues  flags  wrapup
        ana       4       in     0
    """, policies={2: routing.Policy(), 9: routing.Policy(max_wait=300)})
    snap = snapshot(pic, NOW)
    assert [q.queue_id for q in snap.queues] == [2, 4, 9]
    assert all(q.waiting == () and q.in_progress == () for q in snap.queues)
    assert snapshot(Picture(), NOW) == QueueSnapshot(at=NOW, queues=())


def test_a_caller_without_a_known_line_still_shows() -> None:
    pic = picture(waiting="""
        call  queue  line     language  priority  waited
        a     1      stewart  es        0         10
    """)
    waiter = next(iter(pic.waiting.values()))
    waiter.call = replace(waiter.call, line=None)
    row = queue(snapshot(pic, NOW), 1).waiting[0]
    assert (row.facility, row.did, row.language) == ("", "", "es")


def test_clock_skew_never_shows_a_negative_time() -> None:
    pic = picture(waiting="""
        call  queue  line     language  priority  waited
        a     1      stewart  en        0         -3
    """)
    assert queue(snapshot(pic, NOW), 1).waiting[0].waited == 0


def test_no_caller_identifier_in_the_snapshot() -> None:
    pic = picture(operators=OPERATORS, waiting="""
        call  queue  line     language  priority  waited
        w1    1      stewart  en        1         30
    """, talking="""
        call  queue  operator  line  language  priority  talked  waited
        t1    2      fay       otay  es        0         65      12
    """)
    data = asdict(snapshot(pic, NOW))
    assert not {k for k in _keys(data) if "caller" in k or "number" in k or k == "ani"}
    assert "channel-" not in json.dumps(data)  # nor the carrier's channel


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list | tuple):
        return {k for v in value for k in _keys(v)}
    return set()


OP = Entry(1, 20, operator="sup1", operator_id=7)
OUTSIDE = Entry(2, 30, number="+12025550143")
TAKEN_BACK = Entry(2, 0)  # adopted after a restart: the position only


@pytest.mark.parametrize(("run", "said"), [
    (Run((OP, OUTSIDE)), "on-call list starting"),
    (Run((OP, OUTSIDE), 0, Stage.RINGING), "on-call list ringing (position 1)"),
    (Run((OP, OUTSIDE), 0, Stage.ASKING), "on-call list answered (position 1), not yet accepted"),
    (Run((OP, OUTSIDE), 0, Stage.BRIDGED), "with sup1 (on call)"),
    (Run((OP, OUTSIDE), 1, Stage.RINGING), "on-call list ringing (position 2)"),
    (Run((OP, OUTSIDE), 1, Stage.BRIDGED), "with an outside number (position 2) (on call)"),
    (Run((TAKEN_BACK,), 0, Stage.BRIDGED), "with the on-call list's position 2 (on call)"),
    (Run((OP, OUTSIDE), 2, Stage.DONE), "on-call list over"),
])
def test_where_an_emergency_is_on_its_on_call_list(run: Run, said: str) -> None:
    assert on_call_status(run) == said


def test_emergencies_with_the_on_call_list_stay_on_the_board_oldest_first() -> None:
    line = replace(LINES["stewart"], queue_id=1)
    no_queue = LINES["otay"]
    escalated = [
        Escalated(call_id("later"), no_queue, "es", Run((OUTSIDE,), 0, Stage.BRIDGED), NOW - 5),
        Escalated(call_id("first"), line, "en", Run((OP,), 0, Stage.RINGING), NOW - 42.7),
    ]
    snap = snapshot(picture(operators=OPERATORS), NOW, escalated=escalated)
    assert [(c.call_id, c.queue_id, c.facility, c.language, c.status, c.seconds)
            for c in snap.on_call] == [
        (str(call_id("first")), 1, "Stewart Detention Center", "en",
         "on-call list ringing (position 1)", 42),
        (str(call_id("later")), None, "Otay Mesa Detention Center", "es",
         "with an outside number (position 2) (on call)", 5)]
    assert (queue(snap, 1).counts.on_call, queue(snap, 2).counts.on_call) == (1, 0)
    assert "+1202" not in json.dumps(asdict(snap))  # never the number itself
