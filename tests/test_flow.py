"""The call flow as a table: events in, the commands and the final record out."""

from __future__ import annotations

import pytest

from lifeline_pbx.calls import flow
from lifeline_pbx.calls.flow import (
    Answer,
    Close,
    Failed,
    Hangup,
    HangupRequested,
    Left,
    Note,
    Play,
    PromptFinished,
    Started,
)

LINE = flow.Line(
    id=1, did="15550100101", facility_id=7, facility_name="Demo", default_language="es"
)


def run(events: list[flow.FlowEvent]) -> tuple[flow.State, list[flow.Command]]:
    state, out = flow.State(), []
    for event in events:
        state, commands = flow.step(state, event)
        out.extend(commands)
    return state, out


def kinds(commands: list[flow.Command]) -> list[str]:
    """Commands as short words: Play:greeting, Note:answered, Close:completed/system/16."""
    words = []
    for c in commands:
        if isinstance(c, Play):
            words.append(f"Play:{c.prompt}:{c.language}")
        elif isinstance(c, Note):
            words.append(f"Note:{c.kind}")
        elif isinstance(c, Close):
            words.append(f"Close:{c.disposition}/{c.hangup_by}/{c.cause}")
        else:
            words.append(type(c).__name__)
    return words


CASES = {
    "greeting to the end, then we hang up": (
        [Started(LINE, "en"), PromptFinished("p1", ok=True), HangupRequested(16), Left(0)],
        ["Answer", "Note:answered", "Note:prompt", "Play:greeting:es",
         "Note:prompt_finished", "Hangup", "Note:ended", "Close:completed/system/16"],
    ),
    "caller hangs up mid-greeting": (
        [Started(LINE, "en"), HangupRequested(16), Left(0)],
        ["Answer", "Note:answered", "Note:prompt", "Play:greeting:es",
         "Note:caller_hangup", "Note:ended", "Close:abandoned/caller/16"],
    ),
    "a late playback event after the caller left changes nothing": (
        [Started(LINE, "en"), HangupRequested(16), PromptFinished("p1", ok=True), Left(0)],
        ["Answer", "Note:answered", "Note:prompt", "Play:greeting:es",
         "Note:caller_hangup", "Note:ended", "Close:abandoned/caller/16"],
    ),
    "unknown number hears not-in-service in the default language": (
        [Started(None, "en"), PromptFinished("p1", ok=True), Left(0)],
        ["Answer", "Note:unknown_did", "Note:prompt", "Play:not-in-service:en",
         "Note:prompt_finished", "Hangup", "Note:ended", "Close:not_in_service/system/16"],
    ),
    "caller hangs up on not-in-service keeps the disposition": (
        [Started(None, "en"), HangupRequested(16), Left(0)],
        ["Answer", "Note:unknown_did", "Note:prompt", "Play:not-in-service:en",
         "Note:caller_hangup", "Note:ended", "Close:not_in_service/caller/16"],
    ),
    "greeting fails to play: apology, not silence": (
        [Started(LINE, "en"), PromptFinished("p1", ok=False), PromptFinished("p2", ok=True)],
        ["Answer", "Note:answered", "Note:prompt", "Play:greeting:es", "Answer", "Note:error",
         "Note:prompt", "Play:technical-difficulty:es", "Note:prompt_finished", "Hangup"],
    ),
    "a handler error before anything: apology": (
        [Failed("KeyError"), PromptFinished("p1", ok=True), Left(0)],
        ["Answer", "Note:error", "Note:prompt", "Play:technical-difficulty:en",
         "Note:prompt_finished", "Hangup", "Note:ended", "Close:failed/system/16"],
    ),
    "the apology itself fails: hang up": (
        [Started(LINE, "en"), Failed("X"), Failed("Y")],
        ["Answer", "Note:answered", "Note:prompt", "Play:greeting:es", "Answer", "Note:error",
         "Note:prompt", "Play:technical-difficulty:es", "Note:error", "Hangup"],
    ),
    "stale playback id is ignored": (
        [Started(LINE, "en"), PromptFinished("p9", ok=True)],
        ["Answer", "Note:answered", "Note:prompt", "Play:greeting:es"],
    ),
    "busy cause from the network is kept": (
        [Started(LINE, "en"), HangupRequested(17), Left(0)],
        ["Answer", "Note:answered", "Note:prompt", "Play:greeting:es",
         "Note:caller_hangup", "Note:ended", "Close:abandoned/caller/17"],
    ),
    "destroyed cause wins over none": (
        [Started(LINE, "en"), Left(34)],
        ["Answer", "Note:answered", "Note:prompt", "Play:greeting:es",
         "Note:ended", "Close:abandoned/caller/34"],
    ),
    "second start is ignored": (
        [Started(LINE, "en"), Started(None, "en")],
        ["Answer", "Note:answered", "Note:prompt", "Play:greeting:es"],
    ),
}


@pytest.mark.parametrize("events,expected", CASES.values(), ids=CASES.keys())
def test_flow(events: list[flow.FlowEvent], expected: list[str]) -> None:
    assert kinds(run(events)[1]) == expected


def test_nothing_happens_after_the_end() -> None:
    state, _ = run([Started(LINE, "en"), Left(16)])
    assert state.phase is flow.Phase.ENDED
    for event in (Started(LINE, "en"), PromptFinished("p1", True), Failed("x"), Left(1)):
        assert flow.step(state, event) == (state, [])


def test_every_path_that_ends_says_something_first() -> None:
    """Whatever the caller did, a prompt was asked for before any hang-up of ours."""
    for events, _ in CASES.values():
        commands = run(events)[1]
        if Hangup() in commands:
            first_hangup = commands.index(Hangup())
            assert any(isinstance(c, Play) for c in commands[:first_hangup])
        if Answer() in commands:
            assert any(isinstance(c, Play) for c in commands)
