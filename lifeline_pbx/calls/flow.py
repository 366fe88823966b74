"""What happens in a call, decided without I/O: step(state, event) -> (state, commands).

greeting -> IVR (calls/ivr.py) -> queue -> operator; or voicemail when nobody is logged in
or the wait is too long. A closed line says so first (then when it opens, then the
voicemail offer), with no greeting, menu or notices before. Every failure ends in a queue,
a voicemail or a spoken apology: nobody is left in silence.
"""

from __future__ import annotations

from dataclasses import replace

from lifeline_pbx.calls import call_limit, ivr
from lifeline_pbx.calls.model import (
    Answer,
    Close,
    Command,
    Connected,
    Digit,
    EnterQueue,
    Escalate,
    Failed,
    FlowEvent,
    Hangup,
    HangupRequested,
    LeaveQueue,
    Left,
    Note,
    OnCallAccepted,
    OnCallEnded,
    OnCallUnanswered,
    OperatorLeft,
    OperatorLost,
    Phase,
    PromptFinished,
    QueueLeft,
    RecordBridge,
    RecordingFinished,
    Requeued,
    Resumed,
    SaveVoicemail,
    Started,
    StartMusic,
    StartTimer,
    StartVoicemail,
    State,
    Step,
    StopEscalation,
    StopPlayback,
    TimerFired,
    WarnOperator,
)
from lifeline_pbx.prompts import tones

IVR_PHASES = (Phase.LANGUAGE, Phase.NOTICES, Phase.TRIAGE)
KEY_PHASES = (Phase.GREETING, *IVR_PHASES)  # where a key pressed means something
LIMIT_TIMER = "limit-warning"
RECORDING_GRACE = "recording-grace"
EMERGENCY_TIMER = "emergency-wait"
ESCALATION_PHASES = (Phase.ESCALATING, Phase.ONCALL)
# Q.850 41, temporary failure: what a call cut by Asterisk shutting down records as its
# cause (the hang-up request then carries Asterisk's reason flag, 4, which read as Q.850
# would claim a special information tone).
PBX_SHUTDOWN_CAUSE = 41
LOST_PROMPT = "operator-lost"  # the operator's phone died mid-call: "please hold"


def _closing(state: State, prompt: str, disposition: str) -> Step:
    state, play = ivr.play(replace(state, phase=Phase.CLOSING, disposition=disposition),
                           (state.language, prompt))
    return state, [Note("prompt", (("name", prompt),)), play]


def _hang_up(state: State, before: list[Command]) -> Step:
    state = replace(
        state, phase=Phase.HANGING_UP, hangup_by=state.hangup_by or "system", playing=None,
        cause=state.cause or 16,
    )
    return state, [*before, Hangup()]


def step(state: State, event: FlowEvent) -> Step:
    if state.phase is Phase.ENDED:
        return state, []
    if isinstance(event, Left):
        return _left(state, event)
    if isinstance(event, HangupRequested):
        return _hangup_requested(state, event)
    if isinstance(event, RecordingFinished):
        return _recording_finished(state, event)
    if isinstance(event, TimerFired) and event.name == RECORDING_GRACE and state.left:
        return _close(state, 0, [SaveVoicemail(state.voicemail_reason, 0)])
    if state.hangup_by is not None:
        return state, []
    if isinstance(event, Started):
        return _started(state, event)
    if isinstance(event, Resumed):
        return _resumed(state, event)
    if isinstance(event, Failed):
        return _failed(state, event)
    return _in_call(state, event)


def _in_call(state: State, event: FlowEvent) -> Step:
    if isinstance(event, PromptFinished):
        return _prompt_finished(state, event)
    if isinstance(event, Digit) and state.phase in KEY_PHASES:
        new, commands, done = ivr.on_digit(state, event)
        return _route(new, commands) if done else (new, commands)
    if isinstance(event, Digit) and state.phase is Phase.VOICEMAIL:
        return _closed_digit(state, event)
    if isinstance(event, TimerFired):
        return _timer(state, event)
    if isinstance(event, Connected) and state.phase is Phase.QUEUED:
        return _connected(state, event)
    if isinstance(event, QueueLeft) and state.phase is Phase.QUEUED:
        left: list[Command] = [Note("queue_left", (("reason", event.reason),))]
        if state.priority > 0:
            return _escalate(state, event.reason, left)
        return _voicemail(state, event.reason, left)
    if state.phase in ESCALATION_PHASES:
        return _escalation(state, event)
    if isinstance(event, Requeued) and state.phase is Phase.CONNECTED:
        return _requeued(state, event)
    if isinstance(event, OperatorLeft) and state.phase is Phase.CONNECTED:
        state = replace(state, hangup_by="operator", disposition="answered")
        return _hang_up(state, [Note("operator_hangup")])
    if isinstance(event, OperatorLost) and state.phase is Phase.CONNECTED:
        return _operator_lost(state, event)
    return state, []


def _started(state: State, event: Started) -> Step:
    if state.phase is not Phase.NEW:
        return state, []
    if event.line is None:
        state = replace(state, language=event.default_language)
        state, commands = _closing(state, "not-in-service", "not_in_service")
        return state, [Answer(), Note("unknown_did"), *commands]
    line = event.line
    state = replace(state, phase=Phase.GREETING, line=line, language=line.default_language)
    if not event.open:
        state, commands = _closed_first(state, event)
        return state, [Answer(), Note("answered"), *commands]
    greeted: list[Command] = [Answer(), Note("answered"), Note("prompt", (("name", "greeting"),))]
    language = ivr.only_language(line)
    if language is not None:
        state, commands = ivr.greeting_and_notices(state, language)
        return state, [*greeted, *commands]
    state, play = ivr.play(state, (state.language, "greeting"))
    return state, [*greeted, play]


def _closed_first(state: State, event: Started) -> Step:
    """The closure (a closure day's own prompt, else the usual one), when the line opens
    again, then the invitation to leave a message: in the line's default language."""
    language, closure = state.language, event.closed_prompt
    prompts = [(language, closure)]
    if event.opening is not None:
        day, hhmm = event.opening
        prompts += [(language, f"next-open-day-{day}"), (language, f"next-open-time-{hhmm}")]
    assert state.line is not None
    prompts.append((language, f"triage-{state.line.triage_digit}"))  # see _closed_digit
    state = replace(state, phase=Phase.VOICEMAIL, voicemail_reason="closed",
                    disposition="voicemail")
    state, play = ivr.play(state, *prompts, (language, "voicemail-offer"), (tones.LANGUAGE, "beep"))
    return state, [Note("voicemail", (("reason", "closed"), ("prompt", closure))), play]


def _closed_digit(state: State, event: Digit) -> Step:
    """A closed line still hears an emergency: the triage key, pressed before the beep,
    rings the on-call list (a line without one takes the message as an emergency)."""
    line = state.line
    if (line is None or state.voicemail_reason != "closed" or state.playing is None
            or event.digit != line.triage_digit):
        return state, []
    stop = StopPlayback(state.playing)
    urgent = Note("triage", (("urgent", "yes"),))
    return _escalate(replace(state, priority=1, playing=None), "closed", [stop, urgent])


def _resumed(state: State, event: Resumed) -> Step:
    state = replace(state, phase=event.phase, line=event.line, language=event.language,
                    priority=event.priority, voicemail_reason=event.voicemail_reason)
    note = Note("resumed", (("phase", event.phase.value),))
    if event.phase is Phase.RECORDING:  # leaving a message: the call's outcome, whatever comes
        return replace(state, disposition="voicemail"), [note]
    if event.phase is Phase.ESCALATING:  # its run died with the app: the list from the top
        return _escalate(state, event.escalated or "error", [note])
    return state, [note]


def _prompt_finished(state: State, event: PromptFinished) -> Step:
    if event.playback_id != state.playing:
        return state, []
    if state.phase is Phase.ESCALATING:  # played or not, music until someone accepts
        return replace(state, playing=None), [StartMusic()]
    if not event.ok and state.phase is not Phase.CLOSING:
        return _failed(state, Failed("prompt did not play"))
    finished = Note("prompt_finished", (("ok", "yes" if event.ok else "no"),))
    if state.phase is Phase.GREETING:
        new, commands = ivr.begin(state)
        return new, [finished, *commands]
    if state.phase in IVR_PHASES:
        new, commands, done = ivr.on_prompt_finished(state)
        return _route(new, [finished, *commands]) if done else (new, [finished, *commands])
    if state.phase is Phase.VOICEMAIL:
        max_seconds = state.line.voicemail_max if state.line else 180
        state = replace(state, phase=Phase.RECORDING, playing=None)
        return state, [finished, StartVoicemail(max_seconds)]
    if state.phase is Phase.CLOSING:
        return _hang_up(state, [finished])
    if state.phase is Phase.QUEUED:  # the apology of a lost operator: the music goes on
        return replace(state, playing=None), [finished]
    return state, []


def _timer(state: State, event: TimerFired) -> Step:
    if state.phase in IVR_PHASES:
        new, commands, done = ivr.on_timer(state, event)
        return _route(new, commands) if done else (new, commands)
    if state.phase is Phase.CONNECTED and event.name == LIMIT_TIMER:
        return state, [Note("limit_warning"), WarnOperator()]
    if state.phase is Phase.QUEUED and event.name == EMERGENCY_TIMER:
        return _escalate(state, "max_wait", [Note("emergency_wait_over"), LeaveQueue()])
    return state, []


def _route(state: State, before: list[Command]) -> Step:
    """The IVR is over: the queue when staffed, otherwise voicemail."""
    line = state.line
    assert line is not None
    if line.queue_id is None:
        if state.priority > 0:  # an emergency: the on-call list first
            return _escalate(state, "no_operators", before)
        return _voicemail(state, "no_operators", before)
    state = replace(state, phase=Phase.QUEUED, playing=None)
    queued = Note("queued", (("priority", str(state.priority)),))
    commands = [*before, queued, EnterQueue(line.queue_id, state.language, state.priority)]
    if state.priority > 0 and line.emergency_wait is not None:
        commands.append(StartTimer(EMERGENCY_TIMER, line.emergency_wait))
    return state, commands


def _escalate(state: State, reason: str, before: list[Command]) -> Step:
    """An emergency and nobody ready: ring the on-call list. The caller hears "please
    hold", then music, until someone accepts or the list is done. The reason is kept for
    the voicemail should the line have no on-call list."""
    state = replace(state, phase=Phase.ESCALATING, voicemail_reason=reason)
    state, play = ivr.play(state, (state.language, "please-hold"))
    return state, [*before, Note("escalation_started", (("reason", reason),)), Escalate(reason),
                   play]


def _escalation(state: State, event: FlowEvent) -> Step:
    """The caller's part while the on-call list is rung, and once bridged."""
    stop: list[Command] = [StopPlayback(state.playing)] if state.playing else []
    if state.phase is Phase.ESCALATING:
        if isinstance(event, OnCallAccepted):
            state = replace(state, phase=Phase.ONCALL, disposition="answered", playing=None)
            who = (("operator", event.operator),) if event.operator else ()
            put_through = Note("oncall_connected", (("position", str(event.position)), *who))
            return state, [*stop, put_through]
        if isinstance(event, OnCallUnanswered):
            reason = "oncall_unanswered" if event.tried else state.voicemail_reason
            return _voicemail(replace(state, playing=None), reason, stop)
    if isinstance(event, OnCallEnded) and state.phase is Phase.ONCALL:
        state = replace(state, hangup_by="operator", disposition="answered")
        return _hang_up(state, [Note("oncall_hangup")])
    return state, []


def _requeued(state: State, event: Requeued) -> Step:
    """Sent to another queue by the operator: queued again with the same priority (an
    emergency stays an emergency), in the language chosen."""
    state = replace(state, phase=Phase.QUEUED, language=event.language)
    note = Note("requeued", (("queue_id", str(event.queue_id)), ("language", event.language)))
    return state, [note, EnterQueue(event.queue_id, event.language, state.priority)]


def _operator_lost(state: State, event: OperatorLost) -> Step:
    """The operator's phone died mid-call: the queue has the caller back at its front; they
    hear why, then the queue's music."""
    state = replace(state, phase=Phase.QUEUED)
    state, play = ivr.play(state, (state.language, LOST_PROMPT))
    lost = Note("operator_lost", (("operator", event.operator), ("reason", event.reason)))
    return state, [lost, Note("prompt", (("name", LOST_PROMPT),)), play]


def _connected(state: State, event: Connected) -> Step:
    line = state.line
    assert line is not None
    # The apology of a lost operator may still be playing as the next one answers.
    stop: list[Command] = [StopPlayback(state.playing)] if state.playing else []
    state = replace(state, phase=Phase.CONNECTED, disposition="answered", playing=None)
    commands: list[Command] = [*stop, Note("connected", (("operator", event.operator),))]
    if line.record_calls:
        commands.append(RecordBridge())
    warn_in = call_limit.warn_in(line.call_limit, line.limit_warning, event.since_answer)
    if warn_in is not None:
        commands.append(StartTimer(LIMIT_TIMER, warn_in))
    return state, commands


NO_MESSAGE = "no_message"  # sent to voicemail, gone before the beep: no message left
BUSY_PROMPT = "voicemail-busy"  # nobody free or logged in; a closed line: _closed_first


def _voicemail(state: State, reason: str, before: list[Command]) -> Step:
    prompt = BUSY_PROMPT  # also after an emergency on a closed line: the closure was heard
    state = replace(state, phase=Phase.VOICEMAIL, voicemail_reason=reason, disposition="voicemail")
    state, play = ivr.play(state, (state.language, prompt), (tones.LANGUAGE, "beep"))
    return state, [*before, Note("voicemail", (("reason", reason), ("prompt", prompt))), play]


def _recording_finished(state: State, event: RecordingFinished) -> Step:
    if state.phase is not Phase.RECORDING:
        return state, []
    if event.failed:
        return _message_lost(state)
    save = SaveVoicemail(state.voicemail_reason, event.seconds)
    if state.left:
        return _close(replace(state, phase=Phase.HANGING_UP), 0, [save])
    if state.hangup_by is not None:
        return replace(state, phase=Phase.HANGING_UP), [save]
    state, commands = _closing(state, "voicemail-thanks", "voicemail")
    return state, [save, *commands]


def _message_lost(state: State) -> Step:
    """Nothing was recorded: nothing to save, and the caller hears the apology, never the
    thanks for a message that is not there."""
    lost = Note("voicemail_failed", (("reason", state.voicemail_reason),))
    if state.left:
        return _close(replace(state, phase=Phase.HANGING_UP, disposition="failed"), 0, [lost])
    if state.hangup_by is not None:
        return replace(state, phase=Phase.HANGING_UP, disposition="failed"), [lost]
    state, commands = _closing(state, "technical-difficulty", "failed")
    return state, [lost, *commands]


def _failed(state: State, event: Failed) -> Step:
    note = Note("error", (("reason", event.reason[:200]),))
    if state.phase in (Phase.CLOSING, Phase.HANGING_UP):
        return _hang_up(replace(state, disposition=state.disposition or "failed"), [note])
    if state.phase in (Phase.CONNECTED, Phase.ONCALL, Phase.RECORDING):
        # They are talking, or leaving their message (it ends by itself, and is saved; a
        # message Asterisk did not take comes back as a failed recording): leave them be.
        return state, [note]
    if state.phase is Phase.ESCALATING:
        return _voicemail(state, "error", [StopEscalation(), note])
    if state.line is not None and state.phase in (Phase.GREETING, *IVR_PHASES):
        return _route(state, [Answer(), note])
    if state.line is not None and state.phase is Phase.QUEUED:
        return _voicemail(state, "error", [LeaveQueue(), note])
    state, commands = _closing(state, "technical-difficulty", "failed")
    return state, [Answer(), note, *commands]


def _hangup_requested(state: State, event: HangupRequested) -> Step:
    if event.pbx_shutdown:
        return _pbx_shutdown(state)
    state = replace(state, cause=state.cause or event.cause)
    if state.hangup_by is not None:
        return state, []
    commands: list[Command] = [Note("caller_hangup", (("cause", str(event.cause)),))]
    keep = state.phase in (Phase.CLOSING, Phase.CONNECTED, Phase.RECORDING, Phase.VOICEMAIL,
                           Phase.ONCALL)
    # A caller put through once stays answered, though waiting again (sent to another
    # queue, or their operator's phone lost) as they hang up.
    answered = state.disposition == "answered"
    disposition = state.disposition if keep or answered else "abandoned"
    return replace(state, hangup_by="caller", disposition=disposition, playing=None), commands


def _pbx_shutdown(state: State) -> Step:
    """Asterisk is stopping and ends the call: the system, not the caller, hung up. The
    outcome reached so far stands (answered, voicemail, ...); a call that had none yet (in
    the IVR or waiting) failed. A waiting caller leaves the queue at once: the channel is
    going, and an offer rung for it now would ring into a PBX that is stopping."""
    state = replace(state, cause=state.cause or PBX_SHUTDOWN_CAUSE)
    if state.hangup_by is not None:
        return state, []
    leave: list[Command] = [LeaveQueue()] if state.phase is Phase.QUEUED else []
    state = replace(state, hangup_by="system", disposition=state.disposition or "failed",
                    playing=None)
    return state, [Note("pbx_shutdown"), *leave]


def _left(state: State, event: Left) -> Step:
    if state.phase is Phase.RECORDING and not state.left:
        # Asterisk finishes writing the message after the hang-up; wait for it, not forever.
        state = replace(state, left=True, cause=state.cause or event.cause,
                        hangup_by=state.hangup_by or "caller")
        return state, [StartTimer(RECORDING_GRACE, 10)]
    return _close(state, event.cause, [])


def _close(state: State, cause: int, before: list[Command]) -> Step:
    if state.phase in (Phase.QUEUED, Phase.CONNECTED):
        before = [*before, LeaveQueue()]  # releases the queue place or the operator's leg
    if state.phase in ESCALATION_PHASES:
        before = [*before, StopEscalation()]  # hangs up the on-call leg
    hangup_by = state.hangup_by or "caller"
    disposition = state.disposition or ("abandoned" if hangup_by == "caller" else "completed")
    if state.phase is Phase.VOICEMAIL and disposition == "voicemail":
        disposition = NO_MESSAGE  # gone during the invitation: there is nothing to review
    state = replace(state, phase=Phase.ENDED, hangup_by=hangup_by, disposition=disposition)
    return state, [
        *before,
        Note("ended", (("by", hangup_by),)),
        Close(disposition, hangup_by, cause or state.cause),
    ]
