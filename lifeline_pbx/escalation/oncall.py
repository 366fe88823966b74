"""Ringing a line's on-call list for an emergency, decided without I/O.

One entry at a time, in the admin's order: ring it for its ring time (Asterisk ends an
unanswered leg then); once answered, the person hears "press 1 to accept" and has
ACCEPT_SECONDS to press it; 1 bridges them with the caller, anything else (hanging up, no
key, the guard refusing the number) moves on to the next entry. After the last, the
caller is handed back for an emergency voicemail. Every step is a note in the call's
timeline; no note holds a number (the position on the list says who; an operator's entry
also names their SIP account, as the queues' "connected" note does).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace

ACCEPT_KEY = "1"
ACCEPT_SECONDS = 15.0


def bridge_id(call_id: uuid.UUID) -> str:
    """The bridge of a caller and whoever accepted (calls/adoption.py finds it by this)."""
    return f"oncall-{call_id.hex}"


@dataclass(frozen=True)
class Entry:
    position: int
    ring_seconds: int
    operator: str | None = None  # an operator's SIP account
    number: str | None = None  # an outside number, rung through the trunk
    operator_id: int | None = None

    @property
    def kind(self) -> str:
        return "operator" if self.operator is not None else "number"


class Stage(enum.Enum):
    IDLE = "idle"
    RINGING = "ringing"
    ASKING = "asking"  # answered, asked to press 1
    BRIDGED = "bridged"
    DONE = "done"


@dataclass(frozen=True)
class Run:
    entries: tuple[Entry, ...]
    index: int = -1  # the entry being rung
    stage: Stage = Stage.IDLE

    @property
    def current(self) -> Entry:
        return self.entries[self.index]


# Events: `leg` is the index of the entry the event is about; a late event about an
# earlier entry (its leg ending after we moved on) changes nothing.
@dataclass(frozen=True)
class Begin:
    pass


@dataclass(frozen=True)
class Refused:
    leg: int
    reason: str


@dataclass(frozen=True)
class Answered:
    leg: int


@dataclass(frozen=True)
class Pressed:
    leg: int
    digit: str


@dataclass(frozen=True)
class NoKey:
    leg: int


@dataclass(frozen=True)
class LegGone:
    leg: int


@dataclass(frozen=True)
class CallerGone:
    pass


Event = Begin | Refused | Answered | Pressed | NoKey | LegGone | CallerGone


# Commands
@dataclass(frozen=True)
class Ring:
    leg: int
    entry: Entry


@dataclass(frozen=True)
class Ask:
    """Play "press 1 to accept" to the answered leg and start its ACCEPT_SECONDS."""

    leg: int


@dataclass(frozen=True)
class HangUpLeg:
    leg: int
    outcome: str  # what the leg's record says: declined, no_answer, cancelled, ended


@dataclass(frozen=True)
class Bridge:
    leg: int
    position: int
    operator_id: int | None = None  # who took the call, if one of ours (the call's row)
    operator: str | None = None  # their SIP account


@dataclass(frozen=True)
class GiveUp:
    tried: int  # entries tried: rung, or refused by the guard


@dataclass(frozen=True)
class TalkEnded:
    """The person bridged with the caller hung up."""

    leg: int


@dataclass(frozen=True)
class Note:
    kind: str
    detail: tuple[tuple[str, str], ...] = ()


Command = Ring | Ask | HangUpLeg | Bridge | GiveUp | TalkEnded | Note
Step = tuple[Run, list[Command]]


def _at(run: Run) -> tuple[tuple[str, str], ...]:
    entry = run.current
    who = () if entry.operator is None else (("operator", entry.operator),)
    return (("position", str(entry.position)), ("kind", entry.kind), *who)


def _next(run: Run) -> Step:
    index = run.index + 1
    if index >= len(run.entries):
        done = replace(run, index=index, stage=Stage.DONE)
        tried = len(run.entries)
        return done, [Note("oncall_unanswered", (("tried", str(tried)),)), GiveUp(tried)]
    run = replace(run, index=index, stage=Stage.RINGING)
    return run, [Note("oncall_ringing", _at(run)), Ring(index, run.current)]


def step(run: Run, event: Event) -> Step:
    if run.stage is Stage.DONE:
        return run, []
    if isinstance(event, Begin):
        return _next(run) if run.stage is Stage.IDLE else (run, [])
    if isinstance(event, CallerGone):
        return _caller_gone(run)
    if event.leg != run.index:
        return run, []
    if isinstance(event, Refused) and run.stage is Stage.RINGING:
        refused = Note("oncall_refused", (*_at(run), ("reason", event.reason)))
        later, commands = _next(run)
        return later, [refused, *commands]
    if isinstance(event, Answered) and run.stage is Stage.RINGING:
        return replace(run, stage=Stage.ASKING), [Note("oncall_answered", _at(run)),
                                                   Ask(run.index)]
    if isinstance(event, Pressed) and run.stage is Stage.ASKING and event.digit == ACCEPT_KEY:
        return replace(run, stage=Stage.BRIDGED), [Note("oncall_accepted", _at(run)),
                                                    Bridge(run.index, run.current.position,
                                                           run.current.operator_id,
                                                           run.current.operator)]
    if isinstance(event, NoKey) and run.stage is Stage.ASKING:
        note = Note("oncall_declined", (*_at(run), ("why", "no_key")))
        later, commands = _next(run)
        return later, [note, HangUpLeg(run.index, "declined"), *commands]
    if isinstance(event, LegGone):
        return _leg_gone(run)
    return run, []


def _leg_gone(run: Run) -> Step:
    if run.stage is Stage.BRIDGED:
        return replace(run, stage=Stage.DONE), [Note("oncall_hangup", _at(run)),
                                                   TalkEnded(run.index)]
    kind = "oncall_no_answer" if run.stage is Stage.RINGING else "oncall_declined"
    outcome = "no_answer" if run.stage is Stage.RINGING else "declined"
    note = Note(kind, (*_at(run), ("why", "hung_up")) if outcome == "declined" else _at(run))
    later, commands = _next(run)
    return later, [note, HangUpLeg(run.index, outcome), *commands]


def _caller_gone(run: Run) -> Step:
    """The caller hung up (or their call failed): whoever is rung or talking is let go."""
    commands: list[Command] = [Note("oncall_stopped")]
    if run.stage in (Stage.RINGING, Stage.ASKING):
        commands.append(HangUpLeg(run.index, "cancelled"))
    elif run.stage is Stage.BRIDGED:
        commands.append(HangUpLeg(run.index, "accepted"))
    return replace(run, stage=Stage.DONE), commands
