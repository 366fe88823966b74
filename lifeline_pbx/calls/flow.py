"""What happens in a call, decided without I/O: step(state, event) -> (state, commands).

The shell (calls/session.py) turns ARI events into the events below and carries out the
commands. Every path ends in a hang-up after something was said: nobody is left in silence.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Line:
    id: int
    did: str
    facility_id: int
    facility_name: str
    default_language: str


class Phase(enum.Enum):
    NEW = "new"
    GREETING = "greeting"
    CLOSING = "closing"  # the last prompt before we hang up
    HANGING_UP = "hanging_up"
    ENDED = "ended"


@dataclass(frozen=True)
class State:
    phase: Phase = Phase.NEW
    line: Line | None = None
    language: str = "en"
    playing: str | None = None  # the playback we wait for
    plays: int = 0
    hangup_by: str | None = None
    disposition: str | None = None
    cause: int = 0


# Events
@dataclass(frozen=True)
class Started:
    line: Line | None
    default_language: str


@dataclass(frozen=True)
class PromptFinished:
    playback_id: str
    ok: bool


@dataclass(frozen=True)
class HangupRequested:
    """Someone asked for the channel to hang up: the caller, unless we already did."""

    cause: int


@dataclass(frozen=True)
class Left:
    """The channel left the app (hung up); cause 0 means: use the one already known."""

    cause: int


@dataclass(frozen=True)
class Failed:
    """A handler raised: the call must still end with something said."""

    reason: str


FlowEvent = Started | PromptFinished | HangupRequested | Left | Failed


# Commands
@dataclass(frozen=True)
class Answer:
    pass


@dataclass(frozen=True)
class Play:
    prompt: str
    language: str
    playback_id: str


@dataclass(frozen=True)
class Hangup:
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


Command = Answer | Play | Hangup | Note | Close


def _play(state: State, prompt: str) -> tuple[State, Play]:
    playback_id = f"p{state.plays + 1}"
    return (
        replace(state, playing=playback_id, plays=state.plays + 1),
        Play(prompt, state.language, playback_id),
    )


def _closing(state: State, prompt: str, disposition: str) -> tuple[State, list[Command]]:
    state, play = _play(replace(state, phase=Phase.CLOSING, disposition=disposition), prompt)
    return state, [Note("prompt", (("name", prompt),)), play]


def step(state: State, event: FlowEvent) -> tuple[State, list[Command]]:
    if state.phase is Phase.ENDED:
        return state, []
    if isinstance(event, Left):
        return _left(state, event)
    if isinstance(event, HangupRequested):
        state = replace(state, cause=state.cause or event.cause)
        if state.hangup_by is not None:
            return state, []
        disposition = state.disposition if state.phase is Phase.CLOSING else "abandoned"
        return (
            replace(state, hangup_by="caller", disposition=disposition, playing=None),
            [Note("caller_hangup", (("cause", str(event.cause)),))],
        )
    if state.hangup_by is not None:
        return state, []
    if isinstance(event, Started):
        return _started(state, event)
    if isinstance(event, PromptFinished):
        return _prompt_finished(state, event)
    return _failed(state, event)


def _started(state: State, event: Started) -> tuple[State, list[Command]]:
    if state.phase is not Phase.NEW:
        return state, []
    if event.line is None:
        state = replace(state, language=event.default_language)
        state, commands = _closing(state, "not-in-service", "not_in_service")
        return state, [Answer(), Note("unknown_did"), *commands]
    state = replace(
        state, phase=Phase.GREETING, line=event.line, language=event.line.default_language
    )
    state, play = _play(state, "greeting")
    return state, [Answer(), Note("answered"), Note("prompt", (("name", "greeting"),)), play]


def _prompt_finished(state: State, event: PromptFinished) -> tuple[State, list[Command]]:
    if event.playback_id != state.playing:
        return state, []
    finished = Note("prompt_finished", (("ok", "yes" if event.ok else "no"),))
    if not event.ok and state.phase is not Phase.CLOSING:
        return _failed(state, Failed("prompt did not play"))
    if state.phase is Phase.GREETING:
        # The IVR and queues come next; for now the greeting is the whole call.
        return _hang_up(replace(state, disposition="completed"), [finished])
    if state.phase is Phase.CLOSING:
        return _hang_up(state, [finished])
    return state, []


def _hang_up(state: State, before: list[Command]) -> tuple[State, list[Command]]:
    state = replace(
        state, phase=Phase.HANGING_UP, hangup_by="system", playing=None, cause=state.cause or 16
    )
    return state, [*before, Hangup()]


def _failed(state: State, event: Failed) -> tuple[State, list[Command]]:
    note = Note("error", (("reason", event.reason[:200]),))
    if state.phase is Phase.CLOSING:
        # Already saying goodbye (perhaps the apology itself failed): hang up.
        return _hang_up(replace(state, disposition=state.disposition or "failed"), [note])
    state, commands = _closing(state, "technical-difficulty", "failed")
    return state, [Answer(), note, *commands]


def _left(state: State, event: Left) -> tuple[State, list[Command]]:
    hangup_by = state.hangup_by or "caller"
    disposition = state.disposition or ("abandoned" if hangup_by == "caller" else "completed")
    state = replace(state, phase=Phase.ENDED, hangup_by=hangup_by, disposition=disposition)
    return state, [
        Note("ended", (("by", hangup_by),)),
        Close(disposition, hangup_by, event.cause or state.cause),
    ]
