"""Ringing the on-call list, and the caller's part in it, as tables. No Asterisk, no database."""

from __future__ import annotations

import pytest

from lifeline_pbx.calls import flow
from lifeline_pbx.calls.model import (
    Close,
    Command,
    Connected,
    Digit,
    Escalate,
    FlowEvent,
    HangupRequested,
    Left,
    Line,
    Note,
    OnCallAccepted,
    OnCallEnded,
    OnCallUnanswered,
    Phase,
    Play,
    PromptFinished,
    QueueLeft,
    SaveVoicemail,
    Started,
    StartTimer,
    State,
    TimerFired,
)
from lifeline_pbx.escalation import oncall
from lifeline_pbx.escalation.oncall import (
    Answered,
    Begin,
    CallerGone,
    Entry,
    LegGone,
    NoKey,
    Pressed,
    Refused,
    Run,
    Stage,
)
from tests.test_flow import run

A = Entry(1, 20, operator="op-a", operator_id=1)
OUT = Entry(2, 30, number="+12025550143")
B = Entry(3, 20, operator="op-b", operator_id=2)
LIST = (A, OUT, B)


def words(commands: list[oncall.Command]) -> list[str]:
    out = []
    for c in commands:
        if isinstance(c, oncall.Note):
            out.append(f"{c.kind}:{dict(c.detail).get('position', '')}")
        elif isinstance(c, oncall.Ring):
            out.append(f"Ring:{c.entry.position}")
        elif isinstance(c, oncall.HangUpLeg):
            out.append(f"HangUp:{c.leg}/{c.outcome}")
        elif isinstance(c, oncall.GiveUp):
            out.append(f"GiveUp:{c.tried}")
        elif isinstance(c, oncall.Bridge):
            out.append(f"Bridge:{c.position}")
        else:
            out.append(type(c).__name__)
    return out


CASES: dict[str, tuple[tuple[Entry, ...], list[oncall.Event], list[str], Stage]] = {
    "empty list: straight to voicemail": (
        (), [Begin()], ["oncall_unanswered:", "GiveUp:0"], Stage.DONE),
    "first accepts": (
        LIST, [Begin(), Answered(0), Pressed(0, "1")],
        ["oncall_ringing:1", "Ring:1", "oncall_answered:1", "Ask", "oncall_accepted:1",
         "Bridge:1"], Stage.BRIDGED),
    "no answer, then the outside number accepts": (
        LIST, [Begin(), LegGone(0), Answered(1), Pressed(1, "1")],
        ["oncall_ringing:1", "Ring:1", "oncall_no_answer:1", "HangUp:0/no_answer",
         "oncall_ringing:2", "Ring:2", "oncall_answered:2", "Ask", "oncall_accepted:2",
         "Bridge:2"], Stage.BRIDGED),
    "a wrong key is not an accept; no key moves on": (
        LIST, [Begin(), Answered(0), Pressed(0, "2"), NoKey(0)],
        ["oncall_ringing:1", "Ring:1", "oncall_answered:1", "Ask", "oncall_declined:1",
         "HangUp:0/declined", "oncall_ringing:2", "Ring:2"], Stage.RINGING),
    "hung up without pressing": (
        LIST, [Begin(), Answered(0), LegGone(0)],
        ["oncall_ringing:1", "Ring:1", "oncall_answered:1", "Ask", "oncall_declined:1",
         "HangUp:0/declined", "oncall_ringing:2", "Ring:2"], Stage.RINGING),
    "guard refuses the number: next": (
        LIST, [Begin(), LegGone(0), Refused(1, "not_allowed")],
        ["oncall_ringing:1", "Ring:1", "oncall_no_answer:1", "HangUp:0/no_answer",
         "oncall_ringing:2", "Ring:2", "oncall_refused:2", "oncall_ringing:3", "Ring:3"],
        Stage.RINGING),
    "nobody accepts": (
        LIST, [Begin(), LegGone(0), LegGone(1), LegGone(2)],
        ["oncall_ringing:1", "Ring:1", "oncall_no_answer:1", "HangUp:0/no_answer",
         "oncall_ringing:2", "Ring:2", "oncall_no_answer:2", "HangUp:1/no_answer",
         "oncall_ringing:3", "Ring:3", "oncall_no_answer:3", "HangUp:2/no_answer",
         "oncall_unanswered:", "GiveUp:3"], Stage.DONE),
    "a late event of an earlier leg changes nothing": (
        LIST, [Begin(), Answered(0), NoKey(0), Pressed(0, "1"), LegGone(0)],
        ["oncall_ringing:1", "Ring:1", "oncall_answered:1", "Ask", "oncall_declined:1",
         "HangUp:0/declined", "oncall_ringing:2", "Ring:2"], Stage.RINGING),
    "caller hangs up while ringing": (
        LIST, [Begin(), CallerGone(), LegGone(0)],
        ["oncall_ringing:1", "Ring:1", "oncall_stopped:", "HangUp:0/cancelled"], Stage.DONE),
    "caller hangs up while talking": (
        LIST, [Begin(), Answered(0), Pressed(0, "1"), CallerGone()],
        ["oncall_ringing:1", "Ring:1", "oncall_answered:1", "Ask", "oncall_accepted:1",
         "Bridge:1", "oncall_stopped:", "HangUp:0/accepted"], Stage.DONE),
    "the on-call person hangs up after talking": (
        LIST, [Begin(), Answered(0), Pressed(0, "1"), LegGone(0)],
        ["oncall_ringing:1", "Ring:1", "oncall_answered:1", "Ask", "oncall_accepted:1",
         "Bridge:1", "oncall_hangup:1", "TalkEnded"], Stage.DONE),
    "pressing 1 before answering counts for nothing": (
        LIST, [Begin(), Pressed(0, "1")], ["oncall_ringing:1", "Ring:1"], Stage.RINGING),
}


def ring(entries: tuple[Entry, ...], events: list[oncall.Event]) -> oncall.Step:
    state, out = Run(entries), []
    for event in events:
        state, commands = oncall.step(state, event)
        out += commands
    return state, out


@pytest.mark.parametrize("name", CASES)
def test_oncall_steps(name: str) -> None:
    entries, events, expected, stage = CASES[name]
    state, out = ring(entries, events)
    assert words(out) == expected
    assert state.stage is stage


def test_notes_never_carry_the_number() -> None:
    _, out = ring(LIST, [Begin(), LegGone(0), Refused(1, "hourly_limit"), LegGone(2)])
    notes = [c for c in out if isinstance(c, oncall.Note)]
    assert notes and not any("555" in value for n in notes for _, value in n.detail)


# --- The caller's side (calls/flow.py) ---------------------------------------------------
LINE = Line(id=1, did="15550100101", facility_id=7, facility_name="Demo",
            default_language="en", queue_id=3, menu_timeout=5)
WAITING = Line(id=2, did="2", facility_id=7, facility_name="Demo", default_language="en",
               queue_id=3, emergency_wait=30)
NO_QUEUE = Line(id=4, did="4", facility_id=7, facility_name="Demo", default_language="en")


def caller(line: Line, *, open_: bool = True) -> State:
    """A caller on a one-language line who has heard the greeting, notices and triage; on
    a closed line, one who is hearing the closure (which ends with the triage question)."""
    heard: list[FlowEvent] = [Started(line, "en", open_)]
    if open_:
        heard += [PromptFinished("p1", True), PromptFinished("p2", True)]
    return run(heard)[0]


def flow_words(commands: list[Command]) -> list[str]:
    out = []
    for c in commands:
        if isinstance(c, Note):
            out.append(f"Note:{c.kind}")
        elif isinstance(c, Play):
            out.append("Play:" + "+".join(name for _, name in c.prompts))
        elif isinstance(c, Escalate):
            out.append(f"Escalate:{c.reason}")
        elif isinstance(c, SaveVoicemail):
            out.append(f"Save:{c.reason}")
        elif isinstance(c, StartTimer):
            out.append(f"Timer:{c.name}")
        else:
            out.append(type(c).__name__)
    return out


URGENT = Digit("9")
FLOW_CASES: dict[str, tuple[Line, bool, list[FlowEvent], list[str], Phase]] = {
    "closed line, emergency: on-call list, please hold, music": (
        LINE, False, [URGENT, PromptFinished("p2", True)],
        ["StopPlayback", "Note:triage", "Note:escalation_started",
         "Escalate:closed", "Play:please-hold", "StartMusic"], Phase.ESCALATING),
    "no queue, emergency": (
        NO_QUEUE, True, [URGENT],
        ["CancelTimer", "Note:triage", "Note:escalation_started",
         "Escalate:no_operators", "Play:please-hold"], Phase.ESCALATING),
    "closed line, another key: the closure plays on": (
        LINE, False, [Digit("5")], [], Phase.VOICEMAIL),
    "nobody logged in: the queue gives the emergency back": (
        LINE, True, [URGENT, QueueLeft("no_operators")],
        ["CancelTimer", "Note:triage", "Note:queued", "EnterQueue",
         "Note:queue_left", "Note:escalation_started", "Escalate:no_operators",
         "Play:please-hold"], Phase.ESCALATING),
    "nobody free within the line's wait": (
        WAITING, True, [URGENT, TimerFired(flow.EMERGENCY_TIMER)],
        ["CancelTimer", "Note:triage", "Note:queued", "EnterQueue",
         "Timer:emergency-wait", "Note:emergency_wait_over", "LeaveQueue",
         "Note:escalation_started", "Escalate:max_wait", "Play:please-hold"],
        Phase.ESCALATING),
    "answered within the wait: the timer changes nothing": (
        WAITING, True, [URGENT, Connected("op-a"), TimerFired(flow.EMERGENCY_TIMER)],
        ["CancelTimer", "Note:triage", "Note:queued", "EnterQueue",
         "Timer:emergency-wait", "Note:connected", "Timer:limit-warning"], Phase.CONNECTED),
    "someone accepts: talking": (
        LINE, False, [URGENT, OnCallAccepted(2)],
        ["StopPlayback", "Note:triage", "Note:escalation_started",
         "Escalate:closed", "Play:please-hold", "StopPlayback", "Note:oncall_connected"],
        Phase.ONCALL),
    "nobody accepts: emergency voicemail": (
        LINE, False, [URGENT, PromptFinished("p2", True), OnCallUnanswered(3)],
        ["StopPlayback", "Note:triage", "Note:escalation_started",
         "Escalate:closed", "Play:please-hold", "StartMusic", "Note:voicemail",
         "Play:voicemail-busy+beep"], Phase.VOICEMAIL),
    "no list at all: the voicemail keeps the first reason": (
        LINE, False, [URGENT, OnCallUnanswered(0)],
        ["StopPlayback", "Note:triage", "Note:escalation_started",
         "Escalate:closed", "Play:please-hold", "StopPlayback", "Note:voicemail",
         "Play:voicemail-busy+beep"], Phase.VOICEMAIL),
    "caller's keys while waiting are ignored": (
        LINE, False, [URGENT, Digit("1"), Digit("2"), Digit("0"), Digit("2"), Digit("#")],
        ["StopPlayback", "Note:triage", "Note:escalation_started",
         "Escalate:closed", "Play:please-hold"], Phase.ESCALATING),
    "caller hangs up while the list rings": (
        LINE, False, [URGENT, HangupRequested(16), Left(16)],
        ["StopPlayback", "Note:triage", "Note:escalation_started",
         "Escalate:closed", "Play:please-hold", "Note:caller_hangup", "StopEscalation",
         "Note:ended", "Close"], Phase.ENDED),
    "the on-call person hangs up: the call ends": (
        LINE, False, [URGENT, OnCallAccepted(1), OnCallEnded(), Left(16)],
        ["StopPlayback", "Note:triage", "Note:escalation_started",
         "Escalate:closed", "Play:please-hold", "StopPlayback", "Note:oncall_connected",
         "Note:oncall_hangup", "Hangup", "Note:ended", "Close"],
        Phase.ENDED),
}


@pytest.mark.parametrize("name", FLOW_CASES)
def test_caller_side(name: str) -> None:
    line, open_, events, expected, phase = FLOW_CASES[name]
    state, out = run(events, caller(line, open_=open_))
    assert flow_words(out) == expected
    assert state.phase is phase


def test_voicemail_after_the_list_is_an_emergency_one() -> None:
    state, _ = run([URGENT, OnCallUnanswered(2)], caller(LINE, open_=False))
    assert (state.priority, state.voicemail_reason) == (1, "oncall_unanswered")


def test_talking_with_the_on_call_person_is_answered() -> None:
    _, out = run([URGENT, OnCallAccepted(1), HangupRequested(16), Left(16)],
                 caller(LINE, open_=False))
    assert out[-1] == Close("answered", "caller", 16)
