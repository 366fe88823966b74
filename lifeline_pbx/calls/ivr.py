"""The IVR: language menu, confidentiality and recording notices, triage. Pure.

Menu rules: the menu is read in each offered language ("For Spanish, press 2" in Spanish);
a caller who presses nothing hears it twice, then goes on in the line's default language;
an invalid digit is explained and the menu asked again (three invalid digits also fall
back to the default language, so nobody is trapped). A digit pressed during a prompt
interrupts it.
"""

from __future__ import annotations

from dataclasses import replace

from lifeline_pbx.calls.model import (
    CancelTimer,
    Command,
    Digit,
    Line,
    Note,
    Phase,
    Play,
    StartTimer,
    State,
    Step,
    StopPlayback,
    TimerFired,
)

MENU_PLAYS = 2
MAX_INVALID = 3
MENU_TIMER = "menu"
TRIAGE_TIMER = "triage"


def play(state: State, *prompts: tuple[str, str]) -> tuple[State, Play]:
    playback_id = f"p{state.plays + 1}"
    return (
        replace(state, playing=playback_id, plays=state.plays + 1),
        Play(tuple(prompts), playback_id),
    )


def _line(state: State) -> Line:
    assert state.line is not None, "the IVR runs only for known lines"
    return state.line


def begin(state: State) -> Step:
    """After the greeting: the language menu when the line offers a choice, else the notices."""
    language = only_language(_line(state))
    if language is not None:
        return notices(replace(state, language=language))
    return _menu(replace(state, phase=Phase.LANGUAGE, menu_tries=0))


def only_language(line: Line) -> str | None:
    """The line's one language, when it offers no choice (so no menu); else None."""
    if len(line.languages) >= 2:
        return None
    return line.languages[0][1] if line.languages else line.default_language


def greeting_and_notices(state: State, language: str) -> Step:
    """No menu to wait for: the greeting and the notices play as one playback (one request
    and one event instead of two of each). Keys are ignored during both, as before."""
    greeting = (state.language, "greeting")
    return notices(replace(state, language=language), (greeting,))


def _menu(state: State, before: tuple[tuple[str, str], ...] = ()) -> Step:
    entries = tuple((lang, f"language-choice-{digit}") for digit, lang in _line(state).languages)
    state, command = play(state, *before, *entries)
    return state, [command]


def notices(state: State, before: tuple[tuple[str, str], ...] = ()) -> Step:
    line = _line(state)
    prompts = [*before, (state.language, "confidentiality")]
    if line.record_calls:
        prompts.append((state.language, "recording-notice"))
    state, command = play(replace(state, phase=Phase.NOTICES), *prompts)
    return state, [Note("language", (("language", state.language),)), command]


def triage(state: State) -> Step:
    state, command = play(
        replace(state, phase=Phase.TRIAGE), (state.language, f"triage-{_line(state).triage_digit}")
    )
    return state, [Note("triage_asked"), command]


# Each handler returns (state, commands, done): done means the IVR is over, route the caller.
IvrStep = tuple[State, list[Command], bool]


def on_prompt_finished(state: State) -> IvrStep:
    """The prompt we waited for ended."""
    if state.phase is Phase.LANGUAGE:
        timer = StartTimer(MENU_TIMER, _line(state).menu_timeout)
        return replace(state, playing=None), [timer], False
    if state.phase is Phase.NOTICES:
        return (*triage(state), False)
    timer = StartTimer(TRIAGE_TIMER, _line(state).menu_timeout)
    return replace(state, playing=None), [timer], False


def on_timer(state: State, event: TimerFired) -> IvrStep:
    if state.phase is Phase.LANGUAGE and event.name == MENU_TIMER:
        tries = state.menu_tries + 1
        if tries >= MENU_PLAYS:
            language = _line(state).default_language
            state = replace(state, language=language, menu_tries=tries)
            step = notices(state)
            return step[0], [Note("language_default", (("reason", "no_input"),)), *step[1]], False
        return (*_menu(replace(state, menu_tries=tries)), False)
    if state.phase is Phase.TRIAGE and event.name == TRIAGE_TIMER:
        return state, [], True
    return state, [], False


def on_digit(state: State, event: Digit) -> IvrStep:
    """A key pressed in the IVR; keys pressed during the notices are ignored."""
    stop: list[Command] = [StopPlayback(state.playing)] if state.playing else []
    if state.phase is Phase.LANGUAGE:
        return _menu_digit(state, event.digit, [*stop, CancelTimer(MENU_TIMER)])
    if state.phase is Phase.TRIAGE:
        stop.append(CancelTimer(TRIAGE_TIMER))
        state = replace(state, playing=None)
        if event.digit == _line(state).triage_digit:
            return replace(state, priority=1), [*stop, Note("triage", (("urgent", "yes"),))], True
        return state, stop, True
    return state, [], False


def _menu_digit(state: State, digit: str, stop: list[Command]) -> IvrStep:
    line = _line(state)
    chosen = dict(line.languages).get(digit)
    if chosen is not None:
        state, commands = notices(replace(state, language=chosen))
        return state, [*stop, *commands], False
    tries = state.menu_tries + 1
    note = Note("invalid_choice", (("digit", digit),))
    if tries >= MAX_INVALID:
        fallback = Note("language_default", (("reason", "invalid"),))
        state, commands = notices(replace(state, language=line.default_language, menu_tries=tries))
        return state, [*stop, note, fallback, *commands], False
    invalid = (line.default_language, "invalid-choice")
    state, commands = _menu(replace(state, menu_tries=tries), (invalid,))
    return state, [*stop, note, *commands], False
