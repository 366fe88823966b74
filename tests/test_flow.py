"""The call flow and IVR as tables: events in, commands out. No Asterisk, no database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lifeline_pbx.calls import flow
from lifeline_pbx.calls.model import (
    Answer,
    Close,
    Command,
    Connected,
    Digit,
    Failed,
    FlowEvent,
    Hangup,
    HangupRequested,
    Left,
    Line,
    Note,
    OperatorLeft,
    OperatorLost,
    Phase,
    Play,
    PromptFinished,
    QueueLeft,
    RecordingFinished,
    Resumed,
    SaveVoicemail,
    Started,
    StartTimer,
    StartVoicemail,
    State,
    TimerFired,
)

LINE = Line(
    id=1, did="15550100101", facility_id=7, facility_name="Demo", default_language="es",
    languages=(("1", "es"), ("2", "en")), queue_id=3, call_limit=900, limit_warning=120,
)
ONE_LANGUAGE = Line(id=2, did="2", facility_id=7, facility_name="Demo", default_language="fr",
                    queue_id=3)
RECORDED = Line(id=3, did="3", facility_id=7, facility_name="Demo", default_language="en",
                languages=(("1", "en"), ("2", "es")), record_calls=True, queue_id=3)
NO_QUEUE = Line(id=4, did="4", facility_id=7, facility_name="Demo", default_language="en")


def run(events: list[FlowEvent], state: State | None = None) -> tuple[State, list[Command]]:
    state, out = state or State(), []
    for event in events:
        state, commands = flow.step(state, event)
        out.extend(commands)
    return state, out


def words(commands: list[Command]) -> list[str]:
    """Commands as short words; notes only by kind."""
    out = []
    for c in commands:
        if isinstance(c, Play):
            out.append("Play:" + "+".join(f"{name}/{lang}" for lang, name in c.prompts))
        elif isinstance(c, Note):
            out.append(f"Note:{c.kind}")
        elif isinstance(c, Close):
            out.append(f"Close:{c.disposition}/{c.hangup_by}/{c.cause}")
        elif isinstance(c, StartTimer):
            out.append(f"Timer:{c.name}")
        else:
            out.append(type(c).__name__)
    return out


def played(commands: list[Command]) -> list[str]:
    return [w for w in words(commands) if w.startswith("Play:")]


MENU = "Play:language-choice-1/es+language-choice-2/en"
# greeting done, menu playing (p2)
GREETED: list[FlowEvent] = [Started(LINE, "en"), PromptFinished("p1", True)]

IVR_CASES: dict[str, tuple[list[FlowEvent], list[str]]] = {
    "greeting then the language menu in each language": (
        GREETED, ["Play:greeting/es", MENU],
    ),
    "a digit picks the language; notices and triage follow in it": (
        [*GREETED, Digit("2"), PromptFinished("p3", True)],
        ["Play:greeting/es", MENU, "Play:confidentiality-short/en", "Play:triage-9/en"],
    ),
    "no input: the menu once, then the line's default language": (
        [*GREETED, PromptFinished("p2", True), TimerFired("menu")],
        ["Play:greeting/es", MENU, "Play:confidentiality-short/es"],
    ),
    "invalid digit is explained and the menu asked again": (
        [*GREETED, Digit("7")],
        ["Play:greeting/es", MENU,
         "Play:invalid-choice/es+language-choice-1/es+language-choice-2/en"],
    ),
    "three invalid digits fall back to the default language": (
        [*GREETED, Digit("7"), Digit("8"), Digit("#")],
        ["Play:greeting/es", MENU,
         "Play:invalid-choice/es+language-choice-1/es+language-choice-2/en",
         "Play:invalid-choice/es+language-choice-1/es+language-choice-2/en",
         "Play:confidentiality-short/es"],
    ),
    "one language: no menu, the greeting and the notices in one playback": (
        [Started(ONE_LANGUAGE, "en")],
        ["Play:greeting/fr+confidentiality-short/fr"],
    ),
    "one language: a key pressed ahead answers the triage when the notices end": (
        [Started(ONE_LANGUAGE, "en"), Digit("1"), PromptFinished("p1", True)],
        ["Play:greeting/fr+confidentiality-short/fr"],
    ),
    "recording line announces it, short": (
        [Started(RECORDED, "en"), PromptFinished("p1", True), Digit("1")],
        ["Play:greeting/en", "Play:language-choice-1/en+language-choice-2/es",
         "Play:confidentiality-short/en+recording-short/en"],
    ),
    "a menu digit during the greeting stops it and picks the language": (
        [Started(LINE, "en"), Digit("2")],
        ["Play:greeting/es", "Play:confidentiality-short/en"],
    ),
    "another key during the greeting is ignored: the greeting plays on, then the menu": (
        [Started(LINE, "en"), Digit("7"), PromptFinished("p1", True)],
        ["Play:greeting/es", MENU],
    ),
    "star during the notices: their full text, then the triage question": (
        [*GREETED, Digit("1"), Digit("*"), PromptFinished("p3", True), PromptFinished("p4", True)],
        ["Play:greeting/es", MENU, "Play:confidentiality-short/es", "Play:confidentiality/es",
         "Play:triage-9/es"],
    ),
    "star on a recording line: both notices in full": (
        [Started(RECORDED, "en"), Digit("1"), Digit("*")],
        ["Play:greeting/en", "Play:confidentiality-short/en+recording-short/en",
         "Play:confidentiality/en+recording-notice/en"],
    ),
    "a failed greeting does not leave silence: straight to the queue": (
        [Started(LINE, "en"), PromptFinished("p1", False)],
        ["Play:greeting/es"],
    ),
}


@pytest.mark.parametrize("events,expected", IVR_CASES.values(), ids=IVR_CASES.keys())
def test_ivr(events: list[FlowEvent], expected: list[str]) -> None:
    assert played(run(events)[1]) == expected


def to_triage(line: Line = LINE) -> State:
    state, _ = run([Started(line, "en"), PromptFinished("p1", True), Digit("1"),
                    PromptFinished("p3", True), PromptFinished("p4", True)])
    assert state.phase is Phase.TRIAGE
    return state


ROUTE_CASES = {
    "emergency digit raises the priority": (
        [Digit("9")], "EnterQueue", 1,
    ),
    "another digit: ordinary call": ([Digit("5")], "EnterQueue", 0),
    "no answer to triage: ordinary call": ([TimerFired("triage")], "EnterQueue", 0),
}


@pytest.mark.parametrize("events,command,priority", ROUTE_CASES.values(), ids=ROUTE_CASES.keys())
def test_triage_routes_to_the_queue(events: list[FlowEvent], command: str, priority: int) -> None:
    state, commands = run(events, to_triage())
    assert command in words(commands)
    assert state.phase is Phase.QUEUED and state.priority == priority


CLOSED_OFFER = "triage-9/es+voicemail-offer/es+beep/tones"
CLOSED_CASES: dict[str, tuple[Started, str]] = {
    "closed hours: the closure, when it opens, then the offer": (
        Started(LINE, "en", open=False, opening=(8, 930)),
        f"Play:voicemail-closed/es+next-open-day-8/es+next-open-time-930/es+{CLOSED_OFFER}"),
    "a closure day speaks its own reason first": (
        Started(LINE, "en", open=False, closed_prompt="technical-difficulty", opening=(2, 900)),
        f"Play:technical-difficulty/es+next-open-day-2/es+next-open-time-900/es+{CLOSED_OFFER}"),
    "no opening within a week: the closure, then the offer": (
        Started(LINE, "en", open=False), f"Play:voicemail-closed/es+{CLOSED_OFFER}"),
}


@pytest.mark.parametrize("started,heard", CLOSED_CASES.values(), ids=CLOSED_CASES.keys())
def test_a_closed_line_says_so_first_then_offers_voicemail(started: Started, heard: str) -> None:
    """No greeting, menu or notices before: the closure is the first thing heard, in the
    line's default language; keys other than the triage key change nothing."""
    state, commands = run([started, Digit("1"), Digit("5")])
    assert words(commands) == ["Answer", "Note:answered", "Note:voicemail", heard]
    assert Note("voicemail", (("reason", "closed"), ("prompt", started.closed_prompt))) \
        in commands
    assert (state.phase, state.voicemail_reason, state.language) == (
        Phase.VOICEMAIL, "closed", "es")
    _, commands = run([PromptFinished("p1", True)], state)
    assert StartVoicemail(180) in commands


CLOSED_KEY_CASES: dict[str, tuple[list[FlowEvent], Phase, int, list[str]]] = {
    # after Started(closed): events -> phase, priority, commands (as words) besides plays
    "the triage key before the beep: the on-call list, as an emergency": (
        [Digit("9")], Phase.ESCALATING, 1,
        ["StopPlayback", "Note:triage", "Note:escalation_started", "Escalate"]),
    "another key before the beep: nothing": ([Digit("4")], Phase.VOICEMAIL, 0, []),
    "the triage key after the beep: part of the message": (
        [PromptFinished("p1", True), Digit("9")], Phase.RECORDING, 0,
        ["Note:prompt_finished", "StartVoicemail"]),
}


@pytest.mark.parametrize("events,phase,priority,expected", CLOSED_KEY_CASES.values(),
                         ids=CLOSED_KEY_CASES.keys())
def test_a_closed_line_still_hears_an_emergency(events: list[FlowEvent], phase: Phase,
                                                priority: int, expected: list[str]) -> None:
    closed, _ = run([Started(LINE, "en", open=False)])
    state, commands = run(events, closed)
    assert [w for w in words(commands) if not w.startswith("Play:")] == expected
    assert (state.phase, state.priority) == (phase, priority)


KEY_CASES: dict[str, tuple[list[FlowEvent], Phase, int, list[str]]] = {
    # events from a fresh call -> phase, priority, and the commands (as words) besides plays
    "language during the greeting, the triage answer typed ahead: queued after the notices": (
        [Started(LINE, "en"), Digit("2"), Digit("5"), PromptFinished("p2", True)],
        Phase.QUEUED, 0,
        ["Answer", "Note:answered", "Note:prompt", "StopPlayback", "Note:interrupted",
         "Note:language", "Note:key_kept", "Note:prompt_finished", "Note:key_applied",
         "Note:queued", "EnterQueue"]),
    "the triage digit during the notices: urgent at once, the notices stopped": (
        [Started(LINE, "en"), Digit("2"), Digit("9")], Phase.QUEUED, 1,
        ["Answer", "Note:answered", "Note:prompt", "StopPlayback", "Note:interrupted",
         "Note:language", "StopPlayback", "Note:interrupted", "Note:triage", "Note:queued",
         "EnterQueue"]),
    "keys kept in order: the first answers the triage": (
        [Started(LINE, "en"), Digit("1"), Digit("5"), Digit("6"), PromptFinished("p2", True)],
        Phase.QUEUED, 0,
        ["Answer", "Note:answered", "Note:prompt", "StopPlayback", "Note:interrupted",
         "Note:language", "Note:key_kept", "Note:key_kept", "Note:prompt_finished",
         "Note:key_applied", "Note:queued", "EnterQueue"]),
    "a kept key, then the triage digit: the emergency is not lost behind it": (
        [Started(LINE, "en"), Digit("1"), Digit("5"), Digit("9")], Phase.QUEUED, 1,
        ["Answer", "Note:answered", "Note:prompt", "StopPlayback", "Note:interrupted",
         "Note:language", "Note:key_kept", "StopPlayback", "Note:interrupted", "Note:triage",
         "Note:queued", "EnterQueue"]),
    "a wrong key during the greeting: ignored, no menu try spent": (
        [Started(LINE, "en"), Digit("7")], Phase.GREETING, 0,
        ["Answer", "Note:answered", "Note:prompt", "Note:key_ignored"]),
    "star twice: the full text once": (
        [Started(LINE, "en"), Digit("1"), Digit("*"), Digit("*")], Phase.NOTICES, 0,
        ["Answer", "Note:answered", "Note:prompt", "StopPlayback", "Note:interrupted",
         "Note:language", "StopPlayback", "Note:notices_full", "Note:key_ignored"]),
}


@pytest.mark.parametrize("events,phase,priority,expected", KEY_CASES.values(),
                         ids=KEY_CASES.keys())
def test_keys_interrupt_and_are_kept_in_order(events: list[FlowEvent], phase: Phase,
                                              priority: int, expected: list[str]) -> None:
    state, commands = run(events)
    assert [w for w in words(commands) if not w.startswith("Play:")] == expected
    assert (state.phase, state.priority, state.menu_tries) == (phase, priority, 0)


# A line saved before the form refused it: key 2 both chooses English and is the urgent key.
# The prompt playing decides: in the greeting and the menu it chooses the language (were it
# urgent there, every caller choosing English would ring the on-call list); from the notices
# on it is urgent, so a caller in danger who presses it again is urgent at once.
CLASH = replace(LINE, triage_digit="2")
CLASH_CASES: dict[str, tuple[list[FlowEvent], Phase, str, int]] = {
    # events -> phase, language, priority
    "in the greeting: the language": ([Started(CLASH, "en"), Digit("2")],
                                      Phase.NOTICES, "en", 0),
    "in the menu: the language": ([Started(CLASH, "en"), PromptFinished("p1", True),
                                   Digit("2")], Phase.NOTICES, "en", 0),
    "pressed twice: the language, then urgent": (
        [Started(CLASH, "en"), Digit("2"), Digit("2")], Phase.QUEUED, "en", 1),
    "after another language's key: urgent": (
        [Started(CLASH, "en"), Digit("1"), Digit("2")], Phase.QUEUED, "es", 1),
}


@pytest.mark.parametrize("events,phase,language,priority", CLASH_CASES.values(),
                         ids=CLASH_CASES.keys())
def test_a_menu_key_that_is_also_the_urgent_key(events: list[FlowEvent], phase: Phase,
                                                language: str, priority: int) -> None:
    state, _ = run(events)
    assert (state.phase, state.language, state.priority) == (phase, language, priority)


def test_one_wrong_key_in_the_menu_is_one_invalid_choice() -> None:
    state, commands = run([*GREETED, Digit("7")])
    assert state.menu_tries == 1
    assert [c for c in commands if isinstance(c, Note) and c.kind == "invalid_choice"] == [
        Note("invalid_choice", (("digit", "7"),))]


def test_after_the_triage_question_a_silent_caller_waits_briefly() -> None:
    """At most TRIAGE_WAIT (3 s): the triage digit was heard from the notices on."""
    state = run([Started(LINE, "en"), Digit("1"), PromptFinished("p2", True)])[0]
    _, commands = run([PromptFinished("p3", True)], state)
    assert StartTimer("triage", 3.0) in commands
    short = replace(LINE, menu_timeout=2.0)
    state = run([Started(short, "en"), Digit("1"), PromptFinished("p2", True)])[0]
    assert StartTimer("triage", 2.0) in run([PromptFinished("p3", True)], state)[1]


def test_line_without_queue_goes_to_voicemail() -> None:
    state, _ = run([Started(NO_QUEUE, "en"), PromptFinished("p1", True),
                    PromptFinished("p2", True), PromptFinished("p3", True)])
    state, commands = run([TimerFired("triage")], state)
    assert played(commands) == ["Play:voicemail-busy/en+beep/tones"]


def queued(line: Line = LINE) -> State:
    state, _ = run([Digit("5")], to_triage(line))
    return state


VOICEMAIL_CASES: dict[str, tuple[list[FlowEvent], list[str]]] = {
    "no operators: message, recorded, thanks, hang up, saved": (
        [QueueLeft("no_operators"), PromptFinished("p5", True), RecordingFinished(12),
         PromptFinished("p6", True), HangupRequested(16), Left(0)],
        ["Note:queue_left", "Note:voicemail", "Play:voicemail-busy/es+beep/tones",
         "Note:prompt_finished",
         "StartVoicemail", "SaveVoicemail", "Note:prompt", "Play:voicemail-thanks/es",
         "Note:prompt_finished", "Hangup", "Note:ended", "Close:voicemail/system/16"],
    ),
    "caller hangs up while recording: the message is still saved": (
        [QueueLeft("max_wait"), PromptFinished("p5", True), HangupRequested(16), Left(0),
         RecordingFinished(8)],
        ["Note:queue_left", "Note:voicemail", "Play:voicemail-busy/es+beep/tones",
         "Note:prompt_finished",
         "StartVoicemail", "Note:caller_hangup", "Timer:recording-grace", "SaveVoicemail",
         "Note:ended", "Close:voicemail/caller/16"],
    ),
    "message not recorded (the PBX could not write it): the apology, not the thanks": (
        [QueueLeft("no_operators"), PromptFinished("p5", True), RecordingFinished(0, True),
         PromptFinished("p6", True), Left(16)],
        ["Note:queue_left", "Note:voicemail", "Play:voicemail-busy/es+beep/tones",
         "Note:prompt_finished", "StartVoicemail", "Note:voicemail_failed", "Note:prompt",
         "Play:technical-difficulty/es", "Note:prompt_finished", "Hangup", "Note:ended",
         "Close:failed/system/16"],
    ),
    "message not recorded, the caller gone already: nothing saved": (
        [QueueLeft("max_wait"), PromptFinished("p5", True), Left(16),
         RecordingFinished(0, True)],
        ["Note:queue_left", "Note:voicemail", "Play:voicemail-busy/es+beep/tones",
         "Note:prompt_finished", "StartVoicemail", "Timer:recording-grace",
         "Note:voicemail_failed", "Note:ended", "Close:failed/caller/16"],
    ),
    "a handler failing while the message is recorded leaves it be: saved, thanks": (
        [QueueLeft("max_wait"), PromptFinished("p5", True), Failed("AriError"),
         RecordingFinished(9)],
        ["Note:queue_left", "Note:voicemail", "Play:voicemail-busy/es+beep/tones",
         "Note:prompt_finished", "StartVoicemail", "Note:error", "SaveVoicemail",
         "Note:prompt", "Play:voicemail-thanks/es"],
    ),
    "recording never reported: saved when the grace time ends": (
        [QueueLeft("max_wait"), PromptFinished("p5", True), Left(16),
         TimerFired("recording-grace")],
        ["Note:queue_left", "Note:voicemail", "Play:voicemail-busy/es+beep/tones",
         "Note:prompt_finished",
         "StartVoicemail", "Timer:recording-grace", "SaveVoicemail", "Note:ended",
         "Close:voicemail/caller/16"],
    ),
    "caller hangs up during the invitation: no message left, nothing saved": (
        [QueueLeft("no_operators"), HangupRequested(16), Left(0)],
        ["Note:queue_left", "Note:voicemail", "Play:voicemail-busy/es+beep/tones",
         "Note:caller_hangup", "Note:ended", "Close:no_message/caller/16"],
    ),
    "gone during the invitation with no hang-up request: no message left": (
        [QueueLeft("max_wait"), Left(16)],
        ["Note:queue_left", "Note:voicemail", "Play:voicemail-busy/es+beep/tones",
         "Note:ended", "Close:no_message/caller/16"],
    ),
    "abandon while waiting leaves the queue": (
        [HangupRequested(16), Left(0)],
        ["Note:caller_hangup", "LeaveQueue", "Note:ended", "Close:abandoned/caller/16"],
    ),
    "connected, warned before the cut-off, operator hangs up": (
        [Connected("op-a"), TimerFired("limit-warning"), OperatorLeft(), Left(16)],
        ["Note:connected", "Timer:limit-warning", "Note:limit_warning", "WarnOperator",
         "Note:operator_hangup", "Hangup", "Note:ended", "Close:answered/operator/16"],
    ),
    "connected, caller hangs up: the operator's leg is released": (
        [Connected("op-a"), HangupRequested(16), Left(0)],
        ["Note:connected", "Timer:limit-warning", "Note:caller_hangup", "LeaveQueue",
         "Note:ended", "Close:answered/caller/16"],
    ),
    "the operator's phone lost: the apology, back in the queue, the next one answers": (
        [Connected("op-a"), OperatorLost("op-a", "no_audio"), PromptFinished("p5", True),
         Connected("op-c"), HangupRequested(16), Left(0)],
        ["Note:connected", "Timer:limit-warning", "Note:operator_lost", "Note:prompt",
         "Play:operator-lost/es", "Note:prompt_finished", "Note:connected",
         "Timer:limit-warning", "Note:caller_hangup", "LeaveQueue", "Note:ended",
         "Close:answered/caller/16"],
    ),
    "the next operator answers during the apology: it stops": (
        [Connected("op-a"), OperatorLost("op-a", "cause_44"), Connected("op-c")],
        ["Note:connected", "Timer:limit-warning", "Note:operator_lost", "Note:prompt",
         "Play:operator-lost/es", "StopPlayback", "Note:connected", "Timer:limit-warning"],
    ),
    "the caller hangs up after losing the operator: answered, not abandoned": (
        [Connected("op-a"), OperatorLost("op-a", "no_audio"), HangupRequested(16), Left(0)],
        ["Note:connected", "Timer:limit-warning", "Note:operator_lost", "Note:prompt",
         "Play:operator-lost/es", "Note:caller_hangup", "LeaveQueue", "Note:ended",
         "Close:answered/caller/16"],
    ),
    "an error while waiting: voicemail, not silence": (
        [Failed("KeyError")],
        ["LeaveQueue", "Note:error", "Note:voicemail", "Play:voicemail-busy/es+beep/tones"],
    ),
}


@pytest.mark.parametrize("events,expected", VOICEMAIL_CASES.values(), ids=VOICEMAIL_CASES.keys())
def test_queue_connection_and_voicemail(events: list[FlowEvent], expected: list[str]) -> None:
    assert words(run(events, queued())[1]) == expected


def test_recording_policy_records_the_bridge() -> None:
    state = queued(RECORDED)
    assert "RecordBridge" in words(run([Connected("op-a")], state)[1])
    assert "RecordBridge" not in words(run([Connected("op-a")], queued())[1])


def test_unknown_number_hears_not_in_service() -> None:
    _, commands = run([Started(None, "en"), PromptFinished("p1", True), Left(16)])
    assert words(commands) == [
        "Answer", "Note:unknown_did", "Note:prompt", "Play:not-in-service/en",
        "Note:prompt_finished", "Hangup", "Note:ended", "Close:not_in_service/system/16",
    ]


def test_an_error_before_the_line_is_known_ends_in_an_apology() -> None:
    _, commands = run([Failed("KeyError"), PromptFinished("p1", True), Left(0)])
    assert "Play:technical-difficulty/en" in words(commands)
    assert words(commands)[-1] == "Close:failed/system/16"


def test_an_error_in_the_ivr_goes_to_the_queue() -> None:
    state, commands = run([Failed("KeyError")], run(GREETED)[0])
    assert "EnterQueue" in words(commands) and state.phase is Phase.QUEUED


def test_resumed_after_restart_keeps_the_place() -> None:
    state, _ = run([Resumed(LINE, Phase.QUEUED, "en", 1)])
    assert (state.phase, state.language, state.priority) == (Phase.QUEUED, "en", 1)
    _, commands = run([Connected("op-b")], state)
    assert "Note:connected" in words(commands)


@pytest.mark.parametrize(("phase", "escalated", "expected"), [
    # The on-call list was being rung when the app died: rung again from the top, the
    # caller told to hold; its first reason kept for a voicemail.
    (Phase.ESCALATING, "max_wait", ["Note:resumed", "Note:escalation_started", "Escalate",
                                    "Play:please-hold/es"]),
    # Bridged with the person who accepted: they keep talking.
    (Phase.ONCALL, "no_operators", ["Note:resumed"]),
])
def test_resumed_in_an_emergency(phase: Phase, escalated: str, expected: list[str]) -> None:
    state, commands = run([Resumed(LINE, phase, "es", 1, escalated)])
    assert [w.split("(")[0] for w in words(commands)] == expected
    assert state.phase is phase
    if phase is Phase.ESCALATING:
        assert state.voicemail_reason == escalated


@pytest.mark.parametrize(("events", "expected"), [
    # The caller finishes the message the new process did not start: saved, then thanks.
    ([RecordingFinished(12)], ["SaveVoicemail", "Note:prompt", "Play:voicemail-thanks/fr"]),
    # They hang up instead: saved once Asterisk has finished writing it.
    ([Left(16), RecordingFinished(4)], ["Timer:recording-grace", "SaveVoicemail",
                                         "Note:ended", "Close:voicemail/caller/16"]),
])
def test_resumed_leaving_a_message(events: list[FlowEvent], expected: list[str]) -> None:
    state, _ = run([Resumed(LINE, Phase.RECORDING, "fr", 1, "", "max_wait")])
    assert (state.phase, state.voicemail_reason) == (Phase.RECORDING, "max_wait")
    state, commands = run(events, state)
    assert [w.split("(")[0] for w in words(commands)] == expected
    saves = [c for c in commands if isinstance(c, SaveVoicemail)]
    assert [s.reason for s in saves] == ["max_wait"]


def test_nothing_happens_after_the_end() -> None:
    state, _ = run([Started(LINE, "en"), Left(16)])
    assert state.phase is Phase.ENDED
    for event in (Started(LINE, "en"), PromptFinished("p1", True), Failed("x"), Left(1)):
        assert flow.step(state, event) == (state, [])


def test_every_answered_call_hears_something_before_we_hang_up() -> None:
    tables = [*IVR_CASES.values()]
    for events, _ in tables:
        commands = run(events)[1]
        if Hangup() in commands:
            assert any(isinstance(c, Play) for c in commands[: commands.index(Hangup())])
        if Answer() in commands:
            assert any(isinstance(c, Play) for c in commands)
    for events, _ in VOICEMAIL_CASES.values():
        commands = run(events, queued())[1]
        if StartVoicemail(180) in commands:
            assert any(isinstance(c, Play) for c in commands[: commands.index(StartVoicemail(180))])
        assert all(c.reason for c in commands if isinstance(c, SaveVoicemail))


# Asterisk shutting down ends every call with a soft hang-up (reason flag 4, not Q.850).
SHUTDOWN = HangupRequested(4, pbx_shutdown=True)
PBX_SHUTDOWN_CASES: dict[str, tuple[list[FlowEvent], str]] = {
    # the phase the call was in: (events from a fresh call, then the shutdown) -> Close
    "greeting: failed": ([Started(LINE, "en")], "Close:failed/system/41"),
    "language menu: failed": (GREETED, "Close:failed/system/41"),
    "waiting in the queue: failed, not abandoned": (
        [*GREETED, Digit("1"), PromptFinished("p3", True), Digit("5")],
        "Close:failed/system/41"),
    "talking: answered": (
        [*GREETED, Digit("1"), PromptFinished("p3", True), Digit("5"), Connected("op-a")],
        "Close:answered/system/41"),
    "invited to leave a message: no message left": (
        [*GREETED, Digit("1"), PromptFinished("p3", True), Digit("5"),
         QueueLeft("no_operators")],
        "Close:no_message/system/41"),
    "unknown number's apology: not in service": (
        [Started(None, "en")], "Close:not_in_service/system/41"),
    "we were hanging up already: ours, with the cause we gave": (
        [Started(None, "en"), PromptFinished("p1", True)], "Close:not_in_service/system/16"),
}


@pytest.mark.parametrize("before,closed", PBX_SHUTDOWN_CASES.values(),
                         ids=PBX_SHUTDOWN_CASES.keys())
def test_a_pbx_shutdown_is_the_systems_hang_up_not_the_callers(
        before: list[FlowEvent], closed: str) -> None:
    state, _ = run(before)
    _, commands = run([SHUTDOWN, Left(0)], state)
    assert words(commands)[-1] == closed
    assert ("Note:pbx_shutdown" in words(commands)) == closed.endswith("/41")


def test_a_pbx_shutdown_takes_a_waiting_caller_out_of_the_queue_at_once() -> None:
    _, commands = run([SHUTDOWN], queued())
    assert words(commands) == ["Note:pbx_shutdown", "LeaveQueue"]


def test_a_pbx_shutdown_while_recording_keeps_the_message() -> None:
    state, _ = run([QueueLeft("no_operators"), PromptFinished("p5", True)], queued())
    _, commands = run([SHUTDOWN, Left(0), TimerFired("recording-grace")], state)
    assert words(commands) == ["Note:pbx_shutdown", "Timer:recording-grace", "SaveVoicemail",
                               "Note:ended", "Close:voicemail/system/41"]
