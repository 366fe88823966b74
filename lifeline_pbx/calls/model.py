"""The vocabulary of a call: its line, its state, the events that move it, the commands it gives.

All frozen dataclasses; calls/flow.py and calls/ivr.py decide, calls/session.py does.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    id: int
    did: str
    facility_id: int
    facility_name: str
    default_language: str
    languages: tuple[tuple[str, str], ...] = ()  # (digit, language), in menu order
    triage_digit: str = "9"
    menu_timeout: float = 5.0
    record_calls: bool = False
    queue_id: int | None = None
    call_limit: int = 900
    limit_warning: int = 120
    voicemail_max: int = 180
    max_wait: int | None = None  # seconds in the queue before voicemail (None: the queue's)
    emergency_wait: int | None = None  # an emergency waits this long, then the on-call list
    transfer_allowed: bool = False  # the caller may be handed to an outside number
    three_way_allowed: bool = False  # a third party may join the caller's call


class Phase(enum.Enum):
    NEW = "new"
    GREETING = "greeting"
    LANGUAGE = "language"
    NOTICES = "notices"
    TRIAGE = "triage"
    QUEUED = "queued"
    CONNECTED = "connected"
    VOICEMAIL = "voicemail"  # the invitation to leave a message
    RECORDING = "recording"
    ESCALATING = "escalating"  # an emergency: the on-call list is being rung
    ONCALL = "oncall"  # bridged with someone on the on-call list
    CLOSING = "closing"  # the last prompt before we hang up
    HANGING_UP = "hanging_up"
    ENDED = "ended"


@dataclass(frozen=True)
class State:
    phase: Phase = Phase.NEW
    line: Line | None = None
    language: str = "en"
    priority: int = 0
    playing: str | None = None  # the playback we wait for
    plays: int = 0
    menu_tries: int = 0
    kept: tuple[str, ...] = ()  # keys pressed ahead during the notices, for the triage
    notices_full: bool = False  # the caller asked for the notices' full text
    voicemail_reason: str = ""
    hangup_by: str | None = None
    disposition: str | None = None
    cause: int = 0
    left: bool = False  # the channel is gone but a recording is still being finished


# Events
@dataclass(frozen=True)
class Started:
    line: Line | None
    default_language: str
    open: bool = True
    closed_prompt: str = "voicemail-closed"  # what a closed line says (a holiday's own)
    opening: tuple[int, int] | None = None  # when closed: (day, hhmm), calls/hours.py


@dataclass(frozen=True)
class Resumed:
    """The app restarted: the call was waiting, talking, escalating or leaving a message,
    and Asterisk kept it there."""

    line: Line | None
    phase: Phase
    language: str
    priority: int
    escalated: str = ""  # escalating: why (the on-call list is rung again)
    voicemail_reason: str = ""  # recording: why the caller was sent to voicemail


@dataclass(frozen=True)
class PromptFinished:
    playback_id: str
    ok: bool


@dataclass(frozen=True)
class Digit:
    digit: str


@dataclass(frozen=True)
class TimerFired:
    name: str


@dataclass(frozen=True)
class Connected:
    operator: str
    since_answer: float = 0.0  # seconds since the PBX answered the call (the facility's clock)


@dataclass(frozen=True)
class QueueLeft:
    """The queue gave the caller back: 'no_operators', 'phones_offline', 'max_wait' or
    'error'."""

    reason: str


@dataclass(frozen=True)
class OperatorLeft:
    pass


@dataclass(frozen=True)
class OperatorLost:
    """The operator's phone or network failed mid-call (queues/leg_end.py): the caller is
    back at the front of the queue, their place kept."""

    operator: str
    reason: str  # queues/leg_end.reason: no_audio, cause_44, ...


@dataclass(frozen=True)
class RecordingFinished:
    seconds: int
    failed: bool = False  # nothing was recorded (Asterisk could not, or refused to)


@dataclass(frozen=True)
class HangupRequested:
    """Someone asked for the channel to hang up: the caller, unless we already did, or
    Asterisk itself as it shuts down (pbx_shutdown: the cause is then not Q.850)."""

    cause: int
    pbx_shutdown: bool = False


@dataclass(frozen=True)
class Left:
    """The channel left the app (hung up); cause 0 means: use the one already known."""

    cause: int


@dataclass(frozen=True)
class Failed:
    """A handler raised: the call must still end in a queue, a voicemail or an apology."""

    reason: str


@dataclass(frozen=True)
class OnCallAccepted:
    """Someone on the on-call list pressed 1 and is bridged with the caller."""

    position: int
    operator: str = ""  # their SIP account; "" for an outside number


@dataclass(frozen=True)
class OnCallUnanswered:
    """The on-call list is done and nobody accepted; tried: how many were rung."""

    tried: int


@dataclass(frozen=True)
class Requeued:
    """The operator sent the caller to another queue (in this language); their talk is over."""

    queue_id: int
    language: str


@dataclass(frozen=True)
class OnCallEnded:
    """The on-call person bridged with the caller hung up."""


FlowEvent = (
    Started | Resumed | PromptFinished | Digit | TimerFired | Connected | QueueLeft
    | OperatorLeft | OperatorLost | RecordingFinished | HangupRequested | Left | Failed
    | OnCallAccepted | OnCallUnanswered | OnCallEnded | Requeued
)


# Commands
@dataclass(frozen=True)
class Answer:
    pass


@dataclass(frozen=True)
class Play:
    prompts: tuple[tuple[str, str], ...]  # (language, prompt name), played in order
    playback_id: str


@dataclass(frozen=True)
class StopPlayback:
    playback_id: str


@dataclass(frozen=True)
class StartTimer:
    name: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    name: str


@dataclass(frozen=True)
class EnterQueue:
    queue_id: int
    language: str
    priority: int


@dataclass(frozen=True)
class LeaveQueue:
    pass


@dataclass(frozen=True)
class RecordBridge:
    pass


@dataclass(frozen=True)
class WarnOperator:
    pass


@dataclass(frozen=True)
class StartVoicemail:
    max_seconds: int


@dataclass(frozen=True)
class SaveVoicemail:
    reason: str
    seconds: int


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Escalate:
    """Ring the line's on-call list (escalation/runner.py); reason: why nobody was ready."""

    reason: str


@dataclass(frozen=True)
class StopEscalation:
    """The caller is gone or the call failed: stop ringing, hang up the on-call leg."""


@dataclass(frozen=True)
class StartMusic:
    pass


@dataclass(frozen=True)
class Note:
    """A line in the call's timeline."""

    kind: str
    detail: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Close:
    disposition: str
    hangup_by: str
    cause: int


Command = (
    Answer | Play | StopPlayback | StartTimer | CancelTimer | EnterQueue | LeaveQueue
    | RecordBridge | WarnOperator | StartVoicemail | SaveVoicemail | Hangup | Note | Close
    | Escalate | StopEscalation | StartMusic
)
Step = tuple[State, list[Command]]
